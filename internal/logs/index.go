// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// The day index lets a search find the segments of a period, and among
// them those that can hold a user or a host, without reading each
// segment's manifest (issue 8). It lives beside the segments, under its own
// prefix so that verification, archives and forwarding never see it:
//
//	logs-index/<node>/<class>/<est>/from                  first sequence number indexed
//	logs-index/<node>/<class>/<est>/<YYYY-MM-DD>/<seq>.ent  one segment's entry, written at its seal
//	logs-index/<node>/<class>/<est>/<YYYY-MM-DD>.day        the day's entries, compacted
//	logs-index/<node>/<class>/<est>/wide/<seq>.ent          a segment spanning more than 3 days
//
// An entry holds the segment's time range, its block table and Bloom
// filters of its users and hosts, so a search for one user over a year
// reads one object per day, then only the blocks of that user's bucket in
// the segments whose filter may hold the user. A segment is entered in each
// UTC day its records span (at most 3; wider ones go to wide/, which every
// search reads). The index is derived data, not sealed: verification never
// reads it, and a lost or damaged index only makes searches read manifests
// again (a stream without its "from" object is searched through its
// manifests, and a writable store rebuilds it at Open).

const indexRoot = "logs-index/"

// indexEntry is one segment in the day index.
type indexEntry struct {
	Seq     int64     `json:"seq"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Buckets int       `json:"buckets"`
	Blocks  []Block   `json:"blocks"`
	Users   *bloom    `json:"users,omitempty"` // nil: too many users indexed, the segment may hold anyone
	Hosts   *bloom    `json:"hosts,omitempty"`
}

// dayIndex is a compacted day.
type dayIndex struct {
	Day     string       `json:"day"`
	Entries []indexEntry `json:"entries"`
}

// bloom is a Bloom filter of strings: 7 probes from one 64-bit FNV-1a
// (double hashing), about 1 % false positives at 10 bits per element.
type bloom struct {
	Bits []uint64 `json:"b"`
}

const bloomProbes = 7

func newBloom(n int) *bloom {
	words := max(1, (n*10+63)/64)
	return &bloom{Bits: make([]uint64, words)}
}

func bloomHash(s string) (uint32, uint32) {
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	return uint32(v), uint32(v>>32) | 1
}

func (b *bloom) add(s string) {
	h1, h2 := bloomHash(s)
	m := uint32(len(b.Bits) * 64)
	for i := uint32(0); i < bloomProbes; i++ {
		p := (h1 + i*h2) % m
		b.Bits[p/64] |= 1 << (p % 64)
	}
}

// has says whether s may be in the filter (false: certainly not).
func (b *bloom) has(s string) bool {
	if b == nil || len(b.Bits) == 0 {
		return true
	}
	h1, h2 := bloomHash(s)
	m := uint32(len(b.Bits) * 64)
	for i := uint32(0); i < bloomProbes; i++ {
		p := (h1 + i*h2) % m
		if b.Bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

func bloomOf(list []string) *bloom {
	if list == nil {
		return nil
	}
	b := newBloom(len(list))
	for _, s := range list {
		b.add(s)
	}
	return b
}

func entryOf(m *Manifest) indexEntry {
	// The blocks' digests stay in the manifest: a search does not check
	// them, so the day index does not carry them.
	blocks := make([]Block, len(m.Blocks))
	for i, b := range m.Blocks {
		b.SHA256 = ""
		blocks[i] = b
	}
	return indexEntry{Seq: m.Seq, First: m.First, Last: m.Last, Buckets: m.Buckets, Blocks: blocks,
		Users: bloomOf(m.Users), Hosts: bloomOf(m.Hosts)}
}

// indexPrefix returns the index prefix of a stream prefix ("logs/…/").
func indexPrefix(streamPrefix string) string {
	return indexRoot + strings.TrimPrefix(streamPrefix, "logs/")
}

func dayKey(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// maxIndexDays is the widest span, in days, a segment is entered in day by
// day; wider segments go to wide/.
const maxIndexDays = 3

// indexDays returns the days an entry goes into, or nil for wide/.
func indexDays(first, last time.Time) []string {
	d0 := first.UTC().Truncate(24 * time.Hour)
	d1 := last.UTC().Truncate(24 * time.Hour)
	if last.Before(first) || d1.Sub(d0) >= maxIndexDays*24*time.Hour {
		return nil
	}
	var out []string
	for d := d0; !d.After(d1); d = d.Add(24 * time.Hour) {
		out = append(out, dayKey(d))
	}
	return out
}

// writeIndexEntry enters a sealed segment in the day index.
func writeIndexEntry(ctx context.Context, bs blob.Store, prefix string, m *Manifest) error {
	b, err := json.Marshal(entryOf(m))
	if err != nil {
		return err
	}
	ip := indexPrefix(prefix)
	days := indexDays(m.First, m.Last)
	if days == nil {
		_, err := blob.Put(ctx, bs, fmt.Sprintf("%swide/%012d.ent", ip, m.Seq), bytes.NewReader(b))
		return err
	}
	for _, d := range days {
		if _, err := blob.Put(ctx, bs, fmt.Sprintf("%s%s/%012d.ent", ip, d, m.Seq), bytes.NewReader(b)); err != nil {
			return err
		}
	}
	return nil
}

// readIndexFrom returns the first sequence number a stream's index covers,
// or -1 when the stream has no index yet.
func readIndexFrom(ctx context.Context, bs blob.Store, prefix string) (int64, error) {
	b, err := readObject(ctx, bs, indexPrefix(prefix)+"from", 64)
	if core.IsKind(err, core.NotFound) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || v < 1 {
		return -1, nil // damaged: searched through the manifests
	}
	return v, nil
}

func writeIndexFrom(ctx context.Context, bs blob.Store, prefix string, from int64) error {
	_, err := blob.Put(ctx, bs, indexPrefix(prefix)+"from", strings.NewReader(strconv.FormatInt(from, 10)))
	return err
}

// ensureIndexed makes sure a stream of this node is indexed, at the seal
// of its segment seq (whose entry is already written). A new stream is
// marked at once; a stream with older segments and no index (sealed by an
// older version) is entered segment by segment from its manifests, in the
// background (a year of segments takes a while), then marked: until then
// its searches read the manifests.
func (s *Store) ensureIndexed(ctx context.Context, prefix string, seq int64) error {
	s.mu.Lock()
	if s.indexed[prefix] {
		s.mu.Unlock()
		return nil
	}
	s.indexed[prefix] = true // done or under way
	s.mu.Unlock()
	fail := func(err error) error {
		s.mu.Lock()
		delete(s.indexed, prefix) // the next seal tries again
		s.mu.Unlock()
		return err
	}
	if seq == 1 {
		if err := writeIndexFrom(ctx, s.cfg.Blobs, prefix, 1); err != nil {
			return fail(err)
		}
		return nil
	}
	if from, err := readIndexFrom(ctx, s.cfg.Blobs, prefix); err != nil {
		return fail(err)
	} else if from > 0 {
		return nil
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		bctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-s.quit:
				cancel()
			case <-bctx.Done():
			}
		}()
		if err := s.backfillIndex(bctx, prefix); err != nil {
			fail(err)
			s.cfg.Log.Warn("indexing an older log stream failed; its searches read the manifests", "stream", prefix, "err", err)
		}
	}()
	return nil
}

// backfillIndex enters every segment of a stream from its manifests, then
// marks the stream indexed.
func (s *Store) backfillIndex(ctx context.Context, prefix string) error {
	seqs, err := listSeqs(ctx, s.cfg.Blobs, prefix, ".man")
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		m, err := readManifest(ctx, s.cfg.Blobs, manKey(prefix, seq))
		if err != nil {
			return err
		}
		if err := writeIndexEntry(ctx, s.cfg.Blobs, prefix, m); err != nil {
			return err
		}
	}
	return writeIndexFrom(ctx, s.cfg.Blobs, prefix, 1)
}

// compactDays folds the entries of the stream's days before day into one
// object per day, so that a search reads one object per day. It runs in
// the sealer when a stream's segments reach a new day.
func (s *Store) compactDays(ctx context.Context, prefix, before string) error {
	ip := indexPrefix(prefix)
	byDay := map[string][]string{}
	err := s.cfg.Blobs.List(ctx, ip, func(i blob.Info) error {
		rest := strings.TrimPrefix(i.Key, ip)
		day, name, ok := strings.Cut(rest, "/")
		if ok && day != "wide" && day < before && strings.HasSuffix(name, ".ent") {
			byDay[day] = append(byDay[day], i.Key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for day, keys := range byDay {
		di, err := readDay(ctx, s.cfg.Blobs, ip+day+".day")
		if err != nil {
			return err
		}
		for _, k := range keys {
			e, err := readEntry(ctx, s.cfg.Blobs, k)
			if err != nil {
				return err
			}
			di.Entries = append(di.Entries, e)
		}
		di.Day = day
		di.Entries = dedupEntries(di.Entries)
		b, _ := json.Marshal(di)
		if _, err := blob.Put(ctx, s.cfg.Blobs, ip+day+".day", bytes.NewReader(b)); err != nil {
			return err
		}
		for _, k := range keys {
			if err := s.cfg.Blobs.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

func dedupEntries(es []indexEntry) []indexEntry {
	slices.SortStableFunc(es, func(a, b indexEntry) int { return int(a.Seq - b.Seq) })
	return slices.CompactFunc(es, func(a, b indexEntry) bool { return a.Seq == b.Seq })
}

func readDay(ctx context.Context, bs blob.Store, key string) (dayIndex, error) {
	var di dayIndex
	b, err := readObject(ctx, bs, key, 256<<20)
	if core.IsKind(err, core.NotFound) {
		return di, nil
	}
	if err != nil {
		return di, err
	}
	if err := json.Unmarshal(b, &di); err != nil {
		return dayIndex{}, fmt.Errorf("day index %s is not valid JSON: %v", key, err)
	}
	return di, nil
}

func readEntry(ctx context.Context, bs blob.Store, key string) (indexEntry, error) {
	var e indexEntry
	b, err := readObject(ctx, bs, key, 64<<20)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("index entry %s is not valid JSON: %v", key, err)
	}
	return e, nil
}

// purgeIndex deletes the index objects of the days before day (the oldest
// kept segment's first day) and the entries of purged segments.
func purgeIndex(ctx context.Context, bs blob.Store, prefix string, before string, lastPurged int64) error {
	ip := indexPrefix(prefix)
	var doomed []string
	err := bs.List(ctx, ip, func(i blob.Info) error {
		rest := strings.TrimPrefix(i.Key, ip)
		switch day, name, _ := strings.Cut(rest, "/"); {
		case rest == "from":
		case day == "wide":
			if seq, err := strconv.ParseInt(strings.TrimSuffix(name, ".ent"), 10, 64); err == nil && seq <= lastPurged {
				doomed = append(doomed, i.Key)
			}
		case strings.TrimSuffix(day, ".day") < before:
			doomed = append(doomed, i.Key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range doomed {
		if err := bs.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// indexedCandidates returns the blocks of a stream that may hold matches
// of q, from the day index (every day when q has no time range). ok is
// false when the stream has no index: the caller reads the manifests.
func (s *Store) indexedCandidates(ctx context.Context, prefix string, q Query) ([]candidate, bool, error) {
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return nil, true, nil // an empty range
	}
	from, err := readIndexFrom(ctx, s.cfg.Blobs, prefix)
	if err != nil || from != 1 {
		return nil, false, err
	}
	ip := indexPrefix(prefix)
	d0, d1 := "", "\xff" // an open end reads every day on that side
	if !q.Since.IsZero() {
		d0 = dayKey(q.Since)
	}
	if !q.Until.IsZero() {
		d1 = dayKey(q.Until.Add(-time.Nanosecond))
	}
	var days, ents []string
	err = s.cfg.Blobs.List(ctx, ip, func(i blob.Info) error {
		rest := strings.TrimPrefix(i.Key, ip)
		day, name, sub := strings.Cut(rest, "/")
		switch {
		case sub && day == "wide":
			ents = append(ents, i.Key)
		case sub && day >= d0 && day <= d1 && strings.HasSuffix(name, ".ent"):
			ents = append(ents, i.Key)
		case !sub && strings.HasSuffix(rest, ".day"):
			if d := strings.TrimSuffix(rest, ".day"); d >= d0 && d <= d1 {
				days = append(days, i.Key)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	var es []indexEntry
	for _, k := range ents {
		e, err := readEntry(ctx, s.cfg.Blobs, k)
		if core.IsKind(err, core.NotFound) {
			// Compacted meanwhile: its day's object holds it now.
			if day, _, _ := strings.Cut(strings.TrimPrefix(k, ip), "/"); day != "wide" && !slices.Contains(days, ip+day+".day") {
				days = append(days, ip+day+".day")
			}
			continue
		}
		if err != nil {
			return nil, false, err
		}
		es = append(es, e)
	}
	for _, k := range days {
		di, err := readDay(ctx, s.cfg.Blobs, k)
		if err != nil {
			return nil, false, err
		}
		es = append(es, di.Entries...)
	}
	purged := int64(0)
	if p, err := readPurged(ctx, s.cfg.Blobs, prefix); err == nil && p != nil {
		purged = p.Seq
	}
	var out []candidate
	for _, e := range dedupEntries(es) {
		if e.Seq <= purged || !q.Since.IsZero() && e.Last.Before(q.Since) || !q.Until.IsZero() && !e.First.Before(q.Until) {
			continue
		}
		if q.User != "" && !e.Users.has(q.User) || q.Host != "" && !e.Hosts.has(q.Host) {
			continue
		}
		m := &Manifest{Seq: e.Seq, Buckets: e.Buckets}
		out = append(out, blockCandidates(prefix, m, e.Blocks, q)...)
	}
	return out, true, nil
}

// blockCandidates returns the blocks of a segment that may hold matches.
func blockCandidates(prefix string, m *Manifest, blocks []Block, q Query) []candidate {
	ub := -1
	if q.User != "" {
		ub = bucketOf(q.User, "", m.Buckets)
	}
	var out []candidate
	for _, b := range blocks {
		if ub >= 0 && b.Bucket != ub {
			continue
		}
		if !q.Since.IsZero() && b.Last.Before(q.Since) || !q.Until.IsZero() && !b.First.Before(q.Until) {
			continue
		}
		out = append(out, candidate{prefix: prefix, m: m, b: b})
	}
	return out
}
