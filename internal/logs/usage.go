// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"context"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// StreamUsage is what one stream holds and what it will hold at its
// retention (MCO-JAL-2: capacity for the legal durations).
type StreamUsage struct {
	Stream      string // node/class/establishment
	Class       Class
	Segments    int
	Records     int64
	Bytes       int64 // sealed segments (manifests excluded)
	First, Last time.Time
	PerDay      int64 // bytes per day over the period held (at least one day)
	Retention   int   // days
	Projected   int64 // PerDay × Retention: the size at steady state
}

// Usage reports every stream's size and its projection at the retention
// policy gives it.
func (s *Store) Usage(ctx context.Context, policy Policy) ([]StreamUsage, error) {
	if policy == nil {
		policy = DefaultPolicy
	}
	prefixes, err := streamPrefixes(ctx, s.cfg.Blobs)
	if err != nil {
		return nil, core.Wrap("logs.Usage", core.Internal, err)
	}
	var out []StreamUsage
	for _, prefix := range prefixes {
		seqs, err := listSeqs(ctx, s.cfg.Blobs, prefix, ".man")
		if err != nil {
			return nil, core.Wrap("logs.Usage", core.Internal, err)
		}
		u := StreamUsage{Stream: strings.TrimSuffix(strings.TrimPrefix(prefix, "logs/"), "/")}
		var st Stream
		for _, seq := range seqs {
			m, err := s.manifest(ctx, manKey(prefix, seq))
			if err != nil {
				return nil, core.Wrap("logs.Usage", core.Internal, err)
			}
			st = Stream{Class: m.Class, Establishment: m.Establishment}
			u.Segments++
			u.Records += int64(m.Count)
			u.Bytes += m.Size
			if u.First.IsZero() || m.First.Before(u.First) {
				u.First = m.First
			}
			if m.Last.After(u.Last) {
				u.Last = m.Last
			}
		}
		if u.Segments == 0 {
			continue
		}
		u.Class = st.Class
		days := max(1, u.Last.Sub(u.First).Hours()/24)
		u.PerDay = int64(float64(u.Bytes) / days)
		u.Retention = policy(st)
		u.Projected = u.PerDay * int64(u.Retention)
		out = append(out, u)
	}
	return out, nil
}
