// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package syslogd

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	"github.com/preau/preau/internal/logs"
)

// encoder turns messages into the store's JSON lines without building a
// logs.Record: the line is byte for byte what logs.EncodeJSON writes for
// ToRecord(Parse(…)) (FuzzEncoderMatchesRecordPath holds it to that), and
// parsing and encoding a message allocate nothing once the buffers are
// warm. One encoder serves one connection.
type encoder struct {
	v         view
	scratch   []byte
	order     []int
	src       netip.Addr
	peer      string // src.String(), "" when src is not valid
	transport string
	hostB     []byte // the last host name seen and its string (interned)
	hostS     string
	// The trust window of device times (ToRecord's), computed once per
	// second of now.
	winSec       int64
	winLo, winHi time.Time
}

// window returns the times a device time must lie between to be kept
// (ToRecord's rule: at most a day ahead, at most a year behind).
func (e *encoder) window(now time.Time) (lo, hi time.Time) {
	if sec := now.Unix(); sec != e.winSec || e.winHi.IsZero() {
		e.winSec = sec
		s := time.Unix(sec, 0).In(now.Location())
		e.winLo, e.winHi = s.AddDate(-1, 0, 0), s.Add(24*time.Hour)
	}
	// Within the second: shift by the sub-second part (AddDate of a whole
	// second plus the same nanoseconds is the same instant).
	ns := time.Duration(now.Nanosecond())
	return e.winLo.Add(ns), e.winHi.Add(ns)
}

// appendTime appends t (UTC) as RFC 3339 with nanoseconds, trailing zeros
// trimmed: what time.RFC3339Nano writes, digit by digit.
func (e *encoder) appendTime(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	if y < 1000 || y > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	h, mi, sec := t.Clock()
	two := func(b []byte, v int) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	dst = two(dst, y/100)
	dst = two(dst, y%100)
	dst = append(dst, '-')
	dst = two(dst, int(mo))
	dst = append(dst, '-')
	dst = two(dst, d)
	dst = append(dst, 'T')
	dst = two(dst, h)
	dst = append(dst, ':')
	dst = two(dst, mi)
	dst = append(dst, ':')
	dst = two(dst, sec)
	if ns := t.Nanosecond(); ns != 0 {
		var b [10]byte
		b[0] = '.'
		for i := 9; i >= 1; i-- {
			b[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for b[n-1] == '0' {
			n--
		}
		dst = append(dst, b[:n]...)
	}
	return append(dst, 'Z')
}

func newEncoder(src netip.Addr, transport string) *encoder {
	e := &encoder{src: src, transport: transport}
	if src.IsValid() {
		e.peer = src.String()
	}
	return e
}

// host returns the record's source as a string, reusing the previous one
// when the message names the same host (a connection is usually one
// device).
func (e *encoder) host() string {
	h := e.v.host
	if len(h) == 0 {
		return e.peer
	}
	if !bytes.Equal(h, e.hostB) {
		e.hostB = append(e.hostB[:0], h...)
		e.hostS = string(h)
	}
	return e.hostS
}

// appendJSONText appends text(b) as a JSON string.
func (e *encoder) appendJSONText(dst, b []byte) []byte {
	if plainText(b) {
		return logs.AppendJSONString(dst, unsafeString(b))
	}
	e.scratch = appendText(e.scratch[:0], b)
	return logs.AppendJSONString(dst, unsafeString(e.scratch))
}

func appendKey(dst []byte, k string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

// encode parses msg and appends its stored line to dst. It returns the
// record's time (UTC), class and source.
func (e *encoder) encode(dst, msg []byte, est string, now time.Time, loc *time.Location) ([]byte, time.Time, logs.Class, string) {
	v := &e.v
	v.parse(msg, now, loc)
	t := v.t
	if lo, hi := e.window(now); t.IsZero() || t.After(hi) || t.Before(lo) {
		t = now
	}
	class := logs.ClassSystem
	if v.fac == 4 || v.fac == 10 {
		class = logs.ClassSecurity
	}
	host := e.host()
	ut := t.UTC()
	dst = append(dst, `{"time":"`...)
	dst = e.appendTime(dst, ut)
	dst = append(dst, '"')
	if est != "" {
		dst = appendKey(dst, "establishment")
		dst = logs.AppendJSONString(dst, est)
	}
	dst = append(dst, `,"class":"`...)
	dst = append(dst, class...)
	dst = append(dst, '"')
	if host != "" {
		dst = appendKey(dst, "source")
		dst = logs.AppendJSONString(dst, host)
	}
	dst = append(dst, `,"facility":`...)
	dst = strconv.AppendUint(dst, uint64(v.fac), 10)
	dst = append(dst, `,"severity":`...)
	dst = strconv.AppendUint(dst, uint64(v.sev), 10)
	dst = appendKey(dst, "service")
	if len(v.app) > 0 {
		dst = logs.AppendJSONString(dst, unsafeString(v.app))
	} else {
		dst = append(dst, `"syslog"`...)
	}
	if len(v.text) > 0 {
		dst = appendKey(dst, "message")
		dst = e.appendJSONText(dst, v.text)
	}
	// Fields, in key order: bad_pri, device_time, format, msgid, peer,
	// procid, sd.…, transport.
	dst = append(dst, `,"fields":{`...)
	if v.badPRI {
		dst = append(dst, `"bad_pri":"1",`...)
	}
	if !v.t.IsZero() && !t.Equal(v.t) {
		dst = append(dst, `"device_time":`...)
		e.scratch = v.t.AppendFormat(e.scratch[:0], time.RFC3339Nano)
		dst = logs.AppendJSONString(dst, unsafeString(e.scratch))
		dst = append(dst, ',')
	}
	dst = append(dst, `"format":"`...)
	dst = append(dst, v.format...)
	dst = append(dst, '"', ',')
	if len(v.msgid) > 0 {
		dst = append(dst, `"msgid":`...)
		dst = logs.AppendJSONString(dst, unsafeString(v.msgid))
		dst = append(dst, ',')
	}
	if e.peer != "" {
		dst = append(dst, `"peer":"`...)
		dst = append(dst, e.peer...)
		dst = append(dst, '"', ',')
	}
	if len(v.proc) > 0 {
		dst = append(dst, `"procid":`...)
		dst = logs.AppendJSONString(dst, unsafeString(v.proc))
		dst = append(dst, ',')
	}
	if len(v.sd) > 0 {
		e.order = e.order[:0]
		for i := range v.sd {
			e.order = append(e.order, i)
		}
		for i := 1; i < len(e.order); i++ { // insertion sort: a handful of keys
			for j := i; j > 0 && bytes.Compare(v.key(v.sd[e.order[j]]), v.key(v.sd[e.order[j-1]])) < 0; j-- {
				e.order[j], e.order[j-1] = e.order[j-1], e.order[j]
			}
		}
		for _, i := range e.order {
			p := v.sd[i]
			dst = logs.AppendJSONString(dst, unsafeString(v.key(p)))
			dst = append(dst, ':')
			dst = e.appendJSONText(dst, v.val(p))
			dst = append(dst, ',')
		}
	}
	dst = append(dst, `"transport":`...)
	dst = logs.AppendJSONString(dst, e.transport)
	dst = append(dst, '}', '}')
	return dst, ut, class, host
}
