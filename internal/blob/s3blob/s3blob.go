// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package s3blob is a blob.Store on S3-compatible object storage (Ceph RGW,
// Garage, SeaweedFS, MinIO, VersityGW, AWS …), for académie deployments
// where several stateless nodes share one bucket. It uses minio-go v7.
//
// Key "a/b" is the object <Prefix>a/b in the bucket. Objects outside the
// prefix, or whose names are not valid keys, are ignored by List.
//
// Uploads stream; memory use per Writer is bounded by the part size P
// (Config.PartSize, default 16 MiB):
//
//   - An object of at most P bytes is buffered in memory as it is written
//     (the buffer grows with the data, so a 2 KiB mail body costs about
//     2 KiB) and sent by Commit in one PUT.
//   - A larger object is sent as a multipart upload while it is written:
//     minio-go holds one P-byte part buffer, fed through an io.Pipe; for a
//     moment, when the Writer switches to this mode, it holds 2P. Commit
//     completes the upload; Close without Commit aborts it, so no object
//     appears. P also bounds the object size: 10,000 parts, 156 GiB at the
//     default. A crash leaves an incomplete upload behind, invisible but
//     billed; Clean aborts old ones (and so do bucket lifecycle rules with
//     AbortIncompleteMultipartUpload).
//
// Known server issue: VersityGW v1.8.0 (posix back end) removes the folders a
// DELETE leaves empty, and a concurrent PUT that needs one of them may fail
// with a spurious 409, which s3blob reports as core.Conflict.
//
// Only internal/app and tests import s3blob; other packages use blob.Store.
package s3blob

import (
	"context"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// Part sizes. S3 refuses parts under 5 MiB (except the last one).
const (
	DefaultPartSize = 16 << 20
	MinPartSize     = 5 << 20
	MaxPartSize     = 1 << 30 // a sanity limit: each large upload holds one part in memory
)

// Config configures a Store.
type Config struct {
	// Endpoint is host[:port], or a URL http://host[:port] or
	// https://host[:port] whose scheme overrides Insecure. Empty means
	// s3.amazonaws.com.
	Endpoint string
	// Insecure selects plain HTTP instead of HTTPS. Use it only for a
	// loopback or trusted-LAN peer.
	Insecure bool
	// Region is the signing region; empty means the region the server
	// reports for the bucket.
	Region string
	// Bucket must exist.
	Bucket string
	// Prefix, if not empty, is prepended (with a "/") to every key. It must
	// be a valid key (see blob.ValidKey) of at most blob.MaxPrefixLen-1 bytes.
	Prefix string
	// AccessKey and SecretKey (and SessionToken, for temporary credentials)
	// sign requests.
	AccessKey, SecretKey, SessionToken string
	// PartSize is the multipart part size in bytes (see the package doc);
	// 0 means DefaultPartSize.
	PartSize int64
	// Transport, if not nil, carries the HTTP requests (tests, proxies).
	Transport http.RoundTripper
	// MaxRetries bounds the attempts of one request (with backoff); 0
	// means minio-go's default of 10.
	MaxRetries int
	// Clock dates debris for Clean; nil means core.SystemClock.
	Clock core.Clock
}

// Validate returns a core.Invalid error if the Config cannot work.
func (c Config) Validate() error {
	const op = "s3blob.Config"
	switch {
	case c.Bucket == "":
		return core.E(op, core.Invalid, "S3 bucket not set")
	case c.AccessKey == "" || c.SecretKey == "":
		return core.E(op, core.Invalid, "S3 credentials not set")
	case c.PartSize != 0 && (c.PartSize < MinPartSize || c.PartSize > MaxPartSize):
		return core.E(op, core.Invalid, "S3 part size must be between 5 MiB and 1 GiB")
	case len(c.Prefix) >= blob.MaxPrefixLen:
		return core.E(op, core.Invalid, "S3 key prefix longer than %d bytes", blob.MaxPrefixLen-1)
	}
	if c.Prefix != "" {
		if err := blob.ValidKey(c.Prefix); err != nil {
			return core.E(op, core.Invalid, "invalid S3 key prefix: %s", core.MessageOf(err))
		}
	}
	return nil
}

// Store is a blob.Store in an S3 bucket. It is safe for concurrent use, also
// by several processes sharing the bucket.
type Store struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or ends with "/"
	partSize int64
	clock    core.Clock
	inflight inflight
}

// type check
var (
	_ blob.Store   = (*Store)(nil)
	_ blob.Cleaner = (*Store)(nil)
)

// New returns a Store for cfg. It checks that the bucket exists, so that a
// wrong endpoint, credential or bucket shows at startup: Unavailable if the
// server does not answer, Invalid if the bucket does not exist, Internal for
// the rest (such as refused credentials).
func New(ctx context.Context, cfg Config) (*Store, error) {
	const op = "s3blob.New"
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	endpoint, secure := cfg.Endpoint, !cfg.Insecure
	switch {
	case endpoint == "":
		endpoint = "s3.amazonaws.com"
	case strings.HasPrefix(endpoint, "http://"):
		endpoint, secure = strings.TrimPrefix(endpoint, "http://"), false
	case strings.HasPrefix(endpoint, "https://"):
		endpoint, secure = strings.TrimPrefix(endpoint, "https://"), true
	}
	client, err := minio.New(strings.TrimSuffix(endpoint, "/"), &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken),
		Secure:     secure,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, core.Wrap(op, core.Invalid, err)
	}
	s := &Store{client: client, bucket: cfg.Bucket, partSize: cfg.PartSize, clock: cfg.Clock}
	if s.partSize == 0 {
		s.partSize = DefaultPartSize
	}
	if s.clock == nil {
		s.clock = core.SystemClock{}
	}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s3Error(op, err)
	}
	if !ok {
		return nil, core.E(op, core.Invalid, "S3 bucket %q does not exist", cfg.Bucket)
	}
	return s, nil
}

// Stat implements blob.Store.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidKey(key); err != nil {
		return blob.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if err != nil {
		return blob.Info{}, s3Error("s3blob.Stat", err)
	}
	return blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified.UTC()}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(s3Error("", err)) {
		return s3Error("s3blob.Delete", err)
	}
	return nil
}

// List implements blob.Store with ListObjectsV2, which returns keys in
// lexical order.
func (s *Store) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := blob.ValidPrefix(prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx) // stops minio-go's lister on early return
	defer cancel()
	objs := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix:    s.prefix + prefix,
		Recursive: true,
	})
	for oi := range objs {
		if oi.Err != nil {
			return s3Error("s3blob.List", oi.Err)
		}
		key := strings.TrimPrefix(oi.Key, s.prefix)
		if blob.ValidKey(key) != nil {
			continue // a foreign object, or a "folder/" marker
		}
		if err := fn(blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified.UTC()}); err != nil {
			return err
		}
	}
	return ctx.Err()
}
