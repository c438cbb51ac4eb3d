// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"sync"

	"github.com/preau/preau/internal/core"
)

// A request memo keeps, for the length of one request, what the service
// reads again and again while serving it: the caller's memberships, the
// caller's personal space and the quota limits of spaces. A WebDAV PUT
// resolves its path five times (quota precheck, the folder, the file, the
// upload, the warning check); without the memo each resolution read the
// memberships, the space and the person anew. Nothing outlives the request,
// so a membership or quota change applies from the next request on; content
// (nodes, usage) is never memoised, and the quota stays enforced atomically
// by the store's commit.
type memo struct {
	mu     sync.Mutex
	caller *caller
	home   *Space // the caller's personal space as first read (its usage may be a moment old)
	limits map[string]int64
	// nodes memoises path lookups (FindChild) of an upload request until
	// its Put has resolved its target: x/net's PUT resolves the same path
	// for the lock check, the folder, the file and the upload. Put turns it
	// off before storing anything, so nothing after a write reads it.
	nodesOn bool
	nodes   map[string]nodeLookup
}

type nodeLookup struct {
	n   *Node
	err error
}

type memoKey struct{}

// WithRequestMemo returns a context under which the service memoises what
// one request reads repeatedly. davd wraps every request; a context without
// it works as before.
func WithRequestMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{})
}

func memoOf(ctx context.Context) *memo {
	m, _ := ctx.Value(memoKey{}).(*memo)
	return m
}

// WithUploadMemo is WithRequestMemo for a request whose only write is one
// Put (a WebDAV PUT): path lookups are memoised too, until that Put.
func WithUploadMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &memo{nodesOn: true})
}

// findChild is Store.FindChild through the request's node memo.
func (s *Service) findChild(ctx context.Context, space, parent, name string) (*Node, error) {
	m := memoOf(ctx)
	if m == nil {
		return s.st.FindChild(ctx, space, parent, name)
	}
	key := space + "/" + parent + "/" + name
	m.mu.Lock()
	on := m.nodesOn
	l, ok := m.nodes[key]
	m.mu.Unlock()
	if !on {
		return s.st.FindChild(ctx, space, parent, name)
	}
	if ok {
		if l.n != nil {
			cp := *l.n
			return &cp, nil
		}
		return nil, l.err
	}
	n, err := s.st.FindChild(ctx, space, parent, name)
	if err == nil || core.IsKind(err, core.NotFound) {
		l := nodeLookup{err: err}
		if n != nil {
			cp := *n
			l.n = &cp
		}
		m.mu.Lock()
		if m.nodesOn {
			if m.nodes == nil {
				m.nodes = map[string]nodeLookup{}
			}
			m.nodes[key] = l
		}
		m.mu.Unlock()
	}
	return n, err
}

// stopNodeMemo turns the node memo off: the request is about to write.
func stopNodeMemo(ctx context.Context) {
	if m := memoOf(ctx); m != nil {
		m.mu.Lock()
		m.nodesOn, m.nodes = false, nil
		m.mu.Unlock()
	}
}
