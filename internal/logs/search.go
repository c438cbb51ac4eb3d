// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Query selects records. Zero fields match everything.
type Query struct {
	Since, Until   time.Time // Time >= Since, Time < Until
	Text           string    // case-insensitive substring of message, object, action or a field value
	User           string    // exact login
	Host           string    // exact source (host name or address)
	Service        string
	Classes        []Class  // nil: all
	Establishments []string // nil: all; "" names the deployment stream
	Limit          int      // page size; default 100, at most 10,000 (exports use MaxExport)
	Offset         int      // records to skip (paging)
}

// MaxExport is the most records one export returns.
const MaxExport = 1_000_000

// Summary returns q in words for the journal.
func (q Query) Summary() string {
	var p []string
	add := func(k, v string) {
		if v != "" {
			p = append(p, k+"="+v)
		}
	}
	if !q.Since.IsZero() {
		add("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		add("until", q.Until.UTC().Format(time.RFC3339))
	}
	add("user", q.User)
	add("host", q.Host)
	add("service", q.Service)
	add("text", q.Text)
	for _, c := range q.Classes {
		add("class", string(c))
	}
	for _, e := range q.Establishments {
		add("establishment", orUnderscore(e))
	}
	if len(p) == 0 {
		return "all records"
	}
	return strings.Join(p, " ")
}

// IdentifiesPeople says whether q may return records that identify people
// (MCO-JAL-6): a user or text search, or any search touching connection or
// security data. Such a search needs a Justification.
func (q Query) IdentifiesPeople() bool {
	if q.User != "" || q.Text != "" || q.Host != "" {
		return true
	}
	if len(q.Classes) == 0 {
		return true
	}
	for _, c := range q.Classes {
		if c != ClassSystem {
			return true
		}
	}
	return false
}

// Basis is why personal log content may be read (MCO-JAL-6).
type Basis string

// Bases.
const (
	BasisIncident Basis = "incident" // a security incident number
	BasisJudicial Basis = "judicial" // a judicial requisition reference
	BasisConsent  Basis = "consent"  // the user's consent reference
)

// Justification is the recorded reason for a search on personal data.
type Justification struct {
	Basis     Basis
	Reference string
}

func (j Justification) String() string {
	if j.Basis == "" {
		return ""
	}
	return string(j.Basis) + ":" + j.Reference
}

// ParseJustification reads "incident:INC-42", "judicial:PV 2026/123" or
// "consent:mail of 3 Nov" (French names are accepted too: incident,
// judiciaire / requisition, consentement).
func ParseJustification(s string) (Justification, error) {
	const op = "logs.ParseJustification"
	s = strings.TrimSpace(s)
	if s == "" {
		return Justification{}, nil
	}
	k, ref, ok := strings.Cut(s, ":")
	ref = strings.TrimSpace(ref)
	if !ok || len([]rune(ref)) < 3 {
		return Justification{}, core.E(op, core.Invalid,
			"a justification is KIND:REFERENCE, KIND being incident, judicial or consent, and the reference at least 3 characters (e.g. incident:INC-2026-042)")
	}
	if len(ref) > 200 {
		return Justification{}, core.E(op, core.Invalid, "the justification's reference is longer than 200 bytes")
	}
	var b Basis
	switch strings.ToLower(strings.TrimSpace(k)) {
	case "incident":
		b = BasisIncident
	case "judicial", "judiciaire", "requisition", "réquisition":
		b = BasisJudicial
	case "consent", "consentement":
		b = BasisConsent
	default:
		return Justification{}, core.E(op, core.Invalid, "unknown justification kind %q: incident, judicial or consent", k)
	}
	return Justification{Basis: b, Reference: ref}, nil
}

// Result is one page of a search.
type Result struct {
	Records []Record
	More    bool // another page follows (Offset + len(Records))
	Scanned int  // records read to answer
}

type candidate struct {
	prefix string
	m      *Manifest
	b      Block
}

// Search runs q over the sealed segments of every node. Records still in
// the spool (at most the seal interval) are not seen; Flush first when they
// matter. Results come in time order within each block, blocks by their
// first record.
func (s *Store) Search(ctx context.Context, q Query) (*Result, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, MaxExport)
	cands, err := s.candidates(ctx, q)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	skip := q.Offset
	text := strings.ToLower(q.Text)
	var rawUser []byte
	if q.User != "" {
		rawUser, _ = jsonString(q.User)
	}
	for _, c := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := s.readRange(ctx, segKey(c.prefix, c.m.Seq), c.b.Offset, c.b.Length)
		if err != nil {
			return nil, core.Wrap("logs.Search", core.Internal, err)
		}
		var page []Record
		err = readBlock(data, Block{Offset: 0, Length: c.b.Length, Count: c.b.Count}, func(l []byte) error {
			res.Scanned++
			if rawUser != nil && !bytes.Contains(l, rawUser) {
				return nil
			}
			var r Record
			if err := decodeRecord(l, &r); err != nil {
				return err
			}
			if !match(&r, q, text) {
				return nil
			}
			page = append(page, r)
			return nil
		})
		if err != nil {
			return nil, core.Wrap("logs.Search", core.Internal, fmt.Errorf("segment %s%012d: %w", c.prefix, c.m.Seq, err))
		}
		sort.SliceStable(page, func(i, j int) bool { return page[i].Time.Before(page[j].Time) })
		for _, r := range page {
			if skip > 0 {
				skip--
				continue
			}
			if len(res.Records) == limit {
				res.More = true
				return res, nil
			}
			res.Records = append(res.Records, r)
		}
	}
	return res, nil
}

