// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blobtest

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

func mustPut(t *testing.T, s blob.Store, key, content string) {
	t.Helper()
	if _, err := blob.Put(t.Context(), s, key, strings.NewReader(content)); err != nil {
		t.Fatalf("Put %q: %v", key, err)
	}
}

func mustRead(t *testing.T, s blob.Store, key string) ([]byte, blob.Info) {
	t.Helper()
	r, info, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open %q: %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return data, info
}

func statErr(t *testing.T, s blob.Store, key string) error {
	_, err := s.Stat(t.Context(), key)
	return err
}

func listKeys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(t.Context(), prefix, func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func wantKind(t *testing.T, what string, err error, kind core.Kind) {
	t.Helper()
	if err == nil {
		t.Errorf("%s succeeded, want a %v error", what, kind)
	} else if got := core.KindOf(err); got != kind {
		t.Errorf("%s: %v (kind %v), want kind %v", what, err, got, kind)
	}
}

func quote(s string) string { return fmt.Sprintf("%.40q", s) }
