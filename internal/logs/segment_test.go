// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"
)

// testLines returns n encoded records of many users (so that a segment
// has several blocks).
func testLines(n int) []line {
	var lines []line
	for i := 0; i < n; i++ {
		r := rec(i, "e", ClassConnection)
		lines = append(lines, line{data: EncodeJSON(&r), t: r.Time, user: r.User, host: r.Source})
	}
	return lines
}

// version1 turns a version 2 segment's manifest into the version 1 form
// the first sealers wrote (a chain over the records, no block digests).
func version1(m *Manifest, data []byte) *Manifest {
	v1 := *m
	v1.Version, v1.BlocksHash = 1, ""
	v1.Blocks = slices.Clone(m.Blocks)
	chain := chainStart(m.Prev)
	var ch chainer
	for i := range v1.Blocks {
		v1.Blocks[i].SHA256 = ""
		if err := readBlock(data, v1.Blocks[i], func(l []byte) error {
			chain = ch.step(chain, l)
			return nil
		}); err != nil {
			panic(err) // the segment was just built
		}
	}
	v1.RecordsHash = hex.EncodeToString(chain)
	v1.Sign(testKey)
	return &v1
}

// The block chain (version 2) catches a block altered, reordered or
// removed in the manifest's list, on top of the segment's SHA-256.
// CARINE: MCO-JAL-8
func TestCheckSegmentBlockChain(t *testing.T) {
	data, m := buildSegment(testLines(5000), "prev-manifest", nil)
	if m.Version != 2 || m.BlocksHash == "" || m.RecordsHash != "" || len(m.Blocks) < 3 {
		t.Fatalf("a new segment is version 2 with a block chain and several blocks: %+v", m)
	}
	if err := CheckSegment(m, data); err != nil {
		t.Fatalf("a fresh segment does not check: %v", err)
	}
	try := func(name, want string, mod func(m *Manifest)) {
		t.Helper()
		c := *m
		c.Blocks = slices.Clone(m.Blocks)
		mod(&c)
		err := CheckSegment(&c, data)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", name, err, want)
		}
	}
	try("blocks reordered", "chain", func(c *Manifest) { c.Blocks[0], c.Blocks[1] = c.Blocks[1], c.Blocks[0] })
	try("block dropped", "records", func(c *Manifest) { c.Blocks = c.Blocks[1:] })
	try("digest changed", "digest", func(c *Manifest) { c.Blocks[2].SHA256 = strings.Repeat("0", 64) })
	try("chain end changed", "chain", func(c *Manifest) { c.BlocksHash = strings.Repeat("0", 64) })
	try("another previous segment", "chain", func(c *Manifest) { c.Prev = "other" })
	try("unknown version", "version 3", func(c *Manifest) { c.Version = 3 })
	// A byte flipped inside one block (segment SHA-256 fixed up, as an
	// attacker without the key could not fix the signed manifest) is named
	// by the block's digest.
	bad := slices.Clone(data)
	b := m.Blocks[1]
	bad[b.Offset+b.Length/2] ^= 0x40
	c := *m
	s := sha256Hex(bad)
	c.SegmentSHA256 = s
	if err := CheckSegment(&c, bad); err == nil || !strings.Contains(err.Error(), "block 2") {
		t.Errorf("a flipped byte in block 2: got %v", err)
	}
}

// Segments sealed by the first version (a chain over every record) still
// verify, and their record chain still catches a change.
// CARINE: MCO-JAL-8
func TestCheckSegmentReadsVersion1(t *testing.T) {
	data, m := buildSegment(testLines(3000), "prev-manifest", nil)
	v1 := version1(m, data)
	if err := v1.CheckSignature(testKey.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if err := CheckSegment(v1, data); err != nil {
		t.Fatalf("a version 1 segment does not check: %v", err)
	}
	c := *v1
	c.RecordsHash = strings.Repeat("0", 64)
	if err := CheckSegment(&c, data); err == nil || !strings.Contains(err.Error(), "record hash chain") {
		t.Fatalf("a version 1 chain end changed: got %v", err)
	}
	c = *v1
	c.Blocks = slices.Clone(v1.Blocks)
	c.Blocks[0], c.Blocks[1] = c.Blocks[1], c.Blocks[0]
	if err := CheckSegment(&c, data); err == nil || !strings.Contains(err.Error(), "reordered") {
		t.Fatalf("version 1 blocks reordered: got %v", err)
	}
	if recs, err := ReadSegment(must(v1), data); err != nil || len(recs) != 3000 {
		t.Fatalf("reading a version 1 segment: %d records, %v", len(recs), err)
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The packed-key sort orders records as cmpRef does: by time, records of
// the same time in arrival order; a segment too long for packed keys
// falls back to cmpRef.
func TestSortRefsMatchesCmpRef(t *testing.T) {
	for _, span := range []time.Duration{time.Second, time.Hour, 400 * 24 * time.Hour} {
		lines := make([]line, 5000)
		var first, last time.Time
		for i := range lines {
			// Two interleaved senders, many equal times, some late records.
			d := time.Duration((i*7919)%1000) * span / 1000
			if i%3 == 0 {
				d = time.Duration(i%17) * span / 17
			}
			lines[i].t = t0.Add(d)
			if i == 0 || lines[i].t.Before(first) {
				first = lines[i].t
			}
			if lines[i].t.After(last) {
				last = lines[i].t
			}
		}
		refs := make([]sortRef, len(lines))
		for i := range lines {
			refs[i] = sortRef{sec: lines[i].t.Unix(), ns: int32(lines[i].t.Nanosecond()), i: int32(i)}
		}
		want := slices.Clone(refs)
		slices.SortFunc(want, cmpRef)
		keys := packKeys(lines, first, last, &segScratch{})
		if (keys == nil) != (span > 24*time.Hour) {
			t.Fatalf("span %s: packed keys %v", span, keys != nil)
		}
		sortRefs(refs, keys, lines)
		if !slices.Equal(refs, want) {
			t.Fatalf("span %s: the packed sort differs from cmpRef", span)
		}
	}
}
