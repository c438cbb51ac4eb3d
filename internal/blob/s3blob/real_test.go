// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob_test

import (
	"os"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/preau/preau/internal/blob/s3blob"
)

// realEnv names the variables that point the tests at a real S3 server;
// .ci/s3.sh starts one (VersityGW) and prints them.
var realEnv = []string{
	"PREAU_TEST_S3_ENDPOINT", // host:port or http(s)://host:port
	"PREAU_TEST_S3_ACCESS_KEY",
	"PREAU_TEST_S3_SECRET_KEY",
	"PREAU_TEST_S3_BUCKET", // created if missing
}

// TestReal runs everything against the real S3 server named by
// PREAU_TEST_S3_*. Without them it skips, or fails when PREAU_TEST_STRICT=1
// (CI), so that a missing peer cannot pass unnoticed. Every Store uses its own
// random prefix under preau-test/, and removes its objects at the end.
func TestReal(t *testing.T) {
	for _, v := range realEnv {
		if os.Getenv(v) != "" {
			continue
		}
		msg := "the real S3 peer is missing: " + v + " is not set (need " +
			"PREAU_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY and _BUCKET; " +
			`eval "$(.ci/s3.sh start)" starts VersityGW and prints them)`
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("PREAU_TEST_STRICT=1 but " + msg)
		}
		t.Skip(msg)
	}
	p := newPeer(t, s3blob.Config{
		Endpoint:  os.Getenv("PREAU_TEST_S3_ENDPOINT"),
		Bucket:    os.Getenv("PREAU_TEST_S3_BUCKET"),
		AccessKey: os.Getenv("PREAU_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("PREAU_TEST_S3_SECRET_KEY"),
		Region:    os.Getenv("PREAU_TEST_S3_REGION"), // optional
		PartSize:  s3blob.MinPartSize,
	})
	ctx := t.Context()
	ok, err := p.client.BucketExists(ctx, p.cfg.Bucket)
	if err != nil {
		t.Fatalf("reaching the real S3 peer at %s: %v", p.cfg.Endpoint, err)
	}
	if !ok {
		err := p.client.MakeBucket(ctx, p.cfg.Bucket, minio.MakeBucketOptions{Region: p.cfg.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" {
			t.Fatalf("creating bucket %s: %v", p.cfg.Bucket, err)
		}
	}
	// Keep the folder above the test prefixes from ever emptying. VersityGW's
	// posix back end removes the folders a DELETE leaves empty, and a PUT
	// that creates a folder under one being removed fails with a spurious
	// 409 ExistingObjectIsDirectory (v1.8.0: PutObject maps every mkdir
	// error to it). Tests in parallel would hit that race now and then.
	_, err = p.client.PutObject(ctx, p.cfg.Bucket, "preau-test/keep", strings.NewReader(""), 0, minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("putting preau-test/keep: %v", err)
	}
	runAll(t, p)
}
