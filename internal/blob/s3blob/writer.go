// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/minio/minio-go/v7"

	"github.com/preau/preau/internal/blob"
)

// errAborted ends the upload of a Writer closed without Commit.
var errAborted = errors.New("s3blob: writer closed without commit")

// Create implements blob.Store. It sends nothing yet: see the package doc.
func (s *Store) Create(ctx context.Context, key string) (blob.Writer, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, s3Error("s3blob.Create", err)
	}
	name := s.prefix + key
	s.inflight.add(name)
	return &writer{s: s, ctx: ctx, name: name}, nil
}

// writer buffers up to partSize bytes, then switches to a streaming
// multipart upload run by a goroutine that reads from a pipe.
type writer struct {
	s    *Store
	ctx  context.Context
	name string
	buf  []byte
	pw   *io.PipeWriter // nil until streaming
	res  chan error     // the streaming goroutine's result
	err  error          // sticky write error
	end  bool
}

func (w *writer) opts() minio.PutObjectOptions {
	return minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    uint64(w.s.partSize),
	}
}

func (w *writer) Write(p []byte) (int, error) {
	switch {
	case w.end:
		return 0, blob.ErrClosed
	case w.err != nil:
		return 0, w.err
	}
	if w.pw == nil {
		if int64(len(w.buf)+len(p)) <= w.s.partSize {
			w.grow(len(p))
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		w.stream()
		buf := w.buf
		w.buf = nil
		if _, err := w.pw.Write(buf); err != nil {
			w.err = s3Error("s3blob.Write", err)
			return 0, w.err
		}
	}
	n, err := w.pw.Write(p)
	if err != nil {
		w.err = s3Error("s3blob.Write", err)
	}
	return n, w.err
}

// grow makes room for n more bytes, doubling the buffer but never beyond
// the part size, so that a small object costs about its size.
func (w *writer) grow(n int) {
	need := len(w.buf) + n
	if need <= cap(w.buf) {
		return
	}
	c := max(need, min(2*cap(w.buf), int(w.s.partSize)), 512)
	nb := make([]byte, len(w.buf), c)
	copy(nb, w.buf)
	w.buf = nb
}

// stream starts the multipart upload goroutine.
func (w *writer) stream() {
	pr, pw := io.Pipe()
	w.pw, w.res = pw, make(chan error, 1)
	go func() {
		// PutObject returns nil only after reading EOF, that is after
		// Commit closed the pipe.
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.name, pr, -1, w.opts())
		pr.CloseWithError(err) // a nil err makes later Writes fail with io.ErrClosedPipe
		w.res <- err
	}()
}

// Commit sends the buffered object in one PUT, or ends the stream so that
// minio-go completes the multipart upload.
func (w *writer) Commit() error {
	const op = "s3blob.Commit"
	if w.end {
		return blob.ErrClosed
	}
	w.end = true
	defer w.s.inflight.remove(w.name)
	if w.err != nil {
		w.abort()
		return w.err
	}
	if w.pw == nil {
		buf := w.buf
		w.buf = nil
		if err := w.ctx.Err(); err != nil {
			return s3Error(op, err)
		}
		_, err := w.s.client.PutObject(w.ctx, w.s.bucket, w.name, bytes.NewReader(buf), int64(len(buf)), w.opts())
		return s3Error(op, err)
	}
	w.pw.Close()
	return s3Error(op, <-w.res)
}

// Close aborts the upload unless Commit ran, and waits until minio-go has
// aborted the multipart upload, if one was started.
func (w *writer) Close() error {
	if w.end {
		return nil
	}
	w.end = true
	w.buf = nil
	w.abort()
	w.s.inflight.remove(w.name)
	return nil
}

func (w *writer) abort() {
	if w.pw != nil {
		w.pw.CloseWithError(errAborted)
		<-w.res
	}
}

// inflight counts the object names that Writers of this process are
// uploading, so that Clean spares their multipart uploads.
type inflight struct {
	mu    sync.Mutex
	names map[string]int
}

func (f *inflight) add(name string) {
	f.mu.Lock()
	if f.names == nil {
		f.names = make(map[string]int)
	}
	f.names[name]++
	f.mu.Unlock()
}

func (f *inflight) remove(name string) {
	f.mu.Lock()
	if f.names[name]--; f.names[name] <= 0 {
		delete(f.names, name)
	}
	f.mu.Unlock()
}

func (f *inflight) has(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.names[name] > 0
}
