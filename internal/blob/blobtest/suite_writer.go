// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blobtest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// abortSize is written before the Close that discards an object. It exceeds
// the 5 MiB minimum S3 part size, so that an S3 store configured with small
// parts has a multipart upload under way when it aborts.
const abortSize = 6 << 20

func testCloseWithoutCommit(t *testing.T, s blob.Store) {
	ctx := t.Context()
	// A new key: nothing appears.
	w, err := s.Create(ctx, "discard/new")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, io.LimitReader(newPattern(1), abortSize)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantKind(t, "Stat after Close", statErr(t, s, "discard/new"), core.NotFound)

	// An existing key: the old object stays.
	mustPut(t, s, "discard/old", "keep me")
	w, err = s.Create(ctx, "discard/old")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "lost"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, _ := mustRead(t, s, "discard/old"); string(got) != "keep me" {
		t.Errorf("after Close without Commit read %q, want keep me", got)
	}
	if keys := listKeys(t, s, ""); strings.Join(keys, ",") != "discard/old" {
		t.Errorf("List = %q, want only discard/old", keys)
	}
}

func testWriterLifecycle(t *testing.T, s blob.Store) {
	ctx := t.Context()
	w, err := s.Create(ctx, "life")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "x")
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("y")); !errors.Is(err, blob.ErrClosed) {
		t.Errorf("Write after Commit = %v, want ErrClosed", err)
	}
	if err := w.Commit(); !errors.Is(err, blob.ErrClosed) {
		t.Errorf("second Commit = %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close after Commit = %v, want nil", err)
	}
	if got, _ := mustRead(t, s, "life"); string(got) != "x" {
		t.Errorf("read %q, want x", got)
	}

	w, err = s.Create(ctx, "life2")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := w.Write([]byte("y")); !errors.Is(err, blob.ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := w.Commit(); !errors.Is(err, blob.ErrClosed) {
		t.Errorf("Commit after Close = %v, want ErrClosed", err)
	}
	wantKind(t, "Stat of closed object", statErr(t, s, "life2"), core.NotFound)
}

func testCanceledContext(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	w, err := s.Create(ctx, "canceled")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	io.WriteString(w, "data")
	cancel()
	w.Write([]byte("more")) // may fail already
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after the context was canceled succeeded")
	}
	wantKind(t, "Stat", statErr(t, s, "canceled"), core.NotFound)
}

func testNotFound(t *testing.T, s blob.Store) {
	ctx := t.Context()
	_, _, err := s.Open(ctx, "missing")
	wantKind(t, "Open", err, core.NotFound)
	wantKind(t, "Stat", statErr(t, s, "missing/deeper"), core.NotFound)
	if err := s.Delete(ctx, "missing"); err != nil {
		t.Errorf("Delete of a missing object = %v, want nil", err)
	}
	// A "folder" is not an object.
	mustPut(t, s, "dir/obj", "x")
	wantKind(t, "Stat of a folder", statErr(t, s, "dir"), core.NotFound)
	_, _, err = s.Open(ctx, "dir")
	wantKind(t, "Open of a folder", err, core.NotFound)
}

// BadKeys are keys every Store must reject with core.Invalid.
var BadKeys = []string{
	"", "/", "/a", "a/", "a//b", ".", "..", "./a", "a/.", "a/./b", "a/../b", "../a",
	"a b", "a\\b", "a\x00b", "é", "a\nb", "a:b", "a*", "a?b", "a#b", "a%2fb", "~tmp.1",
	strings.Repeat("k", blob.MaxComponentLen+1),
	strings.Repeat("a/", blob.MaxKeyLen/2) + "b",
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := t.Context()
	for _, key := range BadKeys {
		w, err := s.Create(ctx, key)
		if err == nil {
			w.Close()
		}
		wantKind(t, "Create "+quote(key), err, core.Invalid)
		_, _, err = s.Open(ctx, key)
		wantKind(t, "Open "+quote(key), err, core.Invalid)
		wantKind(t, "Stat "+quote(key), statErr(t, s, key), core.Invalid)
		wantKind(t, "Delete "+quote(key), s.Delete(ctx, key), core.Invalid)
	}
	for _, prefix := range []string{"/", "/a", "a//", "a b", "é", "a/../"} {
		err := s.List(ctx, prefix, func(blob.Info) error { return nil })
		wantKind(t, "List "+quote(prefix), err, core.Invalid)
	}
	// The longest valid key works (components of at most 200 bytes keep
	// fsblob from creating hundreds of folders).
	long := ""
	for len(long)+201 < blob.MaxKeyLen {
		long += strings.Repeat("k", 200) + "/"
	}
	long += strings.Repeat("k", blob.MaxKeyLen-len(long))
	mustPut(t, s, long, "long")
	if got, _ := mustRead(t, s, long); string(got) != "long" {
		t.Errorf("longest key read %q", got)
	}
}

// testPrefixConflict checks that a key beside a "folder" of the same name
// either works or fails with core.Conflict, and never damages the object
// already there.
func testPrefixConflict(t *testing.T, s blob.Store) {
	ctx := t.Context()
	mustPut(t, s, "p/a", "file")
	if _, err := blob.Put(ctx, s, "p/a/b", strings.NewReader("under a file")); err != nil {
		t.Logf("this store refuses a key under an object: %v", err)
		wantKind(t, "Put p/a/b beside object p/a", err, core.Conflict)
	}
	if got, _ := mustRead(t, s, "p/a"); string(got) != "file" {
		t.Errorf("p/a now holds %q", got)
	}
	mustPut(t, s, "q/a/b", "deep")
	if _, err := blob.Put(ctx, s, "q/a", strings.NewReader("over a folder")); err != nil {
		t.Logf("this store refuses an object over a folder: %v", err)
		wantKind(t, "Put q/a over folder q/a/", err, core.Conflict)
	}
	if got, _ := mustRead(t, s, "q/a/b"); string(got) != "deep" {
		t.Errorf("q/a/b now holds %q", got)
	}
}