// jsonString returns the bytes `"user":"<s>"` as EncodeJSON writes them,
// a cheap pre-filter before decoding a line.
func jsonString(s string) ([]byte, error) {
	v, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append([]byte(`"user":`), v...), nil
}

func match(r *Record, q Query, text string) bool {
	if !q.Since.IsZero() && r.Time.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && !r.Time.Before(q.Until) {
		return false
	}
	if q.User != "" && r.User != q.User {
		return false
	}
	if q.Host != "" && r.Source != q.Host {
		return false
	}
	if q.Service != "" && r.Service != q.Service {
		return false
	}
	if text != "" {
		hit := containsFold(r.Message, text) || containsFold(r.Object, text) || containsFold(r.Action, text) ||
			containsFold(r.User, text) || containsFold(r.Source, text)
		for _, v := range r.Fields {
			hit = hit || containsFold(v, text)
		}
		if !hit {
			return false
		}
	}
	return true
}

func containsFold(s, lowerSub string) bool {
	return strings.Contains(strings.ToLower(s), lowerSub)
}

// candidates returns the blocks that may hold matches, in order of their
// first record.
func (s *Store) candidates(ctx context.Context, q Query) ([]candidate, error) {
	prefixes, err := streamPrefixes(ctx, s.cfg.Blobs)
	if err != nil {
		return nil, core.Wrap("logs.Search", core.Internal, err)
	}
	var out []candidate
	for _, prefix := range prefixes {
		parts := strings.Split(strings.TrimSuffix(prefix, "/"), "/") // logs node class est
		if len(q.Classes) > 0 && !slices.ContainsFunc(q.Classes, func(c Class) bool { return keyPart(string(c)) == parts[2] }) {
			continue
		}
		if q.Establishments != nil && !slices.ContainsFunc(q.Establishments, func(e string) bool { return keyPart(orUnderscore(e)) == parts[3] }) {
			continue
		}
		if cs, ok, err := s.indexedCandidates(ctx, prefix, q); err != nil {
			return nil, core.Wrap("logs.Search", core.Internal, err)
		} else if ok {
			out = append(out, cs...)
			continue
		}
		seqs, err := listSeqs(ctx, s.cfg.Blobs, prefix, ".man")
		if err != nil {
			return nil, core.Wrap("logs.Search", core.Internal, err)
		}
		for _, seq := range seqs {
			m, err := s.manifest(ctx, manKey(prefix, seq))
			if err != nil {
				return nil, core.Wrap("logs.Search", core.Internal, err)
			}
			if !q.Since.IsZero() && m.Last.Before(q.Since) || !q.Until.IsZero() && !m.First.Before(q.Until) {
				continue
			}
			if q.User != "" && m.Users != nil && !containsSorted(m.Users, q.User) ||
				q.Host != "" && m.Hosts != nil && !containsSorted(m.Hosts, q.Host) {
				continue
			}
			out = append(out, blockCandidates(prefix, m, m.Blocks, q)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].b.First.Before(out[j].b.First) })
	return out, nil
}

func containsSorted(list []string, v string) bool {
	_, ok := slices.BinarySearch(list, v)
	return ok
}

func (s *Store) readRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	rc, _, err := s.cfg.Blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, err := rc.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
