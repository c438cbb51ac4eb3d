// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// Open implements blob.Store with one GET, whose response the reader then
// streams. After a Seek, the next Read issues a ranged GET that requires the
// same ETag, so a reader never mixes two versions: if the object was
// replaced meanwhile, that Read fails with core.Conflict.
//
// (minio-go's *minio.Object would cost a HEAD before the GET, and fail when
// the object is replaced between the two.)
func (s *Store) Open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Info, error) {
	const op = "s3blob.Open"
	if err := blob.ValidKey(key); err != nil {
		return nil, blob.Info{}, err
	}
	mc := minio.Core{Client: s.client}
	body, oi, _, err := mc.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, blob.Info{}, s3Error(op, err)
	}
	r := &reader{ctx: ctx, mc: mc, bucket: s.bucket, name: s.prefix + key,
		etag: oi.ETag, size: oi.Size, body: body}
	return r, blob.Info{Key: key, Size: oi.Size, ModTime: oi.LastModified.UTC()}, nil
}

type reader struct {
	ctx          context.Context
	mc           minio.Core
	bucket, name string
	etag         string
	size         int64
	off          int64
	body         io.ReadCloser // nil after a Seek, until the next Read
	closed       bool
}

func (r *reader) Read(p []byte) (int, error) {
	const op = "s3blob.Read"
	switch {
	case r.closed:
		return 0, core.E(op, core.Internal, "read after close")
	case r.off >= r.size:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	if r.body == nil {
		opts := minio.GetObjectOptions{}
		if r.etag != "" {
			opts.SetMatchETag(r.etag)
		}
		if r.off > 0 {
			opts.SetRange(r.off, 0)
		}
		body, _, _, err := r.mc.GetObject(r.ctx, r.bucket, r.name, opts)
		if err != nil {
			if minio.ToErrorResponse(err).StatusCode == http.StatusPreconditionFailed {
				return 0, &core.Error{Op: op, Kind: core.Conflict, Msg: "the object changed while being read", Err: err}
			}
			return 0, s3Error(op, err)
		}
		r.body = body
	}
	n, err := r.body.Read(p)
	r.off += int64(n)
	switch {
	case err == io.EOF && r.off < r.size:
		err = io.ErrUnexpectedEOF
	case err != nil && err != io.EOF:
		err = s3Error(op, err)
	}
	return n, err
}

func (r *reader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, core.E("s3blob.Seek", core.Internal, "seek after close")
	}
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	case io.SeekStart:
	default:
		return 0, errors.New("s3blob: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("s3blob: seek before the start")
	}
	if offset != r.off && r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.off = offset
	return offset, nil
}

func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}
