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
	order     []int // the structured-data parameters in key order (sortSD)
	sdKeys    []byte
	sdK1      []int
	sdJSON    []byte
	sdEnds    []int
	src       netip.Addr
	peer      string // src.String(), "" when src is not valid
	transport string
	hostB     []byte // the last host name seen, its string (interned) and its JSON
	hostS     string
	hostJ     []byte
	tail      []byte // `"peer":"…",` (when there is a peer): the fields every line of the connection has
	end       []byte // `"transport":"…"}}`
	// The hour (Unix time / 3600) of the last record time written and its
	// "YYYY-MM-DDThh:mm:ss" form.
	tsHour int64
	tsB    [19]byte
	// The trust window of device times (ToRecord's), computed once per
	// second of now: its bounds at that second, as Unix seconds and
	// nanoseconds.
	winSec           int64
	winLoS, winHiS   int64
	winLoNs, winHiNs int32
	winOK            bool
}

// inWindow says whether a device time t may be kept as the record's time
// at reception time now: ToRecord's rule (at most a day ahead, at most a
// year behind), with the bounds computed once per second of now and
// compared as integers.
func (e *encoder) inWindow(t, now time.Time) bool {
	if sec := now.Unix(); sec != e.winSec || !e.winOK {
		e.winSec, e.winOK = sec, true
		s := time.Unix(sec, 0).In(now.Location())
		lo, hi := s.AddDate(-1, 0, 0), s.Add(24*time.Hour)
		e.winLoS, e.winLoNs = lo.Unix(), int32(lo.Nanosecond())
		e.winHiS, e.winHiNs = hi.Unix(), int32(hi.Nanosecond())
	}
	// Within the second: the bounds shift by now's sub-second part (AddDate
	// of a whole second plus the same nanoseconds is the same instant).
	ns := int32(now.Nanosecond())
	loS, loNs := e.winLoS, e.winLoNs+ns
	hiS, hiNs := e.winHiS, e.winHiNs+ns
	if loNs >= 1e9 {
		loS, loNs = loS+1, loNs-1e9
	}
	if hiNs >= 1e9 {
		hiS, hiNs = hiS+1, hiNs-1e9
	}
	ts, tns := t.Unix(), int32(t.Nanosecond())
	if ts < loS || ts == loS && tns < loNs { // before lo
		return false
	}
	return ts < hiS || ts == hiS && tns <= hiNs // not after hi
}

// appendTime appends t (UTC) as RFC 3339 with nanoseconds, trailing zeros
// trimmed: what time.RFC3339Nano writes, digit by digit.
func (e *encoder) appendTime(dst []byte, t time.Time) []byte {
	sec := t.Unix()
	if sec < 0 || sec >= 253402300800 { // before 1970 or after 9999: rare, the reference
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	b := &e.tsB
	two := func(i, v int) { b[i], b[i+1] = byte('0'+v/10), byte('0'+v%10) }
	if hour := sec / 3600; hour != e.tsHour || b[0] == 0 {
		y, mo, d := t.Date()
		two(0, y/100)
		two(2, y%100)
		b[4] = '-'
		two(5, int(mo))
		b[7] = '-'
		two(8, d)
		b[10] = 'T'
		two(11, t.Hour())
		b[13], b[16] = ':', ':'
		e.tsHour = hour
	}
	// UTC has no leap seconds in Go: the minutes and seconds are the
	// remainder of the hour.
	r := int(sec % 3600)
	two(14, r/60)
	two(17, r%60)
	dst = append(dst, b[:]...)
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
		e.tail = append(e.tail, `"peer":`...)
		e.tail = logs.AppendJSONString(e.tail, e.peer)
		e.tail = append(e.tail, ',')
	}
	e.end = append(e.end, `"transport":`...)
	e.end = logs.AppendJSONString(e.end, transport)
	e.end = append(e.end, '}', '}')
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
	if !bytes.Equal(h, e.hostB) || e.hostJ == nil {
		e.hostB = append(e.hostB[:0], h...)
		e.hostS = string(h)
		e.hostJ = logs.AppendJSONString(e.hostJ[:0], e.hostS)
	}
	return e.hostS
}

