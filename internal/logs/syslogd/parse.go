// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package syslogd receives syslog from network equipment (MCO-JAL-1,
// MCO-JAL-8): UDP (RFC 5426), TCP with octet-counting or LF framing (RFC
// 6587) and TLS (RFC 5425). It parses RFC 5424 and RFC 3164 the way real
// devices send them (formats.md §7) and never drops a message it cannot
// parse: the raw line is kept as the message. Records go to a logs.Sink,
// mapped to an establishment by the sender's address.
//
// The parser works on views: a parsed message's fields are slices of the
// input (and of a reused scratch buffer for unescaped structured-data
// values), so that the stream receivers parse and encode a record without
// allocating (encode.go); Parse turns a view into a Message with strings.
package syslogd

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Format says which syntax a message was parsed with.
type Format string

// Formats.
const (
	RFC5424 Format = "rfc5424"
	RFC3164 Format = "rfc3164"
	Raw     Format = "raw" // no recognisable header: the whole line is the message
)

// Message is a parsed syslog message.
type Message struct {
	Format   Format
	Facility uint8
	Severity uint8
	BadPRI   bool      // PRI missing or out of range: facility user, severity notice assumed
	Time     time.Time // zero when the message carries none (the receiver uses its clock)
	Hostname string
	AppName  string
	ProcID   string
	MsgID    string
	SD       map[string]string // structured data, flattened as "sd.<id>.<param>"
	Text     string
}

// MaxMessage is the longest message kept; longer ones are truncated.
const MaxMessage = 64 << 10

// maxSDParams is how many distinct structured-data parameters a message
// keeps.
const maxSDParams = 64

// sdParam is one structured-data parameter of a view: its key
// ("sd.<id>.<param>") at view.keys[k0:k1], and its value, unescaped (a
// slice of the input when it has no escape, else of view.vals).
type sdParam struct {
	k0, k1 int
	val    []byte
}

// view is a parsed message whose byte fields point into the input or into
// the view's own scratch buffers. It is valid until the next parse with the
// same view.
type view struct {
	format                 Format
	fac, sev               uint8
	badPRI                 bool
	t                      time.Time
	host, app, proc, msgid []byte
	hasSD                  bool // a structured-data element was present (Message.SD not nil)
	sd                     []sdParam
	keys, vals             []byte
	text                   []byte // raw: text() applies when it becomes a string
	nul                    []byte // scratch for a message holding NUL bytes
	hours                  hourCache
}

func (v *view) reset() {
	*v = view{sd: v.sd[:0], keys: v.keys[:0], vals: v.vals[:0], nul: v.nul[:0], hours: v.hours}
}

func (v *view) key(p sdParam) []byte { return v.keys[p.k0:p.k1] }
func (v *view) val(p sdParam) []byte { return p.val }

// Parse parses one syslog message. It never fails: what it cannot parse
// ends up in Text. now and loc serve RFC 3164 timestamps, which have no year
// and no zone: the year is the one that puts the time no later than a day
// after now (New Year rollover), the zone is loc.
func Parse(b []byte, now time.Time, loc *time.Location) Message {
	var v view
	v.parse(b, now, loc)
	return v.message()
}

// message turns the view into a Message with its own strings.
func (v *view) message() Message {
	m := Message{Format: v.format, Facility: v.fac, Severity: v.sev, BadPRI: v.badPRI, Time: v.t,
		Hostname: string(v.host), AppName: string(v.app), ProcID: string(v.proc), MsgID: string(v.msgid), Text: text(v.text)}
	if v.hasSD {
		m.SD = make(map[string]string, len(v.sd))
		for _, p := range v.sd {
			m.SD[string(v.key(p))] = text(v.val(p))
		}
	}
	return m
}

// parse fills v from b.
func (v *view) parse(b []byte, now time.Time, loc *time.Location) {
	v.reset()
	if len(b) > MaxMessage {
		b = b[:MaxMessage]
	}
	if bytes.IndexByte(b, 0) >= 0 {
		v.nul = v.nul[:0]
		for _, c := range b {
			if c != 0 {
				v.nul = append(v.nul, c)
			}
		}
		b = v.nul
	}
	for len(b) > 0 && (b[len(b)-1] == '\r' || b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1] // bytes.TrimRight(b, "\r\n "), without its set
	}
	v.fac, v.sev = 1, 5
	rest, ok := v.parsePRI(b)
	if !ok {
		v.badPRI = true
	}
	if len(rest) >= 2 && rest[0] == '1' && rest[1] == ' ' {
		if v.parse5424(rest[2:]) {
			return
		}
	}
	v.parse3164(rest, now, loc)
}

