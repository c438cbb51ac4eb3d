// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blobtest

import (
	"bytes"
	"context"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// MemStore is a blob.Store in memory, for tests of packages that store
// objects. It passes Suite. Like fsblob, and so stricter than S3, it refuses
// a key that is a path prefix of another ("a" beside "a/b") with
// core.Conflict, so that tests catch key layouts that fail on a folder. It is
// safe for concurrent use. The zero value is not usable; call NewMemStore.
type MemStore struct {
	clock core.Clock

	mu   sync.Mutex
	objs map[string]memObject
}

type memObject struct {
	data []byte
	info blob.Info
}

// type check
var _ blob.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore whose ModTimes come from clock; a nil
// clock means core.SystemClock.
func NewMemStore(clock core.Clock) *MemStore {
	if clock == nil {
		clock = core.SystemClock{}
	}
	return &MemStore{clock: clock, objs: make(map[string]memObject)}
}

// Create implements blob.Store.
func (m *MemStore) Create(ctx context.Context, key string) (blob.Writer, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, core.Wrap("blobtest.Create", core.Unavailable, err)
	}
	return &memWriter{m: m, ctx: ctx, key: key}, nil
}

// Open implements blob.Store. The reader holds a snapshot of the content.
func (m *MemStore) Open(ctx context.Context, key string) (io.ReadSeekCloser, blob.Info, error) {
	o, err := m.get(key)
	if err != nil {
		return nil, blob.Info{}, err
	}
	return nopCloser{bytes.NewReader(o.data)}, o.info, nil
}

// Stat implements blob.Store.
func (m *MemStore) Stat(ctx context.Context, key string) (blob.Info, error) {
	o, err := m.get(key)
	return o.info, err
}

func (m *MemStore) get(key string) (memObject, error) {
	if err := blob.ValidKey(key); err != nil {
		return memObject{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return memObject{}, core.E("blobtest.Open", core.NotFound, "no such object")
	}
	return o, nil
}

// Delete implements blob.Store.
func (m *MemStore) Delete(ctx context.Context, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.objs, key)
	m.mu.Unlock()
	return nil
}

// List implements blob.Store. It calls fn without holding the lock, on a
// snapshot of the matching Infos.
func (m *MemStore) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	if err := blob.ValidPrefix(prefix); err != nil {
		return err
	}
	m.mu.Lock()
	var infos []blob.Info
	for k, o := range m.objs {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, o.info)
		}
	}
	m.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Key < infos[j].Key })
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// Len returns the number of objects, for tests.
func (m *MemStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.objs)
}

// commit stores data under key unless that breaks the folder rule.
func (m *MemStore) commit(key string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range len(key) {
		if key[i] == '/' {
			if _, ok := m.objs[key[:i]]; ok {
				return core.E("blobtest.Commit", core.Conflict, "an object is in the way of this key")
			}
		}
	}
	for k := range m.objs {
		if strings.HasPrefix(k, key+"/") {
			return core.E("blobtest.Commit", core.Conflict, "objects exist under this key")
		}
	}
	info := blob.Info{Key: key, Size: int64(len(data)), ModTime: m.clock.Now()}
	m.objs[key] = memObject{data: data, info: info}
	return nil
}

type memWriter struct {
	m   *MemStore
	ctx context.Context
	key string
	buf bytes.Buffer
	err error
	end bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.end {
		return 0, blob.ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	if err := w.ctx.Err(); err != nil {
		w.err = core.Wrap("blobtest.Write", core.Unavailable, err)
		return 0, w.err
	}
	return w.buf.Write(p)
}

func (w *memWriter) Commit() error {
	if w.end {
		return blob.ErrClosed
	}
	w.end = true
	if w.err != nil {
		return w.err
	}
	if err := w.ctx.Err(); err != nil {
		return core.Wrap("blobtest.Commit", core.Unavailable, err)
	}
	return w.m.commit(w.key, bytes.Clone(w.buf.Bytes()))
}

func (w *memWriter) Close() error {
	w.end = true
	w.buf = bytes.Buffer{}
	return nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
