// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// Problem is one thing Verify found wrong, naming the segment.
type Problem struct {
	Stream string // node/class/establishment prefix
	Seq    int64  // the segment concerned (0: the stream as a whole)
	What   string
}

func (p Problem) String() string {
	if p.Seq == 0 {
		return p.Stream + ": " + p.What
	}
	return fmt.Sprintf("%s segment %012d: %s", p.Stream, p.Seq, p.What)
}

// Report is Verify's result.
type Report struct {
	Streams  int
	Segments int
	Records  int64
	Problems []Problem
}

// OK says whether nothing was found wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(prefix string, seq int64, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Stream: strings.TrimSuffix(strings.TrimPrefix(prefix, "logs/"), "/"),
		Seq: seq, What: fmt.Sprintf(format, args...)})
}

// streamBounds are what the chain of one stream must start from and reach,
// when known from outside the segments (a purge checkpoint, a head, an
// archive's index).
type streamBounds struct {
	firstSeq int64  // first segment expected (after a purge), default 1
	prev     string // Prev expected of the first segment
	lastSeq  int64  // last segment expected (from the head), 0 if unknown
}

// Verify checks every stream under "logs/" in bs: each manifest's signature
// with pub, each segment against its manifest, the record chains, and the
// chain between segments; deleted, altered, reordered and renamed segments
// are named in the report. It reads one segment at a time.
func Verify(ctx context.Context, bs blob.Store, pub ed25519.PublicKey) (*Report, error) {
	prefixes, err := streamPrefixes(ctx, bs)
	if err != nil {
		return nil, core.Wrap("logs.Verify", core.Internal, err)
	}
	rep := &Report{}
	for _, prefix := range prefixes {
		b := streamBounds{firstSeq: 1}
		if p, err := readPurged(ctx, bs, prefix); err != nil {
			rep.add(prefix, 0, "purge checkpoint unreadable: %v", err)
		} else if p != nil {
			if err := verifyObj(p.KeyID, p.Signature, pub, p.signedBytes(prefix)); err != nil {
				rep.add(prefix, 0, "purge checkpoint: %v", err)
			}
			b.firstSeq, b.prev = p.Seq+1, p.Hash
		}
		if hb, err := readObject(ctx, bs, prefix+"head", 1<<16); err == nil {
			var h Head
			if json.Unmarshal(hb, &h) != nil {
				rep.add(prefix, 0, "head pointer is not valid JSON: altered")
			} else if err := verifyObj(h.KeyID, h.Signature, pub, h.signedBytes(prefix)); err != nil {
				rep.add(prefix, 0, "head pointer: %v", err)
			} else {
				b.lastSeq = h.Seq
			}
		} else if !core.IsKind(err, core.NotFound) {
			rep.add(prefix, 0, "head pointer unreadable: %v", err)
		} else {
			rep.add(prefix, 0, "head pointer missing: the newest segments cannot be checked for deletion")
		}
		if err := verifyStream(ctx, bs, pub, prefix, b, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// streamPrefixes lists the stream prefixes (logs/<node>/<class>/<est>/).
func streamPrefixes(ctx context.Context, bs blob.Store) ([]string, error) {
	seen := map[string]bool{}
	err := bs.List(ctx, "logs/", func(i blob.Info) error {
		parts := strings.Split(i.Key, "/")
		if len(parts) == 5 {
			seen[strings.Join(parts[:4], "/")+"/"] = true
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, err
}

func verifyStream(ctx context.Context, bs blob.Store, pub ed25519.PublicKey, prefix string, b streamBounds, rep *Report) error {
	rep.Streams++
	segs, err := listSeqs(ctx, bs, prefix, ".seg")
	if err != nil {
		return err
	}
	mans, err := listSeqs(ctx, bs, prefix, ".man")
	if err != nil {
		return err
	}
	has := map[int64]int{}
	last := b.lastSeq
	for _, s := range segs {
		has[s] |= 1
		last = max(last, s)
	}
	for _, s := range mans {
		has[s] |= 2
		last = max(last, s)
	}
	for s := range has {
		if s < b.firstSeq {
			rep.add(prefix, s, "present although the stream was purged up to %012d", b.firstSeq-1)
		}
	}
	if b.lastSeq > 0 && last > b.lastSeq+1 {
		rep.add(prefix, 0, "segments after %012d exist but the head pointer names %012d", b.lastSeq+1, b.lastSeq)
	}
	prev, prevKnown := b.prev, true
	for seq := b.firstSeq; seq <= last; seq++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch has[seq] {
		case 0:
			rep.add(prefix, seq, "missing: segment and manifest deleted")
			prevKnown = false
			continue
		case 1:
			rep.add(prefix, seq, "manifest missing (deleted)")
			prevKnown = false
			continue
		case 2:
			rep.add(prefix, seq, "segment data missing (deleted)")
			prevKnown = false
			if m, err := readManifest(ctx, bs, manKey(prefix, seq)); err == nil {
				prev, prevKnown = m.Hash, true
			}
			continue
		}
		m, err := readManifest(ctx, bs, manKey(prefix, seq))
		if err != nil {
			rep.add(prefix, seq, "manifest unreadable: %v", err)
			prevKnown = false
			continue
		}
		rep.Segments++
		if err := m.CheckSignature(pub); err != nil {
			rep.add(prefix, seq, "%v", err)
		}
		if m.Seq != seq {
			rep.add(prefix, seq, "stored as segment %012d but its signed manifest says %012d: segments reordered or renamed", seq, m.Seq)
		}
		if got := streamPrefix(m.Node, Stream{Class: m.Class, Establishment: m.Establishment}); got != prefix {
			rep.add(prefix, seq, "its signed manifest belongs to stream %s: moved from another stream", strings.TrimSuffix(strings.TrimPrefix(got, "logs/"), "/"))
		}
		if prevKnown && m.Prev != prev {
			rep.add(prefix, seq, "does not follow the previous segment (chain broken): segments reordered, replaced or one before it deleted")
		}
		data, err := readObject(ctx, bs, segKey(prefix, seq), 4<<30)
		if err != nil {
			rep.add(prefix, seq, "segment unreadable: %v", err)
		} else if err := CheckSegment(m, data); err != nil {
			rep.add(prefix, seq, "%v", err)
		} else {
			rep.Records += int64(m.Count)
		}
		prev, prevKnown = m.Hash, true
	}
	if b.lastSeq > 0 && last < b.lastSeq {
		rep.add(prefix, 0, "the head pointer names segment %012d, the newest present is %012d: newest segments deleted", b.lastSeq, last)
	}
	return nil
}

// signObj signs msg with key into keyID and sig.
func signObj(keyID, sig *string, key ed25519.PrivateKey, msg []byte) {
	*keyID = KeyID(key.Public().(ed25519.PublicKey))
	*sig = base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg))
}

func verifyObj(keyID, sig string, pub ed25519.PublicKey, msg []byte) error {
	if keyID != KeyID(pub) {
		return fmt.Errorf("signed by key %s, not by this deployment's key %s", keyID, KeyID(pub))
	}
	s, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || !ed25519.Verify(pub, msg, s) {
		return fmt.Errorf("bad signature: altered")
	}
	return nil
}
