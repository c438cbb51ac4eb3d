// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/preau/preau/internal/web"
)

func TestSSE(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		s, err := web.NewSSE(w, r)
		if err != nil {
			return err
		}
		if err := s.Comment("keep\nalive"); err != nil {
			return err
		}
		if err := s.Send("progress", web.ProgressEvent{Value: 3, Max: 10, Message: "ligne 1\nligne 2"}); err != nil {
			return err
		}
		if err := s.Send("bad\nname", 1); err == nil {
			t.Error("Send accepted an event name with a newline")
		}
		return s.Send("done", map[string]string{"url": "/fini"})
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for k, v := range map[string]string{
		"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := ": keep alive\n\n" +
		"event: progress\ndata: {\"value\":3,\"max\":10,\"message\":\"ligne 1\\nligne 2\"}\n\n" +
		"event: done\ndata: {\"url\":\"/fini\"}\n\n"
	if string(body) != want {
		t.Errorf("stream:\n%q\nwant:\n%q", body, want)
	}
	// Every event is a block of "field: value" lines ended by a blank line.
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, ":") &&
			!strings.HasPrefix(line, "event: ") && !strings.HasPrefix(line, "data: ") {
			t.Errorf("malformed line %q", line)
		}
	}
}

// plainWriter is a ResponseWriter that cannot flush.
type plainWriter struct{ http.ResponseWriter }

func TestSSEErrors(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	rec := httptest.NewRecorder()
	if _, err := web.NewSSE(plainWriter{rec}, r); err == nil {
		t.Error("NewSSE accepted a writer that cannot flush")
	}
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Error("NewSSE wrote to a writer it refused")
	}

	ctx, cancel := context.WithCancel(context.Background())
	s, err := web.NewSSE(httptest.NewRecorder(), r.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	<-s.Done()
	if err := s.Send("progress", 1); err != context.Canceled {
		t.Errorf("Send after the client left = %v, want context.Canceled", err)
	}
}
