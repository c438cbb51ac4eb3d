// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// Rule is a retention class's default duration and the bounds an
// establishment may choose within, with the legal basis (formats.md §8).
type Rule struct {
	Class   Class
	Default int // days
	Min     int // days: purging earlier would break a legal obligation
	Max     int // days: keeping longer is disproportionate (CNIL)
	BasisFR string
	BasisEN string
}

// Rules are the retention classes (MCO-JAL-2, MCO-JAL-4). Not legal advice:
// the sources are in formats.md §8.
var Rules = []Rule{
	{Class: ClassConnection, Default: 365, Min: 365, Max: 730,
		BasisFR: "Données de connexion (accès web, DNS, Wi-Fi/RADIUS, authentification) : un an (LCEN art. 6, décret n° 2021-1362 ; CPCE art. L. 34-1).",
		BasisEN: "Connection data (web access, DNS, Wi-Fi/RADIUS, authentication): one year (LCEN art. 6, décret 2021-1362; CPCE art. L. 34-1)."},
	{Class: ClassSystem, Default: 183, Min: 183, Max: 365,
		BasisFR: "Journaux système et de service, syslog des équipements : six mois (recommandation CNIL n° 2021-122 sur la journalisation : 6 mois à 1 an).",
		BasisEN: "System and service logs, syslog from equipment: six months (CNIL recommendation 2021-122 on logging: 6 months to 1 year)."},
	{Class: ClassSecurity, Default: 365, Min: 183, Max: 1095,
		BasisFR: "Événements de sécurité : un an (recommandation CNIL n° 2021-122 ; jusqu'à 3 ans pour un besoin de contrôle documenté).",
		BasisEN: "Security events: one year (CNIL recommendation 2021-122; up to 3 years for a documented control need)."},
}

// RuleOf returns the rule of class c.
func RuleOf(c Class) (Rule, bool) {
	for _, r := range Rules {
		if r.Class == c {
			return r, true
		}
	}
	return Rule{}, false
}

// CheckRetention returns a core.Invalid error naming the bounds when days is
// outside what the law allows for class c.
func CheckRetention(c Class, days int) error {
	r, ok := RuleOf(c)
	if !ok {
		return core.E("logs.CheckRetention", core.Invalid, "unknown log class %q: connection, system or security", c)
	}
	if days < r.Min || days > r.Max {
		return core.E("logs.CheckRetention", core.Invalid, "%s logs must be kept between %d and %d days (%d asked)",
			c, r.Min, r.Max, days)
	}
	return nil
}

// Policy gives the retention in days of a stream; establishments without a
// setting get the class default.
type Policy func(s Stream) int

// DefaultPolicy applies each class's default.
func DefaultPolicy(s Stream) int {
	r, ok := RuleOf(s.Class)
	if !ok {
		return 365
	}
	return r.Default
}

// Purged is the signed checkpoint a purge leaves: the sequence and
// manifest hash of the last segment it deleted, from which the remaining
// chain verifies.
type Purged struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	Last      time.Time `json:"last"` // time of the newest record purged
	At        time.Time `json:"at"`
	KeyID     string    `json:"key_id"`
	Signature string    `json:"signature"`
}

func (p *Purged) signedBytes(prefix string) []byte {
	return fmt.Appendf(nil, "preau-logs-purged-v1\n%s\n%d\n%s\n%d", prefix, p.Seq, p.Hash, p.Last.UTC().UnixMicro())
}

func readPurged(ctx context.Context, bs blob.Store, prefix string) (*Purged, error) {
	b, err := readObject(ctx, bs, prefix+"purged", 1<<16)
	if core.IsKind(err, core.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p Purged
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("not valid JSON")
	}
	return &p, nil
}

// PurgedSegment describes one segment a purge deleted.
type PurgedSegment struct {
	Stream        string
	Establishment string
	Seq           int64
	First         time.Time
	Last          time.Time
	Records       int
}

// Purge deletes, in every stream of this node, the oldest whole sealed
// segments whose newest record is older than the stream's retention at now.
// Segments are deleted oldest first and only as a prefix of the chain; a
// signed checkpoint is stored before anything is deleted, so the rest of the
// chain still verifies. The caller journals the result.
func (s *Store) Purge(ctx context.Context, now time.Time, policy Policy) ([]PurgedSegment, error) {
	if policy == nil {
		policy = DefaultPolicy
	}
	prefixes, err := streamPrefixes(ctx, s.cfg.Blobs)
	if err != nil {
		return nil, err
	}
	var out []PurgedSegment
	for _, prefix := range prefixes {
		seqs, err := listSeqs(ctx, s.cfg.Blobs, prefix, ".man")
		if err != nil || len(seqs) == 0 {
			continue
		}
		first, err := s.manifest(ctx, manKey(prefix, seqs[0]))
		if err != nil || first.Node != s.cfg.Node {
			continue
		}
		st := Stream{Class: first.Class, Establishment: first.Establishment}
		cutoff := now.AddDate(0, 0, -policy(st))
		var doomed []*Manifest
		for _, seq := range seqs[:len(seqs)-1] { // the newest segment stays: it anchors the head
			m, err := s.manifest(ctx, manKey(prefix, seq))
			if err != nil || !m.Last.Before(cutoff) {
				break
			}
			doomed = append(doomed, m)
		}
		if len(doomed) == 0 {
			continue
		}
		lastM := doomed[len(doomed)-1]
		p := Purged{Seq: lastM.Seq, Hash: lastM.Hash, Last: lastM.Last, At: now.UTC()}
		signObj(&p.KeyID, &p.Signature, s.cfg.Key, p.signedBytes(prefix))
		pb, _ := json.Marshal(p)
		if _, err := blob.Put(ctx, s.cfg.Blobs, prefix+"purged", bytes.NewReader(pb)); err != nil {
			return out, err
		}
		for _, m := range doomed {
			if err := s.cfg.Blobs.Delete(ctx, segKey(prefix, m.Seq)); err != nil {
				return out, err
			}
			if err := s.cfg.Blobs.Delete(ctx, manKey(prefix, m.Seq)); err != nil {
				return out, err
			}
			s.mu.Lock()
			delete(s.mans, manKey(prefix, m.Seq))
			s.mu.Unlock()
			out = append(out, PurgedSegment{Stream: st.String(), Establishment: st.Establishment, Seq: m.Seq, First: m.First, Last: m.Last, Records: m.Count})
		}
		// The day index of what is gone: the days before the oldest kept
		// segment, and the wide entries of purged segments.
		if kept, err := s.manifest(ctx, manKey(prefix, seqs[len(doomed)])); err == nil {
			if err := purgeIndex(ctx, s.cfg.Blobs, prefix, dayKey(kept.First), lastM.Seq); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
