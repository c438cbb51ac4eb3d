// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"

	"github.com/preau/preau/internal/core"
)

// InlineMax is the default largest file content kept in the database rather
// than in the blob store (Config.InlineMax). Such a file is written in the
// transaction that publishes its node: one durable commit (SQLite's WAL
// synced, synchronous=FULL; PostgreSQL's commit) instead of a blob file's
// creation, its sync, its folder's sync and then the commit. Small files are
// most of a school's files by count and few of its bytes; 16 KiB keeps the
// database (and its backups) small — a school with 2,000 people each owning
// 1,000 such files adds at most 32 GB, typically a few GB — while holding
// text, notes, small scripts and most pupils' short documents. Larger
// content streams to the blob store as before.
const InlineMax = 16 << 10

// InlinePrefix starts the key of a content kept in the database (the
// blob_key of its nodes and versions). It is never a valid blob.Store key
// (':' is not allowed there), so no such key can reach the blob store.
const InlinePrefix = "inline:"

// IsInline reports whether a content key names a content kept in the database.
func IsInline(key string) bool { return strings.HasPrefix(key, InlinePrefix) }

func inlineKey() string { return InlinePrefix + core.NewID() }

// inlineMax is the configured inline limit, -1 when off.
func (s *Service) inlineMax() int64 {
	if s.cfg.InlineMax < 0 {
		return -1
	}
	return s.cfg.InlineMax
}

// openContent is the one way to read a stored content by its key, wherever
// it lives: the database for inline keys, the blob store otherwise. Every
// reader of file content (downloads, ranges, zip, the antivirus, the scrub)
// goes through it.
func (s *Service) openContent(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if IsInline(key) {
		data, err := s.st.ReadInline(ctx, key)
		if err != nil {
			return nil, err
		}
		return nopSeekCloser{bytes.NewReader(data)}, nil
	}
	rc, _, err := s.blobs.Open(ctx, key)
	return rc, err
}

// bufPool holds the buffers small uploads are read into (InlineMax+1 bytes
// by default; a larger configured limit allocates its own).
var bufPool = sync.Pool{New: func() any { b := make([]byte, InlineMax+1); return &b }}

func getBuf(n int64) (*[]byte, bool) {
	if n+1 <= InlineMax+1 {
		return bufPool.Get().(*[]byte), true
	}
	b := make([]byte, n+1)
	return &b, false
}

// readSmall reads r into buf until EOF or buf is full. It returns the bytes
// read and whether r ended (false: the content is larger than buf). Only
// io.EOF ends the content: a reader failing with io.ErrUnexpectedEOF (an
// HTTP body cut short) is an error, not a shorter file.
func readSmall(r io.Reader, buf []byte) (int, bool, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
