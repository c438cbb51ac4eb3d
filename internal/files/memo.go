// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"sync"
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
