// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob_test

import (
	"net"
	"net/http/httptest"
	"testing"

	"github.com/preau/preau/internal/blob/s3blob"
	"github.com/preau/preau/internal/blob/s3blob/s3fake"
	"github.com/preau/preau/internal/core"
)

// TestFake runs everything against the in-process fake S3 server, with list
// pages of 3 keys to exercise continuation, and checks that no multipart
// upload is left behind.
func TestFake(t *testing.T) {
	fake := s3fake.New()
	fake.MaxKeys = 3
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.CreateBucket("preau")
	p := newPeer(t, s3blob.Config{
		Endpoint:  srv.URL, // http://127.0.0.1:port
		Bucket:    "preau",
		AccessKey: "fake-access",
		SecretKey: "fake-secret",
		PartSize:  s3blob.MinPartSize,
	})
	t.Run("All", func(t *testing.T) { runAll(t, p) })
	if n := fake.Uploads(); n != 0 {
		t.Errorf("%d multipart uploads left in the fake", n)
	}
	if objs := fake.Objects("preau"); len(objs) != 0 {
		t.Errorf("objects left in the fake: %q", objs)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, err = s3blob.New(t.Context(), s3blob.Config{
		Endpoint: addr, Insecure: true, Region: "us-east-1", Bucket: "bucket",
		AccessKey: "a", SecretKey: "s", MaxRetries: 1,
	})
	if !core.IsKind(err, core.Unavailable) {
		t.Errorf("New with no server = %v, want Unavailable", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := s3blob.Config{Bucket: "b", AccessKey: "a", SecretKey: "s"}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", good, err)
	}
	tests := []struct {
		name string
		edit func(*s3blob.Config)
	}{
		{"no bucket", func(c *s3blob.Config) { c.Bucket = "" }},
		{"no access key", func(c *s3blob.Config) { c.AccessKey = "" }},
		{"no secret key", func(c *s3blob.Config) { c.SecretKey = "" }},
		{"part too small", func(c *s3blob.Config) { c.PartSize = 1 << 20 }},
		{"part too large", func(c *s3blob.Config) { c.PartSize = 2 << 30 }},
		{"bad prefix", func(c *s3blob.Config) { c.Prefix = "a//b" }},
		{"prefix with slash", func(c *s3blob.Config) { c.Prefix = "a/" }},
		{"long prefix", func(c *s3blob.Config) { c.Prefix = string(make([]byte, 64)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			if err := cfg.Validate(); !core.IsKind(err, core.Invalid) {
				t.Errorf("Validate = %v, want Invalid", err)
			}
		})
	}
}
