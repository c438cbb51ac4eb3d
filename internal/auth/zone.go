// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"sync"
	"time"

	"github.com/preau/preau/internal/directory"
)

// zoneTTL bounds how long a node serves a zone list it read: a change made
// elsewhere (another node, the command line) applies within it (design §4).
const zoneTTL = 5 * time.Second

// zoneCache holds each establishment's zones for zoneTTL, so that finding
// the zone of a request costs no query on the hot path.
type zoneCache struct {
	mu      sync.Mutex
	entries map[string]zoneEntry
}

type zoneEntry struct {
	zones []*directory.Zone
	read  time.Time
}

// Zones returns the network zones of establishments, for ZoneOf.
func (s *Service) Zones(ctx context.Context, establishments []string) ([]*directory.Zone, error) {
	var out []*directory.Zone
	for _, est := range establishments {
		zs, err := s.zonesOf(ctx, est)
		if err != nil {
			return nil, err
		}
		out = append(out, zs...)
	}
	return out, nil
}

func (s *Service) zonesOf(ctx context.Context, est string) ([]*directory.Zone, error) {
	now := s.clock.Now()
	s.zones.mu.Lock()
	e, ok := s.zones.entries[est]
	s.zones.mu.Unlock()
	if ok && now.Sub(e.read) < zoneTTL && now.Sub(e.read) >= 0 {
		return e.zones, nil
	}
	zs, err := s.store.FindZones(ctx, est)
	if err != nil {
		return nil, err
	}
	s.zones.mu.Lock()
	if s.zones.entries == nil {
		s.zones.entries = map[string]zoneEntry{}
	}
	s.zones.entries[est] = zoneEntry{zones: zs, read: now}
	s.zones.mu.Unlock()
	return zs, nil
}

// ForgetZones drops the cached zones of an establishment, after a change.
func (s *Service) ForgetZones(establishment string) {
	s.zones.mu.Lock()
	delete(s.zones.entries, establishment)
	s.zones.mu.Unlock()
}

// ZoneFor names the network zone of addr among the zones of the
// establishments ("" when none contains it, or when they cannot be read:
// a right bound to a zone is then refused, never widened).
func (s *Service) ZoneFor(ctx context.Context, establishments []string, addr string) string {
	zs, err := s.Zones(ctx, establishments)
	if err != nil {
		s.log.Warn("reading network zones failed", "err", err)
		return ""
	}
	return directory.ZoneOf(zs, addr)
}
