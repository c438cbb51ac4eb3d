// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package journal

import (
	"strconv"
	"sync"
	"unicode/utf8"
)

// appendCanonical appends the canonical form of e (see canonical): the
// bytes encoding/json makes of it, written by hand. It is 5 to 10 times
// faster (an import seals hundreds of thousands of entries), and it fixes
// the form: a change of encoding/json's output in a later Go release can
// no longer break the existing chains. FuzzCanonicalMatchesJSON holds it to
// encoding/json's output of today.
func appendCanonical(b []byte, e *Entry) []byte {
	b = append(b, `{"v":1,"chain":`...)
	b = appendJSONString(b, e.Chain)
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
		b = appendJSONString(b, f.value)
	}
	b = append(b, `,"attributes":[`...)
	for i, a := range e.Attributes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a)
	}
	b = append(b, `],"result":`...)
	b = appendJSONString(b, string(e.Result))
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, e.Reason)
	b = append(b, `,"prev_hash":`...)
	b = appendJSONString(b, e.PrevHash)
	return append(b, '}')
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping on: <, >, & and control characters as \u00XX (but \b, \f, \n,
// \r, \t), " and \ escaped, invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// canonicalBuffers recycles ComputeHash's buffers.
var canonicalBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
