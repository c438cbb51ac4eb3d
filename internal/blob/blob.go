// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package blob defines how Préau keeps large objects: WebDAV files, mail
// bodies, backups, signage media and log segments. The SQL store keeps only
// their metadata.
//
// A [Store] holds immutable named objects and streams them in and out, so that
// no object is ever held whole in memory. Two back ends implement it:
//
//   - fsblob: a local folder (the default on a school box). Writes go to a
//     temporary file that is synced and renamed into place.
//   - s3blob: S3-compatible object storage (an académie cluster: Ceph RGW,
//     Garage, SeaweedFS, MinIO, VersityGW …).
//
// blobtest holds the conformance suite both back ends pass and an in-memory
// MemStore for other packages' tests. bloburl turns the --blobs URL into a
// Store; its URL format is:
//
//	""                      the "blobs" folder inside the data folder
//	/srv/preau/blobs        a local folder (a relative path is taken from the working directory)
//	file:///srv/preau/blobs the same, as a URL
//	s3://bucket/prefix?endpoint=host:port&region=r&insecure=1&part_mib=16
//
// For s3://, the optional path after the bucket is a key prefix shared by all
// objects; endpoint defaults to s3.amazonaws.com; region defaults to what the
// server reports; insecure=1 means plain HTTP (for a loopback or LAN peer
// only); part_mib is the multipart part size in MiB (default 16, at least 5).
// Credentials come from the environment: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN, or the same names
// with a _FILE suffix naming a file that holds the value.
//
// Bloburl is a separate package, and not a blob.Open function as first
// planned, for two reasons: blob.Open would import fsblob and s3blob, which
// import blob (a cycle); and every package that only needs the Store interface
// would then link minio-go into its test binary.
//
// Package blob imports only internal/core and the standard library. Any
// package may import it.
package blob

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/preau/preau/internal/core"
)

// Store holds immutable named objects. Keys are slash-separated relative
// paths of [a-zA-Z0-9._-] components, at most MaxKeyLen (960) bytes long (see
// [ValidKey]); an invalid key gives a core.Invalid error from every method.
// Implementations are safe for concurrent use.
//
// A key cannot name both an object and a "folder" of other objects: creating
// "a/b" while "a" exists, or "a" while "a/b" exists, may fail with
// core.Conflict (fsblob and blobtest.MemStore refuse it; S3 may accept it).
// Callers choose key layouts where no object key is a path prefix of another,
// for example a fixed depth or a content hash as the last component.
type Store interface {
	// Create returns a Writer for key. The data becomes visible only when
	// Commit returns nil, and an existing object under key is then replaced
	// atomically: a reader sees the old object or the new one, never a mix.
	// Close without Commit discards the data. ctx bounds the life of the
	// Writer: once it is done, Commit fails and nothing is stored.
	Create(ctx context.Context, key string) (Writer, error)

	// Open returns a reader over the object under key and its Info. The
	// reader sees one version of the object even if it is replaced while
	// being read (on S3 a read after such a replacement may fail instead).
	// It can seek, for HTTP range requests. The caller must close it. Open
	// returns a core.NotFound error if there is no such object.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, Info, error)

	// Stat returns the Info of the object under key, or a core.NotFound
	// error if there is none.
	Stat(ctx context.Context, key string) (Info, error)

	// Delete removes the object under key. It returns nil if there is none.
	Delete(ctx context.Context, key string) error

	// List calls fn for each object whose key starts with prefix, in
	// lexical (byte) order of keys. prefix need not be a whole key or end
	// with "/": "" lists everything and "mail/ab" matches "mail/abc". A
	// prefix that no valid key can start with gives core.Invalid (see
	// [ValidPrefix]). If fn returns an error, List stops and returns that
	// error unchanged. Objects created or deleted during List may or may
	// not be seen.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Writer receives the content of one object. It is not safe for concurrent
// use. Exactly one of Commit or Close ends it; calling Close after Commit (as
// a deferred Close does) is harmless.
type Writer interface {
	// Write appends p to the object. A failed Write leaves the Writer
	// failed: Commit then returns the error and stores nothing.
	io.Writer

	// Commit makes the object visible under its key, replacing any former
	// object atomically, and returns once it is durable. On error the
	// former state stays, except that a failure to make an already
	// published object durable (fsblob's folder sync) leaves it visible.
	// After Commit, Write and Commit return ErrClosed.
	Commit() error

	// Close discards the data unless Commit succeeded first. It returns
	// nil when called again or after Commit. The back end may take a
	// moment to clean up (an S3 multipart upload is aborted), and Close
	// waits for that.
	Close() error
}

// Info describes a stored object.
type Info struct {
	Key     string    // the key, without any back-end prefix
	Size    int64     // length in bytes
	ModTime time.Time // when the object was committed, as the back end saw it
}

// Cleaner is implemented by stores that can leave debris behind after a
// crash: fsblob's stray temporary files, s3blob's incomplete multipart
// uploads. A maintenance job calls Clean now and then; it removes debris
// older than olderThan that no Writer of this process is using, and returns
// how many items it removed.
type Cleaner interface {
	Clean(ctx context.Context, olderThan time.Duration) (int, error)
}

// ErrClosed is returned by Write and Commit on a Writer that has already been
// committed or closed.
var ErrClosed = errors.New("blob writer already committed or closed")

// Put stores everything read from r under key and returns the number of
// bytes stored. On any error nothing is stored (or the former object stays).
// Errors have the kinds of Store.Create and Writer.Commit; a failed read from
// r is Internal.
func Put(ctx context.Context, s Store, key string, r io.Reader) (int64, error) {
	w, err := s.Create(ctx, key)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	n, err := io.Copy(w, r)
	if err != nil {
		return 0, core.Wrap("blob.Put", core.KindOf(err), err)
	}
	if err := w.Commit(); err != nil {
		return 0, err
	}
	return n, nil
}
