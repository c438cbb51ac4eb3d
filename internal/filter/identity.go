// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"context"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
)

// Identity is who a filtered request belongs to: from proxy credentials,
// or from the portal login that bound the client's address (INF-AUT-1).
type Identity struct {
	PersonID      string
	Login         string
	Establishment string
	Profile       core.Profile
	Groups        []string // group codes: class, teaching groups, disciplines
}

// BindingLookup finds the identity bound to an address by a portal login;
// ok is false when the address is not bound.
type BindingLookup func(ctx context.Context, ip string) (id Identity, ok bool, err error)

// Bindings caches address bindings for the proxy and the DNS filter, which
// consult them on every request without credentials (every DNS query): a
// bound address is looked up in the store at most once per TTL, an
// unbound one once per three TTLs (most DNS clients are not bound), so a
// logout on another node is seen within the TTL and a login within three;
// this node's own logins and logouts call Forget and are seen at once.
type Bindings struct {
	lookup BindingLookup
	ttl    time.Duration
	now    func() time.Time
	onErr  func(error)
	mu     sync.RWMutex
	m      map[string]bindingEntry
}

type bindingEntry struct {
	id      Identity
	ok      bool
	expires time.Time
}

// NewBindings returns a cache over lookup; ttl defaults to 5 s, now to
// time.Now; onErr (optional) hears store errors, which count as unbound.
func NewBindings(lookup BindingLookup, ttl time.Duration, now func() time.Time, onErr func(error)) *Bindings {
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &Bindings{lookup: lookup, ttl: ttl, now: now, onErr: onErr, m: map[string]bindingEntry{}}
}

// maxBindings bounds the cache (a school's addresses fit many times over).
const maxBindings = 100000

// Get returns the identity bound to ip.
func (b *Bindings) Get(ctx context.Context, ip string) (Identity, bool) {
	if b == nil || ip == "" {
		return Identity{}, false
	}
	now := b.now()
	b.mu.RLock()
	e, hit := b.m[ip]
	b.mu.RUnlock()
	if hit && now.Before(e.expires) {
		return e.id, e.ok
	}
	id, ok, err := b.lookup(ctx, ip)
	if err != nil {
		if b.onErr != nil {
			b.onErr(err)
		}
		return Identity{}, false // not cached: the next request asks again
	}
	b.mu.Lock()
	if len(b.m) >= maxBindings {
		clear(b.m)
	}
	ttl := b.ttl
	if !ok {
		ttl *= 3
	}
	b.m[ip] = bindingEntry{id: id, ok: ok, expires: now.Add(ttl)}
	b.mu.Unlock()
	return id, ok
}

// Forget drops what is known of ip (a login or logout on this node).
func (b *Bindings) Forget(ip string) {
	b.mu.Lock()
	delete(b.m, ip)
	b.mu.Unlock()
}

// ForgetAll drops every cached binding (the directory changed).
func (b *Bindings) ForgetAll() {
	b.mu.Lock()
	clear(b.m)
	b.mu.Unlock()
}
