// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/preau/preau/internal/web"
)

// TestStreamProgress: progress events until the task ends, then one done
// event and the stream closes.
func TestStreamProgress(t *testing.T) {
	wake := make(chan struct{}, 1)
	n := 0
	rec := httptest.NewRecorder()
	err := web.StreamProgress(rec, httptest.NewRequest("GET", "/events", nil), wake, func() (string, web.ProgressEvent) {
		n++
		if n < 3 {
			wake <- struct{}{}
			return web.EventProgress, web.ProgressEvent{Value: int64(n), Max: 3}
		}
		return web.EventDone, web.ProgressEvent{Value: 3, Max: 3, URL: "/next"}
	})
	body := rec.Body.String()
	if err != nil || strings.Count(body, "event: progress") != 2 || strings.Count(body, "event: done") != 1 ||
		!strings.Contains(body, `"url":"/next"`) {
		t.Fatalf("%v\n%s", err, body)
	}
}
