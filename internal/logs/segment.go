// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/preau/preau/internal/core"
)

// A sealed segment is two blob objects side by side:
//
//	logs/<node>/<class>/<establishment or _>/<seq:012>.seg  zstd blocks of JSON lines
//	logs/<node>/<class>/<establishment or _>/<seq:012>.man  the signed manifest (JSON)
//
// Records are grouped into blocks by a hash of their user (or of their source
// when no user is named), so that a search for one person decompresses only
// the blocks of that person's bucket; each block is one independent zstd frame
// and lists its time range. The hash chain runs over the blocks in stored
// order and starts from the previous segment's manifest hash, so it binds
// each segment to the one before; the manifest covers the segment's SHA-256,
// the chain's end and the previous manifest's hash, and is signed with the
// deployment's Ed25519 key.
//
// Two versions of the chain exist:
//
//   - version 1 (the first manifests): a link per record,
//     SHA-256(previous link || JSON line), in stored order; RecordsHash is
//     its end. Hashing every record again cost a third of sealing.
//   - version 2 (written now): a link per block, SHA-256(previous link ||
//     SHA-256 of the block's compressed bytes), in stored order; BlocksHash
//     is its end and each Block carries its digest. Each block is a group of
//     records (one bucket's, by time), and the verifier still decompresses
//     every block and decodes every record, checking each block's count: a
//     flipped byte, a deleted, added or reordered record or block breaks
//     the block's digest, the chain or the signed manifest all the same.
//
// Both versions start from chainStart(Prev); the verifier reads both.

// ManifestVersion is the manifest format written by this package (see
// above; CheckSegment also reads version 1).
const ManifestVersion = 2