// appendJSONString appends b quoted as logs.AppendJSONString quotes it.
func appendJSONString(dst, b []byte) []byte {
	if plainBytes(b) {
		dst = append(dst, '"')
		dst = append(dst, b...)
		return append(dst, '"')
	}
	return logs.AppendJSONString(dst, unsafeString(b))
}

// appendJSONText appends text(b) as a JSON string.
func (e *encoder) appendJSONText(dst, b []byte) []byte {
	if plainBytes(b) { // the usual text: kept as it is by text() and by JSON
		dst = append(dst, '"')
		dst = append(dst, b...)
		return append(dst, '"')
	}
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

// sortSD sets e.order to the view's structured-data parameters in key
// order, with each key's JSON (`"sd.<id>.<param>":`) at
// e.sdJSON[e.sdEnds[i]:e.sdEnds[i+1]]. A device sends the same
// parameters message after message: the last order is kept while the keys
// are the same.
func (e *encoder) sortSD() {
	v := &e.v
	same := len(v.sd) == len(e.sdK1) && bytes.Equal(v.keys, e.sdKeys)
	for i := 0; same && i < len(v.sd); i++ {
		same = v.sd[i].k1 == e.sdK1[i]
	}
	if same {
		return
	}
	e.sdKeys = append(e.sdKeys[:0], v.keys...)
	e.sdK1 = e.sdK1[:0]
	e.order = e.order[:0]
	for i := range v.sd {
		e.sdK1 = append(e.sdK1, v.sd[i].k1)
		e.order = append(e.order, i)
	}
	for i := 1; i < len(e.order); i++ { // insertion sort: a handful of keys
		for j := i; j > 0 && bytes.Compare(v.key(v.sd[e.order[j]]), v.key(v.sd[e.order[j-1]])) < 0; j-- {
			e.order[j], e.order[j-1] = e.order[j-1], e.order[j]
		}
	}
	e.sdJSON, e.sdEnds = e.sdJSON[:0], append(e.sdEnds[:0], 0)
	for _, k := range e.order {
		e.sdJSON = appendJSONString(e.sdJSON, v.key(v.sd[k]))
		e.sdJSON = append(e.sdJSON, ':')
		e.sdEnds = append(e.sdEnds, len(e.sdJSON))
	}
}

// encode parses msg and appends its stored line to dst. It returns the
// record's time (UTC), class and source.
func (e *encoder) encode(dst, msg []byte, est string, now time.Time, loc *time.Location) ([]byte, time.Time, logs.Class, string) {
	v := &e.v
	v.parse(msg, now, loc)
	t := v.t
	if t.IsZero() || !e.inWindow(t, now) {
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
		if len(v.host) > 0 {
			dst = append(dst, e.hostJ...)
		} else {
			dst = logs.AppendJSONString(dst, host)
		}
	}
	dst = append(dst, `,"facility":`...)
	dst = strconv.AppendUint(dst, uint64(v.fac), 10)
	dst = append(dst, `,"severity":`...)
	dst = strconv.AppendUint(dst, uint64(v.sev), 10)
	dst = appendKey(dst, "service")
	if len(v.app) > 0 {
		dst = appendJSONString(dst, v.app)
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
		dst = appendJSONString(dst, v.msgid)
		dst = append(dst, ',')
	}
	dst = append(dst, e.tail...) // "peer"
	if len(v.proc) > 0 {
		dst = append(dst, `"procid":`...)
		dst = appendJSONString(dst, v.proc)
		dst = append(dst, ',')
	}
	if len(v.sd) > 0 {
		e.sortSD()
		for i, k := range e.order {
			dst = append(dst, e.sdJSON[e.sdEnds[i]:e.sdEnds[i+1]]...) // `"sd.<id>.<param>":`
			dst = e.appendJSONText(dst, v.sd[k].val)
			dst = append(dst, ',')
		}
	}
	dst = append(dst, e.end...) // "transport", and the ends of fields and of the record
	return dst, ut, class, host
}
