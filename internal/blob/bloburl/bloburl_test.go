// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package bloburl_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/blob/s3blob"
	"github.com/preau/preau/internal/blob/s3blob/s3fake"
	"github.com/preau/preau/internal/core"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var creds = env(map[string]string{"AWS_ACCESS_KEY_ID": "ak", "AWS_SECRET_ACCESS_KEY": "sk"})

func TestParseFolder(t *testing.T) {
	t.Parallel()
	wd, _ := os.Getwd()
	tests := []struct {
		url, dataDir, want string
	}{
		{"", "/var/lib/preau", "/var/lib/preau/blobs"},
		{"/srv/blobs", "/ignored", "/srv/blobs"},
		{"blobs", "", filepath.Join(wd, "blobs")},
		{"file:///srv/blobs", "", "/srv/blobs"},
		{"file://localhost/srv/blobs/", "", "/srv/blobs"},
	}
	for _, tc := range tests {
		got, err := bloburl.Parse(tc.url, tc.dataDir, creds)
		if err != nil || got.FS == nil || got.S3 != nil || got.FS.Dir != tc.want {
			t.Errorf("Parse(%q, %q) = %+v, %v; want folder %s", tc.url, tc.dataDir, got, err, tc.want)
		}
	}
}

func TestParseS3(t *testing.T) {
	t.Parallel()
	got, err := bloburl.Parse("s3://school-blobs/preau/lyc-0750001a?endpoint=s3.ac-paris.fr:9000&region=paris&insecure=1&part_mib=32", "", creds)
	if err != nil || got.S3 == nil || got.FS != nil {
		t.Fatalf("Parse = %+v, %v", got, err)
	}
	want := s3blob.Config{Endpoint: "s3.ac-paris.fr:9000", Insecure: true, Region: "paris",
		Bucket: "school-blobs", Prefix: "preau/lyc-0750001a", AccessKey: "ak", SecretKey: "sk", PartSize: 32 << 20}
	if *got.S3 != want {
		t.Errorf("Parse = %+v\nwant    %+v", *got.S3, want)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ak"), []byte("from-file\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "sk"), []byte("secret-from-file\r\n"), 0o600)
	fileEnv := env(map[string]string{
		"AWS_ACCESS_KEY_ID_FILE":     filepath.Join(dir, "ak"),
		"AWS_SECRET_ACCESS_KEY_FILE": filepath.Join(dir, "sk"),
		"AWS_SESSION_TOKEN":          "tok",
	})
	got, err = bloburl.Parse("s3://bucket", "/data", fileEnv)
	if err != nil || got.S3.AccessKey != "from-file" || got.S3.SecretKey != "secret-from-file" ||
		got.S3.SessionToken != "tok" || got.S3.Prefix != "" {
		t.Errorf("Parse with _FILE secrets = %+v, %v", got.S3, err)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	both := env(map[string]string{"AWS_ACCESS_KEY_ID": "ak", "AWS_ACCESS_KEY_ID_FILE": "/x",
		"AWS_SECRET_ACCESS_KEY": "sk"})
	missingFile := env(map[string]string{"AWS_ACCESS_KEY_ID_FILE": "/nonexistent/preau",
		"AWS_SECRET_ACCESS_KEY": "sk"})
	tests := []struct {
		name, url string
		getenv    func(string) string
	}{
		{"no url no data", "", creds},
		{"unknown scheme", "gs://bucket", creds},
		{"file with host", "file://server/srv", creds},
		{"relative file url", "file://blobs", creds},
		{"s3 no bucket", "s3:///prefix", creds},
		{"s3 credentials in url", "s3://ak:sk@bucket", creds},
		{"s3 unknown param", "s3://bucket?endpiont=x", creds},
		{"s3 bad insecure", "s3://bucket?insecure=maybe", creds},
		{"s3 bad part", "s3://bucket?part_mib=x", creds},
		{"s3 small part", "s3://bucket?part_mib=1", creds},
		{"s3 bad prefix", "s3://bucket/a//b", creds},
		{"s3 no credentials", "s3://bucket", env(nil)},
		{"s3 both value and file", "s3://bucket", both},
		{"s3 missing secret file", "s3://bucket", missingFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bloburl.Parse(tc.url, "", tc.getenv)
			if !core.IsKind(err, core.Invalid) {
				t.Fatalf("Parse(%q) = %v, want Invalid", tc.url, err)
			}
			if strings.Contains(err.Error(), "sk") && strings.Contains(tc.url, "sk@") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := t.TempDir()
	fs, err := bloburl.Open(ctx, "", dataDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Put(ctx, fs, "k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "blobs", "k")); err != nil {
		t.Errorf("object not in <data>/blobs: %v", err)
	}

	fake := s3fake.New()
	fake.CreateBucket("preau")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	s3, err := bloburl.Open(ctx, "s3://preau/school?insecure=1&endpoint="+host, "", creds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blob.Put(ctx, s3, "k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	if objs := fake.Objects("preau"); len(objs) != 1 || objs[0] != "school/k" {
		t.Errorf("objects in the bucket: %q, want school/k", objs)
	}
	if s, err := bloburl.Open(ctx, "s3://missing?insecure=1&endpoint="+host, "", creds); s != nil || !core.IsKind(err, core.Invalid) {
		t.Errorf("Open of a missing bucket = %v, %v; want nil and Invalid", s, err)
	}
}
