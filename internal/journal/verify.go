// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package journal

import (
	"fmt"
)

// Problem describes the first place where a chain stops verifying.
type Problem struct {
	Chain string
	Seq   int64  // sequence number of the offending (or first missing) entry
	ID    int64  // row id of the offending entry; 0 when the entry is missing
	What  string // "altered", "deleted", "inserted", "reordered" or "checkpoint"
	Msg   string
}

// String describes the problem for an operator.
func (p *Problem) String() string {
	if p.ID != 0 {
		return fmt.Sprintf("chain %s: entry #%d (seq %d) %s: %s", p.Chain, p.ID, p.Seq, p.What, p.Msg)
	}
	return fmt.Sprintf("chain %s: seq %d %s: %s", p.Chain, p.Seq, p.What, p.Msg)
}

// Verifier checks one chain. The store feeds it the chain's entries in
// sequence order (ties by row id); the verifier also checks that row ids grow
// with sequence numbers, which is how a reordering shows.
//
// How each kind of tampering is named:
//   - altered: an entry's content no longer matches its hash; or an entry was
//     altered and re-hashed, so the next entry's link no longer matches it;
//   - deleted: a gap in the sequence, or the chain ends before its head;
//   - inserted: an entry beyond the chain head, or a repeated sequence number;
//   - reordered: an entry stored (by row id) before the one it follows.
type Verifier struct {
	chain    string
	headSeq  int64
	headHash string
	prevSeq  int64
	prevHash string
	prevID   int64
	problem  *Problem
	count    int64
}

// NewVerifier returns a Verifier for chain whose head (the last sequence and
// hash the store appended) is headSeq and headHash. cp, when not nil, is the
// verified checkpoint the chain resumes from after a purge.
func NewVerifier(chain string, headSeq int64, headHash string, cp *Checkpoint) *Verifier {
	v := &Verifier{chain: chain, headSeq: headSeq, headHash: headHash}
	if cp != nil {
		v.prevSeq, v.prevHash = cp.Seq, cp.Hash
	}
	return v
}

// Next checks the next entry. It returns false once a problem was found; the
// problem is then reported by Finish and later entries are ignored.
func (v *Verifier) Next(e *Entry) bool {
	if v.problem != nil {
		return false
	}
	v.count++
	want := v.prevSeq + 1
	switch {
	case e.Chain != v.chain:
		v.fail(e, "inserted", "entry claims chain %q", e.Chain)
	case e.Seq > v.headSeq:
		v.fail(e, "inserted", "sequence %d is beyond the chain head %d", e.Seq, v.headSeq)
	case e.Seq < want:
		v.fail(e, "inserted", "sequence number %d appears twice", e.Seq)
	case e.Seq > want:
		v.fail(e, "deleted", "entries with sequence %d to %d are missing", want, e.Seq-1)
		v.problem.Seq, v.problem.ID = want, 0
	case e.Hash != ComputeHash(e):
		v.fail(e, "altered", "content does not match its hash")
	case e.PrevHash != v.prevHash && v.prevID != 0:
		v.problem = &Problem{Chain: v.chain, Seq: v.prevSeq, ID: v.prevID, What: "altered",
			Msg: fmt.Sprintf("entry #%d no longer matches the hash that entry #%d sealed", v.prevID, e.ID)}
	case e.PrevHash != v.prevHash:
		v.fail(e, "checkpoint", "first entry does not follow the purge checkpoint")
	case e.ID < v.prevID:
		v.fail(e, "reordered", "stored before entry #%d which it follows", v.prevID)
	}
	if v.problem != nil {
		return false
	}
	v.prevSeq, v.prevHash, v.prevID = e.Seq, e.Hash, e.ID
	return true
}

func (v *Verifier) fail(e *Entry, what, format string, args ...any) {
	v.problem = &Problem{Chain: v.chain, Seq: e.Seq, ID: e.ID, What: what, Msg: fmt.Sprintf(format, args...)}
}

// Finish ends the walk and returns the first problem, or nil when the chain
// verifies from its start (or checkpoint) to its head.
func (v *Verifier) Finish() *Problem {
	if v.problem != nil {
		return v.problem
	}
	if v.headSeq > v.prevSeq {
		return &Problem{Chain: v.chain, Seq: v.prevSeq + 1, What: "deleted",
			Msg: fmt.Sprintf("the chain head is at %d but the last entry found is %d", v.headSeq, v.prevSeq)}
	}
	if v.prevHash != v.headHash {
		return &Problem{Chain: v.chain, Seq: v.prevSeq, ID: v.prevID, What: "altered",
			Msg: "the last entry does not match the chain head"}
	}
	return nil
}

// Stopped reports whether a problem was found.
func (v *Verifier) Stopped() bool { return v.problem != nil }

// Count returns how many entries were checked.
func (v *Verifier) Count() int64 { return v.count }