func (v *view) parsePRI(b []byte) ([]byte, bool) {
	if len(b) < 3 || b[0] != '<' {
		return b, false
	}
	end := bytes.IndexByte(b[:min(len(b), 5)], '>')
	if end < 2 {
		return b, false
	}
	n, ok := atoi(b[1:end])
	if !ok || n < 0 || n > 191 || (end > 2 && b[1] == '0') {
		return b[end+1:], false // bad PRI: skip it, keep the default
	}
	v.fac, v.sev = uint8(n/8), uint8(n%8)
	return b[end+1:], true
}

// atoi reads a decimal number as strconv.Atoi does (sign allowed), without
// allocating for short inputs.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		n, err := strconv.Atoi(string(b))
		return n, err == nil
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// field cuts the next space-delimited field.
func field(b []byte) ([]byte, []byte, bool) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return b, nil, len(b) > 0
	}
	return b[:i], b[i+1:], true
}

func nilField(s []byte) []byte {
	if len(s) == 1 && s[0] == '-' {
		return nil
	}
	return s
}

func (v *view) parse5424(b []byte) bool {
	ts, b, ok := field(b)
	if !ok {
		return false
	}
	var t time.Time
	if !(len(ts) == 1 && ts[0] == '-') {
		var ok bool
		if t, ok = parseRFC3339Cached(ts, &v.hours); !ok {
			return false
		}
	}
	host, b, ok1 := field(b)
	app, b, ok2 := field(b)
	proc, b, ok3 := field(b)
	msgid, b, ok4 := field(b)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return false
	}
	rest, ok := v.parseSD(b)
	if !ok {
		v.hasSD, v.sd, v.keys, v.vals = false, v.sd[:0], v.keys[:0], v.vals[:0]
		return false
	}
	v.format, v.t = RFC5424, t
	v.host, v.app, v.proc, v.msgid = nilField(host), nilField(app), nilField(proc), nilField(msgid)
	rest = bytes.TrimPrefix(rest, []byte(" "))
	rest = bytes.TrimPrefix(rest, []byte("\xEF\xBB\xBF"))
	v.text = rest
	return true
}

// parseRFC3339 reads an RFC 3339 time. The usual shape
// (YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm) with a day up to 28) is read
// directly; anything else goes through time.Parse, the reference.
func parseRFC3339(b []byte) (time.Time, bool) { return parseRFC3339Cached(b, nil) }

// hourCache keeps the Unix time of the last "YYYY-MM-DDThh" an RFC 3339
// time started with (read as UTC): a device's times share their hour, so
// the calendar is computed once per hour rather than per message.
type hourCache struct {
	key [13]byte
	sec int64
	ok  bool
}

// parseRFC3339Cached is parseRFC3339 with c (nil: none) remembering the
// last hour read.
func parseRFC3339Cached(b []byte, c *hourCache) (time.Time, bool) {
	d2 := func(i int) int {
		c0, c1 := b[i], b[i+1]
		if c0 < '0' || c0 > '9' || c1 < '0' || c1 > '9' {
			return -1
		}
		return int(c0-'0')*10 + int(c1-'0')
	}
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' {
		y1, y2 := d2(0), d2(2)
		mo, d, h, mi, s := d2(5), d2(8), d2(11), d2(14), d2(17)
		if y1 >= 0 && y2 >= 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && s >= 0 && s < 60 {
			i, ns := 19, 0
			ok := true
			if b[i] == '.' {
				j := i + 1
				for j < len(b) && b[j] >= '0' && b[j] <= '9' {
					j++
				}
				if j == i+1 || j-i-1 > 9 {
					ok = false
				} else {
					for k := i + 1; k < j; k++ {
						ns = ns*10 + int(b[k]-'0')
					}
					for k := j - i - 1; k < 9; k++ {
						ns *= 10
					}
				}
				i = j
			}
			off, loc := 0, (*time.Location)(nil)
			if ok && i == len(b)-1 && b[i] == 'Z' {
				loc = time.UTC
			} else if ok && i == len(b)-6 && (b[i] == '+' || b[i] == '-') && b[i+3] == ':' {
				oh, om := d2(i+1), d2(i+4)
				if oh >= 0 && oh < 24 && om >= 0 && om < 60 {
					off = oh*3600 + om*60
					if b[i] == '-' {
						off = -off
					}
					loc = zone(off)
				}
			}
			if loc != nil {
				if c == nil {
					return time.Date(y1*100+y2, time.Month(mo), d, h, mi, s, ns, loc), true
				}
				// The same instant as time.Date in loc (a fixed zone),
				// from the hour's Unix time.
				if !c.ok || string(c.key[:]) != string(b[:13]) {
					c.sec = time.Date(y1*100+y2, time.Month(mo), d, h, 0, 0, 0, time.UTC).Unix()
					copy(c.key[:], b[:13])
					c.ok = true
				}
				return time.Unix(c.sec+int64(mi*60+s-off), int64(ns)).In(loc), true
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, unsafeString(b))
	return t, err == nil
}

// zones caches the fixed zones of the usual offsets (quarter hours within
// ±14 h), so that parsing a time with an offset does not allocate.
var zones = func() (z [113]*time.Location) {
	for i := range z {
		off := (i - 56) * 900
		z[i] = time.FixedZone("", off)
	}
	return
}()

func zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if off%900 == 0 && off >= -56*900 && off <= 56*900 {
		return zones[off/900+56]
	}
	return time.FixedZone("", off)
}

