// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package blobtest helps test blob stores and their users: Suite is the
// conformance suite every blob.Store passes, and MemStore is an in-memory
// store for other packages' tests. Only tests import it.
package blobtest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob"
)

// LargeSize is the size of the object that Suite streams through the store.
// It is larger than two S3 parts of the default size.
const LargeSize = 40 << 20

// Suite runs the conformance tests against the stores that open returns.
// Each subtest calls open once and expects an empty store of its own, which
// open cleans up with t.Cleanup if needed; subtests run in parallel. Under
// -short, Suite skips the large-object test.
func Suite(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Empty", testEmpty},
		{"Seek", testSeek},
		{"Large", testLarge},
		{"Replace", testReplace},
		{"ReplaceWhileReading", testReplaceWhileReading},
		{"CloseWithoutCommit", testCloseWithoutCommit},
		{"WriterLifecycle", testWriterLifecycle},
		{"CanceledContext", testCanceledContext},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"List", testList},
		{"ListStop", testListStop},
		{"Delete", testDelete},
		{"PrefixConflict", testPrefixConflict},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentSameKey", testConcurrentSameKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testRoundTrip(t *testing.T, s blob.Store) {
	ctx := t.Context()
	before := time.Now().Add(-time.Hour)
	data := []byte("Bonjour, Préau !\n")
	n, err := blob.Put(ctx, s, "a/b/c.txt", bytes.NewReader(data))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(data))
	}
	info, err := s.Stat(ctx, "a/b/c.txt")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Key != "a/b/c.txt" || info.Size != int64(len(data)) {
		t.Errorf("Stat = %+v, want key a/b/c.txt and size %d", info, len(data))
	}
	if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Hour)) {
		t.Errorf("ModTime = %v, want about now", info.ModTime)
	}
	got, oinfo := mustRead(t, s, "a/b/c.txt")
	if !bytes.Equal(got, data) {
		t.Errorf("read %q, want %q", got, data)
	}
	if oinfo.Key != info.Key || oinfo.Size != info.Size {
		t.Errorf("Open info = %+v, Stat info = %+v", oinfo, info)
	}

	// Several writes make one object.
	w, err := s.Create(ctx, "a/b/parts")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	got, _ = mustRead(t, s, "a/b/parts")
	if !strings.HasPrefix(string(got), "line 0\nline 1\n") || !strings.HasSuffix(string(got), "line 99\n") {
		t.Errorf("multi-write object = %.40q…", got)
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	mustPut(t, s, "empty", "")
	info, err := s.Stat(t.Context(), "empty")
	if err != nil || info.Size != 0 {
		t.Fatalf("Stat = %+v, %v; want size 0", info, err)
	}
	if got, _ := mustRead(t, s, "empty"); len(got) != 0 {
		t.Errorf("read %q, want nothing", got)
	}
}

func testSeek(t *testing.T, s blob.Store) {
	mustPut(t, s, "seek", "0123456789")
	r, _, err := s.Open(t.Context(), "seek")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	steps := []struct {
		offset int64
		whence int
		want   string
	}{
		{4, io.SeekStart, "456"},
		{-3, io.SeekEnd, "789"},
		{-5, io.SeekCurrent, "56"},
		{0, io.SeekStart, "0123"},
	}
	for _, st := range steps {
		if _, err := r.Seek(st.offset, st.whence); err != nil {
			t.Fatalf("Seek(%d, %d): %v", st.offset, st.whence, err)
		}
		buf := make([]byte, len(st.want))
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != st.want {
			t.Fatalf("after Seek(%d, %d) read %q, %v; want %q", st.offset, st.whence, buf, err, st.want)
		}
	}
	if end, err := r.Seek(0, io.SeekEnd); err != nil || end != 10 {
		t.Errorf("Seek to end = %d, %v; want 10", end, err)
	}
}

// testReplace checks that a new version is invisible until Commit, and then
// replaces the old one whole.
func testReplace(t *testing.T, s blob.Store) {
	ctx := t.Context()
	mustPut(t, s, "doc", "version 1")
	w, err := s.Create(ctx, "doc")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := io.WriteString(w, "version 2, which is longer"); err != nil {
		t.Fatal(err)
	}
	if got, _ := mustRead(t, s, "doc"); string(got) != "version 1" {
		t.Fatalf("before Commit read %q, want version 1", got)
	}
	if info, err := s.Stat(ctx, "doc"); err != nil || info.Size != 9 {
		t.Fatalf("before Commit Stat = %+v, %v; want size 9", info, err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := mustRead(t, s, "doc"); string(got) != "version 2, which is longer" {
		t.Fatalf("after Commit read %q", got)
	}
	if n := len(listKeys(t, s, "")); n != 1 {
		t.Errorf("List found %d objects, want 1", n)
	}
}

// testReplaceWhileReading replaces an object many times while readers check
// that each read gives one whole version, and that a reader opened before a
// replacement keeps its version.
func testReplaceWhileReading(t *testing.T, s blob.Store) {
	ctx := t.Context()
	version := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 1000+i*97) }
	mustPut(t, s, "hot", version(0))
	old, _, err := s.Open(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()

	const rounds = 20
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= rounds; i++ {
			if _, err := blob.Put(ctx, s, "hot", strings.NewReader(version(i))); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for reading := true; reading; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			reading = false
		default:
		}
		got, info := mustRead(t, s, "hot")
		if int64(len(got)) != info.Size || strings.Count(string(got), string(got[:1])) != len(got) {
			t.Fatalf("read a mixed or partial version: %d bytes, Info.Size %d", len(got), info.Size)
		}
	}
	if got, _ := mustRead(t, s, "hot"); string(got) != version(rounds) {
		t.Fatalf("final version has %d bytes, want %d", len(got), len(version(rounds)))
	}
	got, err := io.ReadAll(old)
	if err != nil {
		t.Fatalf("reading the version opened before the replacements: %v", err)
	}
	if string(got) != version(0) {
		t.Errorf("reader opened before the replacements read %d bytes of a newer version", len(got))
	}
}

func testConcurrentWriters(t *testing.T, s blob.Store) {
	const writers, each = 8, 5
	errs := make(chan error, writers)
	for g := range writers {
		go func() {
			for i := range each {
				key := fmt.Sprintf("w%d/obj%d", g, i)
				if _, err := blob.Put(t.Context(), s, key, strings.NewReader(key+" content")); err != nil {
					errs <- fmt.Errorf("Put %s: %w", key, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	keys := listKeys(t, s, "")
	if len(keys) != writers*each {
		t.Fatalf("List found %d objects, want %d", len(keys), writers*each)
	}
	for _, k := range keys {
		if got, _ := mustRead(t, s, k); string(got) != k+" content" {
			t.Errorf("%s holds %q", k, got)
		}
	}
}

func testConcurrentSameKey(t *testing.T, s blob.Store) {
	const writers = 6
	content := func(g int) string { return strings.Repeat(fmt.Sprint(g), 5000+g) }
	errs := make(chan error, writers)
	for g := range writers {
		go func() {
			_, err := blob.Put(t.Context(), s, "same", strings.NewReader(content(g)))
			errs <- err
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, _ := mustRead(t, s, "same")
	for g := range writers {
		if string(got) == content(g) {
			return
		}
	}
	t.Errorf("after concurrent Puts the object (%d bytes) is none of the versions", len(got))
}