// Block locates one zstd frame of a segment.
type Block struct {
	Bucket int       `json:"bucket"`
	Offset int64     `json:"off"`
	Length int64     `json:"len"`
	Count  int       `json:"n"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	SHA256 string    `json:"sha256,omitempty"` // of the compressed bytes (version 2)
}

// Manifest describes and seals one segment.
type Manifest struct {
	Version       int       `json:"v"`
	Node          string    `json:"node"`
	Class         Class     `json:"class"`
	Establishment string    `json:"establishment,omitempty"`
	Seq           int64     `json:"seq"`
	First         time.Time `json:"first"`
	Last          time.Time `json:"last"`
	Count         int       `json:"count"`
	Buckets       int       `json:"buckets"`
	Blocks        []Block   `json:"blocks"`
	Hosts         []string  `json:"hosts,omitempty"` // distinct sources, when at most maxIndexed
	Users         []string  `json:"users,omitempty"` // distinct users, when at most maxIndexed
	Size          int64     `json:"size"`            // bytes of the .seg object
	SegmentSHA256 string    `json:"segment_sha256"`
	RecordsHash   string    `json:"records_hash,omitempty"` // end of the record hash chain (version 1)
	BlocksHash    string    `json:"blocks_hash,omitempty"`  // end of the block hash chain (version 2)
	Prev          string    `json:"prev"`                   // Hash of the previous manifest of the stream ("" for the first)
	SealedAt      time.Time `json:"sealed_at"`
	WAL           string    `json:"wal,omitempty"` // id of the spool file the records came from
	// Recovered is set on a segment sealed at start from the spool of a
	// process that stopped without sealing (crash, kill -9). GapAfter is the
	// time of its last record: records received after it and before the
	// restart may be lost (at most the fsync interval).
	Recovered bool      `json:"recovered,omitempty"`
	GapAfter  time.Time `json:"gap_after,omitzero"`
	KeyID     string    `json:"key_id"`
	Signature string    `json:"signature"`
	Hash      string    `json:"hash"` // SHA-256 of SignedBytes, the link the next segment carries
}

// maxIndexed caps the distinct users and hosts a manifest lists; a segment
// with more lists none (every search then opens it).
const maxIndexed = 4096

// SignedBytes is what the signature and Hash cover: the manifest without
// KeyID, Signature and Hash, as canonical JSON.
func (m *Manifest) SignedBytes() []byte {
	c := *m
	c.KeyID, c.Signature, c.Hash = "", "", ""
	b, _ := json.Marshal(&c)
	return append([]byte("preau-logs-manifest-v1\n"), b...)
}

// Sign sets KeyID, Signature and Hash.
func (m *Manifest) Sign(key ed25519.PrivateKey) {
	sb := m.SignedBytes()
	m.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	m.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, sb))
	s := sha256.Sum256(sb)
	m.Hash = hex.EncodeToString(s[:])
}

// CheckSignature verifies the signature and Hash with pub.
func (m *Manifest) CheckSignature(pub ed25519.PublicKey) error {
	sb := m.SignedBytes()
	if m.KeyID != KeyID(pub) {
		return fmt.Errorf("signed by key %s, not by this deployment's key %s", m.KeyID, KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || !ed25519.Verify(pub, sb, sig) {
		return fmt.Errorf("manifest signature does not verify: the manifest was altered")
	}
	s := sha256.Sum256(sb)
	if hex.EncodeToString(s[:]) != m.Hash {
		return fmt.Errorf("manifest hash does not match its content")
	}
	return nil
}

// KeyID returns a short identifier of a public key: the first 8 bytes of its
// SHA-256, in hex (the same as the journal's).
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// Stream names one stream: its retention class and establishment.
type Stream struct {
	Class         Class
	Establishment string
}

func (s Stream) String() string {
	e := s.Establishment
	if e == "" {
		e = "deployment"
	}
	return string(s.Class) + "/" + e
}

// prefix returns the blob key prefix of a stream's objects on node.
func streamPrefix(node string, s Stream) string {
	e := s.Establishment
	if e == "" {
		e = "_"
	}
	return "logs/" + keyPart(node) + "/" + keyPart(string(s.Class)) + "/" + keyPart(e) + "/"
}

// keyPart makes s safe as one blob key component.
func keyPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('.')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

func segKey(prefix string, seq int64) string { return fmt.Sprintf("%s%012d.seg", prefix, seq) }
func manKey(prefix string, seq int64) string { return fmt.Sprintf("%s%012d.man", prefix, seq) }

// chainer computes the links of the record hash chain,
// SHA-256(prev || line), with one reused hasher.
type chainer struct {
	h   hash.Hash
	out [sha256.Size]byte
}

func (c *chainer) step(prev, line []byte) []byte {
	if c.h == nil {
		c.h = sha256.New()
	}
	c.h.Reset()
	c.h.Write(prev)
	c.h.Write(line)
	return c.h.Sum(c.out[:0])
}

// ChainEnd returns the end of the segment's hash chain (either version).
func (m *Manifest) ChainEnd() string {
	if m.BlocksHash != "" {
		return m.BlocksHash
	}
	return m.RecordsHash
}

// blockLink returns the next link of a version 2 chain from prev and the
// block's digest (hex), or nil when the digest is not valid hex.
func blockLink(prev []byte, digest string) []byte {
	var d [sha256.Size]byte
	if len(digest) != 2*sha256.Size {
		return nil
	}
	if _, err := hex.Decode(d[:], []byte(digest)); err != nil {
		return nil
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(d[:])
	return h.Sum(nil)
}

// chainStart returns the first link of a segment's chain from the previous
// manifest's hash.
func chainStart(prevManifest string) []byte {
	s := sha256.Sum256([]byte("preau-logs-chain-v1\n" + prevManifest))
	return s[:]
}

var (
	encOnce sync.Once
	enc     *zstd.Encoder
	decOnce sync.Once
	dec     *zstd.Decoder
)

func encoder() *zstd.Encoder {
	encOnce.Do(func() {
		// No frame checksum: the segment's SHA-256 in the signed manifest
		// and the record chain already cover every byte, and XXH64 over
		// every block costs as much as a tenth of sealing.
		enc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(sealWorkers()),
			zstd.WithEncoderCRC(false))
	})
	return enc
}

// maxBlockBytes bounds a block's decompressed size (a reader's defence
// against a hostile segment).
const maxBlockBytes = 64 << 20

func decoder() *zstd.Decoder {
	decOnce.Do(func() {
		dec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxBlockBytes),
			zstd.WithDecoderMaxWindow(maxBlockBytes))
	})
	return dec
}

// line is one stored record: its JSON line (without the newline) and the
// fields the segment builder sorts and indexes by.
type line struct {
	data []byte
	t    time.Time
	user string
	host string
}

// bucketOf returns the bucket of a record among n.
func bucketOf(user, host string, n int) int {
	if n <= 1 {
		return 0
	}
	k := user
	if k == "" {
		k = host
	}
	return int(fnv32a(k) % uint32(n))
}

// fnv32a is FNV-1a (hash/fnv's New32a) over s, without allocating.
func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// bucketsFor returns how many buckets a segment of count records gets:
// one per thousand records, at most 64 (a full segment of 100,000 records
// has 64 buckets: one user's search reads 1/64 of it).
func bucketsFor(count int) int {
	n := count / 1024
	return max(1, min(64, n))
}

// segScratch holds buildSegment's buffers between segments.
type segScratch struct {
	bidx []uint8
	refs []sortRef
	keys []uint64
	out  []byte
	raws [][]byte // one per compressing goroutine
	zs   [][]byte // the compressed blocks of each compressing goroutine, end to end
}

// grow returns a slice of length n, reusing b's array when large enough.
func grow[T any](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]T, n)
}

// sortRef is a line's place in the segment: its time (the sort key) and
// its index in the input (the tie-break that keeps arrival order).
type sortRef struct {
	sec int64
	ns  int32
	i   int32
}

func cmpRef(a, b sortRef) int {
	switch {
	case a.sec != b.sec:
		return cmpInt(a.sec, b.sec)
	case a.ns != b.ns:
		return cmpInt(int64(a.ns), int64(b.ns))
	}
	return cmpInt(int64(a.i), int64(b.i))
}

// packKeys returns, when the segment's time span and size allow it, each
// line's sort key packed in one integer: nanoseconds since first in the
// high bits, the line's index in the low ones (so that sorting the keys
// sorts by time, then arrival). nil when they do not fit (a segment
// spanning more than a day and a half of 100,000 records): sortRefs then
// compares sortRefs.
func packKeys(lines []line, first, last time.Time, sc *segScratch) []uint64 {
	ib := bits.Len(uint(len(lines)))
	span := last.Sub(first)
	if ib > 32 || span < 0 || uint64(span) >= 1<<(64-ib) {
		return nil
	}
	keys := grow(sc.keys, len(lines))
	sc.keys = keys
	for i := range lines {
		keys[i] = uint64(lines[i].t.Sub(first))<<ib | uint64(i)
	}
	return keys
}

// sortRefs sorts rs by time, then arrival: by their packed keys when
// there are (an integer sort, several times faster), else with cmpRef.
func sortRefs(rs []sortRef, keys []uint64, lines []line) {
	if keys == nil {
		slices.SortFunc(rs, cmpRef)
		return
	}
	ks := make([]uint64, len(rs))
	for j, r := range rs {
		ks[j] = keys[r.i]
	}
	slices.Sort(ks)
	mask := uint64(1)<<bits.Len(uint(len(keys))) - 1
	for j, k := range ks {
		t := lines[k&mask].t
		rs[j] = sortRef{sec: t.Unix(), ns: int32(t.Nanosecond()), i: int32(k & mask)}
	}
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// buildSegment compresses lines into a segment and returns its bytes and a
// manifest with everything but the stream fields, Seq, SealedAt and the
// signature filled in. prev is the previous manifest's Hash. Within a
// bucket, records are stored by time, records of the same time in arrival
// order.
//
// sc, when not nil, lends reusable buffers (the sealer's): the returned
// bytes are then valid until the next call with the same sc.
func buildSegment(lines []line, prev string, sc *segScratch) ([]byte, *Manifest) {
	return prepareSegment(lines, sc).finish(lines, prev)
}

// prepared is a segment compressed but not chained: everything but Prev
// and BlocksHash, which need the previous segment's manifest. The sealer
// prepares a segment as soon as its spool is handed over, while the one
// before is still being sealed, and chains it when its turn comes.
type prepared struct {
	m    *Manifest
	data []byte
	sc   *segScratch // holds data until the seal
}

// segPart is one block: its bucket and its records in stored order.
type segPart struct {
	bucket int
	refs   []sortRef
}

// finish chains the prepared segment's blocks from prev and returns its
// bytes and a manifest of its own (a retried seal finishes again).
func (p *prepared) finish(lines []line, prev string) ([]byte, *Manifest) {
	chain := chainStart(prev)
	for _, b := range p.m.Blocks {
		chain = blockLink(chain, b.SHA256)
	}
	m := *p.m
	m.Prev = prev
	m.BlocksHash = hex.EncodeToString(chain)
	return p.data, &m
}

// prepareSegment groups, sorts and compresses lines (see buildSegment).
func prepareSegment(lines []line, sc *segScratch) *prepared {
	if sc == nil {
		sc = &segScratch{}
	}
	m := &Manifest{Version: ManifestVersion, Count: len(lines), Buckets: bucketsFor(len(lines))}
	nb := m.Buckets
	bidx := grow(sc.bidx, len(lines))
	sc.bidx = bidx
	start := make([]int, nb+1)
	users, hosts := map[string]bool{}, map[string]bool{}
	lastUser, lastHost := "", ""
	lastKey, lastBucket := "", bucketOf("", "", nb)
	for i := range lines {
		l := &lines[i]
		// Consecutive records of one user (or host) hash once.
		k := l.user
		if k == "" {
			k = l.host
		}
		if k != lastKey {
			lastKey, lastBucket = k, bucketOf(l.user, l.host, nb)
		}
		b := lastBucket
		bidx[i] = uint8(b)
		start[b+1]++
		if l.user != "" && l.user != lastUser && len(users) <= maxIndexed {
			users[l.user], lastUser = true, l.user
		}
		if l.host != "" && l.host != lastHost && len(hosts) <= maxIndexed {
			hosts[l.host], lastHost = true, l.host
		}
		if i == 0 || l.t.Before(m.First) {
			m.First = l.t
		}
		if l.t.After(m.Last) {
			m.Last = l.t
		}
	}
	if len(users) <= maxIndexed {
		m.Users = sortedKeys(users)
	}
	if len(hosts) <= maxIndexed {
		m.Hosts = sortedKeys(hosts)
	}
	for b := 1; b <= nb; b++ {
		start[b] += start[b-1]
	}
	refs := grow(sc.refs, len(lines))
	sc.refs = refs
	pos := slices.Clone(start[:nb])
	for i := range lines {
		b := bidx[i]
		refs[pos[b]] = sortRef{sec: lines[i].t.Unix(), ns: int32(lines[i].t.Nanosecond()), i: int32(i)}
		pos[b]++
	}
	// The blocks, in stored order: each bucket's records by time, cut every
	// perBlock records.
	const perBlock = 8192
	var parts []segPart
	keys := packKeys(lines, m.First, m.Last, sc)
	for b := 0; b < nb; b++ {
		rs := refs[start[b]:start[b+1]]
		if !slices.IsSortedFunc(rs, cmpRef) {
			sortRefs(rs, keys, lines)
		}
		for i := 0; i < len(rs); i += perBlock {
			parts = append(parts, segPart{bucket: b, refs: rs[i:min(len(rs), i+perBlock)]})
		}
	}
	// The blocks compress on several goroutines (they are independent
	// frames), each hashed as soon as compressed. Each goroutine appends
	// its blocks to its own reused buffer.
	type zpart struct{ w, off, end int }
	zp := make([]zpart, len(parts))
	sums := make([][sha256.Size]byte, len(parts))
	workers := min(len(parts), sealWorkers())
	if len(sc.raws) < workers {
		sc.raws = append(sc.raws, make([][]byte, workers-len(sc.raws))...)
	}
	if len(sc.zs) < workers {
		sc.zs = append(sc.zs, make([][]byte, workers-len(sc.zs))...)
	}
	var wg sync.WaitGroup
	next := make(chan int, len(parts))
	for i := range parts {
		next <- i
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			raw, z := sc.raws[w][:0], sc.zs[w][:0]
			for i := range next {
				need := 0
				for _, r := range parts[i].refs {
					need += len(lines[r.i].data) + 1
				}
				raw = slices.Grow(raw[:0], need) // one allocation at most, no copy
				for _, r := range parts[i].refs {
					raw = append(raw, lines[r.i].data...)
					raw = append(raw, '\n')
				}
				off := len(z)
				z = encoder().EncodeAll(raw, z)
				zp[i] = zpart{w, off, len(z)}
				sums[i] = sha256.Sum256(z[off:])
			}
			sc.raws[w], sc.zs[w] = raw, z
		}(w)
	}
	wg.Wait()
	out := sc.out[:0]
	for i, p := range parts {
		z := sc.zs[zp[i].w][zp[i].off:zp[i].end]
		m.Blocks = append(m.Blocks, Block{Bucket: p.bucket, Offset: int64(len(out)), Length: int64(len(z)),
			Count: len(p.refs), First: lines[p.refs[0].i].t, Last: lines[p.refs[len(p.refs)-1].i].t,
			SHA256: hex.EncodeToString(sums[i][:])})
		out = append(out, z...)
	}
	sc.out = out
	s := sha256.Sum256(out)
	m.Size = int64(len(out))
	m.SegmentSHA256 = hex.EncodeToString(s[:])
	return &prepared{m: m, data: out, sc: sc}
}

// sealWorkers is how many blocks compress at once.
func sealWorkers() int { return max(1, min(core.CPUs(), 4)) }

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// readBlock decompresses one block of data and calls fn for each JSON line.
func readBlock(data []byte, b Block, fn func([]byte) error) error {
	if b.Offset < 0 || b.Length < 0 || b.Offset > int64(len(data)) || b.Length > int64(len(data))-b.Offset {
		return fmt.Errorf("block at %d+%d lies outside the segment (%d bytes)", b.Offset, b.Length, len(data))
	}
	raw, err := decoder().DecodeAll(data[b.Offset:b.Offset+b.Length], nil)
	if err != nil {
		return fmt.Errorf("block at %d does not decompress: %v", b.Offset, err)
	}
	n := 0
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return fmt.Errorf("block at %d ends inside a record", b.Offset)
		}
		if err := fn(raw[:i]); err != nil {
			return err
		}
		raw = raw[i+1:]
		n++
	}
	if n != b.Count {
		return fmt.Errorf("block at %d holds %d records, its manifest says %d", b.Offset, n, b.Count)
	}
	return nil
}

// CheckSegment verifies a segment's bytes against its manifest: size,
// SHA-256, every block, every record and the hash chain (over the records
// in version 1, over the blocks in version 2). It returns the first problem
// found, in words.
func CheckSegment(m *Manifest, data []byte) error {
	if m.Version != 1 && m.Version != 2 {
		return fmt.Errorf("manifest version %d is not one this program reads (1 or 2)", m.Version)
	}
	if int64(len(data)) != m.Size {
		return fmt.Errorf("segment is %d bytes, its manifest says %d: truncated or altered", len(data), m.Size)
	}
	s := sha256.Sum256(data)
	if hex.EncodeToString(s[:]) != m.SegmentSHA256 {
		return fmt.Errorf("segment content does not match its manifest's SHA-256: altered")
	}
	chain := chainStart(m.Prev)
	var ch chainer
	n := 0
	for i, b := range m.Blocks {
		if m.Version == 2 {
			if b.Offset < 0 || b.Length < 0 || b.Offset > int64(len(data)) || b.Length > int64(len(data))-b.Offset {
				return fmt.Errorf("block at %d+%d lies outside the segment (%d bytes)", b.Offset, b.Length, len(data))
			}
			s := sha256.Sum256(data[b.Offset : b.Offset+b.Length])
			if hex.EncodeToString(s[:]) != b.SHA256 {
				return fmt.Errorf("block %d (at %d) does not match its digest: altered", i+1, b.Offset)
			}
			if chain = blockLink(chain, b.SHA256); chain == nil {
				return fmt.Errorf("block %d has no valid digest", i+1)
			}
		}
		if err := readBlock(data, b, func(l []byte) error {
			var r Record
			if err := decodeRecord(l, &r); err != nil {
				return fmt.Errorf("record %d: %v", n+1, err)
			}
			if m.Version == 1 {
				chain = ch.step(chain, l)
			}
			n++
			return nil
		}); err != nil {
			return err
		}
	}
	if n != m.Count {
		return fmt.Errorf("segment holds %d records, its manifest says %d", n, m.Count)
	}
	if m.Version == 1 && hex.EncodeToString(chain) != m.RecordsHash {
		return fmt.Errorf("record hash chain does not end where the manifest says: records altered or reordered")
	}
	if m.Version == 2 && hex.EncodeToString(chain) != m.BlocksHash {
		return fmt.Errorf("block hash chain does not end where the manifest says: blocks altered, removed or reordered")
	}
	return nil
}

// ReadSegment decodes every record of a segment, checking nothing but the
// format (CheckSegment checks integrity). It bounds what it decodes, so a
// hostile segment cannot exhaust memory.
func ReadSegment(manifest, data []byte) ([]Record, error) {
	var m Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	if len(m.Blocks) > 1<<20 {
		return nil, fmt.Errorf("manifest lists too many blocks")
	}
	var out []Record
	for _, b := range m.Blocks {
		if err := readBlock(data, b, func(l []byte) error {
			var r Record
			if err := decodeRecord(l, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}
