// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package journal

import (
	"strconv"
	"sync"

	"github.com/preau/preau/internal/jsonenc"
)

// appendCanonical appends the canonical form of e (see canonical): the
// bytes encoding/json makes of it, written by hand. It is 5 to 10 times
// faster (an import seals hundreds of thousands of entries), and it fixes
// the form: a change of encoding/json's output in a later Go release can
// no longer break the existing chains. FuzzCanonicalMatchesJSON holds it to
// encoding/json's output of today.
func appendCanonical(b []byte, e *Entry) []byte {
	b = append(b, `{"v":1,"chain":`...)
	b = jsonenc.AppendString(b, e.Chain)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"at":`...)
	b = strconv.AppendInt(b, e.At.UTC().UnixMicro(), 10)
	for _, f := range [...]struct{ name, value string }{
		{`,"actor_id":`, e.ActorID}, {`,"actor_login":`, e.ActorLogin}, {`,"channel":`, e.Channel},
		{`,"source":`, e.Source}, {`,"action":`, e.Action}, {`,"target_type":`, e.TargetType},
		{`,"target_id":`, e.TargetID}, {`,"target_name":`, e.TargetName},
	} {
		b = append(b, f.name...)
		b = jsonenc.AppendString(b, f.value)
	}
	b = append(b, `,"attributes":[`...)
	for i, a := range e.Attributes {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, a)
	}
	b = append(b, `],"result":`...)
	b = jsonenc.AppendString(b, string(e.Result))
	b = append(b, `,"reason":`...)
	b = jsonenc.AppendString(b, e.Reason)
	b = append(b, `,"prev_hash":`...)
	b = jsonenc.AppendString(b, e.PrevHash)
	return append(b, '}')
}

// canonicalBuffers recycles ComputeHash's buffers.
var canonicalBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
