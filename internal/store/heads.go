// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store

import (
	"hash/maphash"
	"sync"
)

// headCache remembers the last journal head this process wrote per chain, as
// a hint that saves a read on the next append (see Tx.advanceHead). It is
// bounded; a miss or a stale entry only costs one statement.
type headCache struct {
	mu sync.Mutex
	m  map[string]ChainHead

	// commits serialises this process's pipelined commits per chain (by
	// stripe): PostgreSQL serialises them anyway on the head's row lock,
	// and a commit that waits here seals its entry after the head the
	// previous one left, instead of failing on a moved head and taking the
	// slow path (see Tx.commitPipelined).
	commits [64]sync.Mutex
}

var stripeSeed = maphash.MakeSeed()

// lockCommits locks the commit stripe of chain and returns its unlock.
func (c *headCache) lockCommits(chain string) func() {
	m := &c.commits[maphash.String(stripeSeed, chain)%uint64(len(c.commits))]
	m.Lock()
	return m.Unlock
}

const maxCachedHeads = 10000

func (c *headCache) get(chain string) (ChainHead, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[chain]
	return h, ok
}

func (c *headCache) put(h ChainHead) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedHeads {
		c.m = map[string]ChainHead{}
	}
	c.m[h.Chain] = h
}

// forget drops every hint (after a rollback the hints may be ahead of the
// database).
func (c *headCache) forget() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
