// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/blobtest"
	"github.com/preau/preau/internal/blob/s3blob"
	"github.com/preau/preau/internal/core"
)

// peer is an S3 server to test against: the fake or a real one.
type peer struct {
	cfg    s3blob.Config // without Prefix
	client *minio.Client // for looking behind the Store's back
}

func newPeer(t *testing.T, cfg s3blob.Config) *peer {
	t.Helper()
	endpoint, secure := cfg.Endpoint, !cfg.Insecure
	if e, ok := strings.CutPrefix(endpoint, "http://"); ok {
		endpoint, secure = e, false
	} else if e, ok := strings.CutPrefix(endpoint, "https://"); ok {
		endpoint, secure = e, true
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: secure,
		Region: cfg.Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &peer{cfg: cfg, client: client}
}

// randomPrefix returns a fresh key prefix, so that runs and tests sharing a
// bucket do not collide.
func randomPrefix(base string) string {
	var b [6]byte
	rand.Read(b[:])
	return base + hex.EncodeToString(b[:])
}

// open returns a Store under a fresh random prefix and removes its objects
// when the test ends.
func (p *peer) open(t *testing.T, clock core.Clock) (*s3blob.Store, string) {
	t.Helper()
	cfg := p.cfg
	cfg.Prefix = randomPrefix("preau-test/")
	cfg.Clock = clock
	s, err := s3blob.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("s3blob.New: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		var keys []string
		s.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
		for _, k := range keys {
			s.Delete(ctx, k)
		}
		s.Clean(ctx, -time.Hour)
	})
	return s, cfg.Prefix + "/"
}

// incomplete counts the incomplete multipart uploads under prefix.
func (p *peer) incomplete(t *testing.T, prefix string) int {
	t.Helper()
	n := 0
	for up := range p.client.ListIncompleteUploads(t.Context(), p.cfg.Bucket, prefix, true) {
		if up.Err != nil {
			t.Fatalf("ListIncompleteUploads: %v", up.Err)
		}
		n++
	}
	return n
}

// runAll runs the conformance suite and the s3blob tests against p.
func runAll(t *testing.T, p *peer) {
	t.Run("Suite", func(t *testing.T) {
		blobtest.Suite(t, func(t *testing.T) blob.Store {
			s, _ := p.open(t, nil)
			return s
		})
	})
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, *peer)
	}{
		{"Streaming", testStreaming},
		{"AbortLeavesNoUpload", testAbortLeavesNoUpload},
		{"Clean", testClean},
		{"ForeignObjects", testForeignObjects},
		{"MissingBucket", testMissingBucket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, p)
		})
	}
}

// writeN writes n pattern bytes to w.
func writeN(t *testing.T, w io.Writer, n int64) {
	t.Helper()
	if _, err := io.CopyN(w, zeros{}, n); err != nil {
		t.Fatalf("write: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// testStreaming checks that an object larger than a part is uploaded while
// it is written (an incomplete upload exists before Commit), and appears
// only on Commit.
func testStreaming(t *testing.T, p *peer) {
	ctx := t.Context()
	s, prefix := p.open(t, nil)
	w, err := s.Create(ctx, "big")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	writeN(t, w, 2*s3blob.MinPartSize+1)
	if n := p.incomplete(t, prefix); n != 1 {
		t.Errorf("before Commit: %d incomplete uploads, want 1", n)
	}
	if _, err := s.Stat(ctx, "big"); !core.IsKind(err, core.NotFound) {
		t.Errorf("before Commit Stat = %v, want NotFound", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(ctx, "big"); err != nil || info.Size != 2*s3blob.MinPartSize+1 {
		t.Errorf("after Commit Stat = %+v, %v", info, err)
	}
	if n := p.incomplete(t, prefix); n != 0 {
		t.Errorf("after Commit: %d incomplete uploads, want 0", n)
	}
}

func testAbortLeavesNoUpload(t *testing.T, p *peer) {
	ctx := t.Context()
	s, prefix := p.open(t, nil)
	w, err := s.Create(ctx, "aborted")
	if err != nil {
		t.Fatal(err)
	}
	writeN(t, w, s3blob.MinPartSize+1)
	if n := p.incomplete(t, prefix); n != 1 {
		t.Errorf("while writing: %d incomplete uploads, want 1", n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n := p.incomplete(t, prefix); n != 0 {
		t.Errorf("after Close: %d incomplete uploads, want 0", n)
	}
	if _, err := s.Stat(ctx, "aborted"); !core.IsKind(err, core.NotFound) {
		t.Errorf("after Close Stat = %v, want NotFound", err)
	}
}

// testClean leaves an upload behind as a crashed process would, and checks
// that Clean aborts it once it is old enough, but spares a live Writer's.
func testClean(t *testing.T, p *peer) {
	ctx := t.Context()
	clock := core.NewFakeClock(time.Now())
	s, prefix := p.open(t, clock)
	mc := minio.Core{Client: p.client}
	if _, err := mc.NewMultipartUpload(ctx, p.cfg.Bucket, prefix+"crashed", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	live, err := s.Create(ctx, "live")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	writeN(t, live, s3blob.MinPartSize+1)

	if n, err := s.Clean(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("Clean of fresh uploads = %d, %v; want 0", n, err)
	}
	clock.Advance(2 * time.Hour)
	if n, err := s.Clean(ctx, time.Hour); err != nil || n != 1 {
		t.Fatalf("Clean = %d, %v; want the crashed upload only", n, err)
	}
	if err := live.Commit(); err != nil {
		t.Fatalf("live upload after Clean: %v", err)
	}
	if n := p.incomplete(t, prefix); n != 0 {
		t.Errorf("%d incomplete uploads left", n)
	}
}

// testForeignObjects puts objects under the prefix that are not valid keys,
// as other tools may: List skips them.
func testForeignObjects(t *testing.T, p *peer) {
	ctx := t.Context()
	s, prefix := p.open(t, nil)
	for _, name := range []string{"bad name", "folder/", "x/~tmp"} {
		_, err := p.client.PutObject(ctx, p.cfg.Bucket, prefix+name, strings.NewReader(""), 0, minio.PutObjectOptions{})
		if err != nil {
			t.Fatalf("PutObject %q: %v", name, err)
		}
		t.Cleanup(func() {
			p.client.RemoveObject(context.Background(), p.cfg.Bucket, prefix+name, minio.RemoveObjectOptions{})
		})
	}
	if _, err := blob.Put(ctx, s, "good", strings.NewReader("ok")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := s.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "good" {
		t.Errorf("List = %q, want only good", keys)
	}
}

func testMissingBucket(t *testing.T, p *peer) {
	cfg := p.cfg
	cfg.Bucket = randomPrefix("preau-missing-")
	if _, err := s3blob.New(t.Context(), cfg); !core.IsKind(err, core.Invalid) {
		t.Errorf("New with a missing bucket = %v, want Invalid", err)
	}
}