// parseSD parses "-" or one or more [id k="v" …] elements into v.sd.
func (v *view) parseSD(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return b, true
	}
	if b[0] == '-' {
		return b[1:], true
	}
	if b[0] != '[' {
		return b, false
	}
	v.hasSD = true
	for len(b) > 0 && b[0] == '[' {
		b = b[1:]
		i := 0
		for i < len(b) && b[i] != ' ' && b[i] != ']' {
			i++
		}
		if i == 0 || i == len(b) {
			return b, false
		}
		id := b[:i]
		b = b[i:]
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
			eq := bytes.IndexByte(b, '=')
			if eq <= 0 || eq+1 >= len(b) || b[eq+1] != '"' {
				return b, false
			}
			name := b[:eq]
			b = b[eq+2:]
			v0 := len(v.vals)
			closed := false
			// The usual value has no backslash: it is the input's bytes.
			if q := bytes.IndexByte(b, '"'); q >= 0 && bytes.IndexByte(b[:q], '\\') < 0 {
				v.addSD(id, name, b[:q:q])
				b = b[q+1:]
				continue
			}
			for j := 0; j < len(b); j++ {
				if b[j] == '\\' && j+1 < len(b) && (b[j+1] == '"' || b[j+1] == '\\' || b[j+1] == ']') {
					v.vals = append(v.vals, b[j+1])
					j++
					continue
				}
				if b[j] == '"' {
					b = b[j+1:]
					closed = true
					break
				}
				v.vals = append(v.vals, b[j])
			}
			if !closed {
				return b, false
			}
			v.addSD(id, name, v.vals[v0:len(v.vals):len(v.vals)])
		}
		if len(b) == 0 || b[0] != ']' {
			return b, false
		}
		b = b[1:]
	}
	return b, true
}

// addSD records a parameter with a map's rules: a repeated key replaces
// the value, and no new key once maxSDParams are kept.
func (v *view) addSD(id, name, val []byte) {
	k0 := len(v.keys)
	v.keys = append(v.keys, "sd."...)
	v.keys = append(v.keys, id...)
	v.keys = append(v.keys, '.')
	v.keys = append(v.keys, name...)
	k := v.keys[k0:]
	for i, p := range v.sd {
		if bytes.Equal(v.key(p), k) {
			if len(v.sd) < maxSDParams {
				v.sd[i].val = val
			}
			v.keys = v.keys[:k0]
			return
		}
	}
	if len(v.sd) < maxSDParams {
		v.sd = append(v.sd, sdParam{k0: k0, k1: len(v.keys), val: val})
		return
	}
	v.keys = v.keys[:k0]
}

func monthOf(b []byte) time.Month {
	switch string(b) {
	case "Jan":
		return 1
	case "Feb":
		return 2
	case "Mar":
		return 3
	case "Apr":
		return 4
	case "May":
		return 5
	case "Jun":
		return 6
	case "Jul":
		return 7
	case "Aug":
		return 8
	case "Sep":
		return 9
	case "Oct":
		return 10
	case "Nov":
		return 11
	case "Dec":
		return 12
	}
	return 0
}

// parse3164 reads the BSD layout and its real-world variants: a Cisco
// sequence number ("123: "), a leading '*' or '.' on the time, a year before
// or after the day, milliseconds, a zone abbreviation, an RFC 3339 time
// (rsyslog's forwarding format), no time at all, no host name.
func (v *view) parse3164(b []byte, now time.Time, loc *time.Location) {
	v.format = RFC3164
	orig := b
	b = bytes.TrimLeft(b, " ")
	// Cisco sequence number "000123: " or "123: " where the host would be.
	if i := bytes.Index(b, []byte(": ")); i > 0 && i <= 10 && allDigits(b[:i]) {
		b = bytes.TrimLeft(b[i+2:], " ")
	}
	// NX-OS: "host: 2025 Sep  2 08:15:02 CEST: …", the host before the time.
	var preHost []byte
	if tok, rest, ok := field(b); ok && len(tok) > 1 && tok[len(tok)-1] == ':' && validHost(tok[:len(tok)-1]) {
		if _, _, ok := parseBSDTime(bytes.TrimLeft(rest, " *."), now, loc); ok {
			preHost, b = tok[:len(tok)-1], bytes.TrimLeft(rest, " ")
		}
	}
	if len(b) > 0 && (b[0] == '*' || b[0] == '.') {
		b = b[1:]
	}
	t, rest, ok := parseBSDTime(b, now, loc)
	if ok {
		v.t = t
		b = bytes.TrimLeft(rest, " ")
		b = bytes.TrimPrefix(b, []byte(": "))
		b = bytes.TrimLeft(b, " ")
	}
	// Host name: a token followed by a space, unless it looks like a tag
	// ("sshd[12]:" or "%LINK-3-UPDOWN:").
	if preHost != nil {
		v.host = preHost
	} else if tok, rest, fok := field(b); ok && fok && rest != nil && len(tok) > 0 && tok[len(tok)-1] != ':' &&
		tok[0] != '%' && bytes.IndexByte(tok, '[') < 0 && validHost(tok) {
		v.host = tok
		b = rest
	}
	// Tag: up to 48 characters of [A-Za-z0-9_./-] then optional [pid] and ':'.
	i := 0
	for i < len(b) && i < 48 && isTagChar(b[i]) {
		i++
	}
	if i > 0 && i < len(b) && (b[i] == '[' || b[i] == ':') {
		app := b[:i]
		j := i
		if b[j] == '[' {
			if k := bytes.IndexByte(b[j:], ']'); k > 0 && k < 130 {
				v.proc = b[j+1 : j+k]
				j += k + 1
			}
		}
		if j < len(b) && b[j] == ':' {
			v.app = app
			b = bytes.TrimLeft(b[j+1:], " ")
		} else {
			v.proc = nil
		}
	}
	if !ok && len(v.host) == 0 && len(v.app) == 0 {
		v.format = Raw
		b = bytes.TrimLeft(orig, " ")
	}
	v.text = b
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func isTagChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/'
}

func validHost(s []byte) bool {
	if len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' || c == '_') {
			return false
		}
	}
	return true
}

// parseBSDTime reads "Mmm dd hh:mm:ss[.fff] [ZONE]", "Mmm dd yyyy hh:mm:ss",
// "yyyy Mmm dd hh:mm:ss" or an RFC 3339 time.
func parseBSDTime(b []byte, now time.Time, loc *time.Location) (time.Time, []byte, bool) {
	if len(b) >= 19 && b[4] == '-' && allDigits(b[:4]) {
		tok, rest, _ := field(b)
		if t, ok := parseRFC3339(tok); ok {
			return t, rest, true
		}
	}
	year := 0
	if len(b) > 5 && allDigits(b[:4]) && b[4] == ' ' { // NX-OS: "2025 Sep  2 08:15:02"
		year, _ = atoi(b[:4])
		b = b[5:]
	}
	if len(b) < 15 {
		return time.Time{}, nil, false
	}
	mon := monthOf(b[:3])
	if mon == 0 || b[3] != ' ' {
		return time.Time{}, nil, false
	}
	b = bytes.TrimLeft(b[4:], " ")
	dayTok, b, _ := field(b)
	day, ok := atoi(dayTok)
	if !ok || day < 1 || day > 31 {
		return time.Time{}, nil, false
	}
	if len(b) > 5 && allDigits(b[:4]) && b[4] == ' ' { // ASA: "Sep 02 2025 08:15:02"
		year, _ = atoi(b[:4])
		b = b[5:]
	}
	clock, rest, _ := field(b)
	var frac []byte
	if i := bytes.IndexByte(clock, '.'); i > 0 {
		clock, frac = clock[:i], clock[i+1:]
	}
	if len(clock) != 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, nil, false
	}
	h, e1 := atoi(clock[:2])
	mi, e2 := atoi(clock[3:5])
	s, e3 := atoi(clock[6:8])
	if !e1 || !e2 || !e3 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, nil, false
	}
	ns := 0
	if len(frac) > 0 && len(frac) <= 9 && allDigits(frac) {
		f, _ := atoi(frac)
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	// A zone abbreviation (CET, CEST, UTC) after the time: Go cannot map
	// abbreviations reliably; loc is used, except for UTC/GMT.
	zl := loc
	if tok, r2, ok := field(rest); ok && len(tok) >= 3 && len(tok) <= 5 && isUpper(bytes.TrimSuffix(tok, []byte(":"))) {
		if z := string(bytes.TrimSuffix(tok, []byte(":"))); z == "UTC" || z == "GMT" {
			zl = time.UTC
		}
		rest = r2
		if tok[len(tok)-1] == ':' {
			rest = append([]byte(": "), rest...)
		}
	}
	if year == 0 {
		year = now.In(zl).Year()
		t := time.Date(year, mon, day, h, mi, s, ns, zl)
		if t.After(now.Add(24 * time.Hour)) {
			t = time.Date(year-1, mon, day, h, mi, s, ns, zl)
		}
		return t, rest, true
	}
	return time.Date(year, mon, day, h, mi, s, ns, zl), rest, true
}

func isUpper(s []byte) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return len(s) > 0
}

// plainByte[c] is 1 for the bytes that text() and JSON quoting both keep
// as they are: printable ASCII but '"', '\\', '<', '>' and '&' (which
// encoding/json escapes).
var plainByte = func() (t [256]uint8) {
	for c := 0x20; c < 0x7f; c++ {
		if c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			t[c] = 1
		}
	}
	return
}()

// plainBytes says whether every byte of b is plain (plainByte): b quoted
// is then '"' + b + '"', as a text and as a JSON string. Eight bytes are
// tested at a time, without a branch per byte.
func plainBytes(b []byte) bool {
	for len(b) >= 8 {
		if plainByte[b[0]]&plainByte[b[1]]&plainByte[b[2]]&plainByte[b[3]]&
			plainByte[b[4]]&plainByte[b[5]]&plainByte[b[6]]&plainByte[b[7]] == 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if plainByte[c] == 0 {
			return false
		}
	}
	return true
}

// plainText says whether b is printable ASCII (or tab) only: text(b) is b.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < 32 && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// text decodes b leniently: valid UTF-8 as is, otherwise Windows-1252 /
// Latin-1 byte by byte (what Windows forwarders send). Control characters
// other than tab are kept escaped the way rsyslog does on reception: '#'
// and three octal digits (a newline is "#012"), so that nothing is lost and
// a record stays one line.
func text(b []byte) string {
	if plainText(b) {
		return string(b)
	}
	return string(appendText(make([]byte, 0, len(b)+8), b))
}

// appendText appends text(b) to dst.
func appendText(dst, b []byte) []byte {
	esc := func(dst []byte, c byte) []byte {
		return append(dst, '#', '0'+c>>6, '0'+(c>>3)&7, '0'+c&7)
	}
	if utf8.Valid(b) {
		start := 0
		for i, c := range b {
			if c < 32 && c != '\t' || c == 0x7f {
				dst = append(dst, b[start:i]...)
				dst = esc(dst, c)
				start = i + 1
			}
		}
		return append(dst, b[start:]...)
	}
	for _, c := range b {
		switch {
		case c < 32 && c != '\t', c == 0x7f:
			dst = esc(dst, c)
		case c < 0x80:
			dst = append(dst, c)
		default:
			dst = utf8.AppendRune(dst, rune(c)) // Latin-1; close enough for Windows-1252 text
		}
	}
	return dst
}

// unsafeString views b as a string without copying; b must not change while
// the string is in use.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
