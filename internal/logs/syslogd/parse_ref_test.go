// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package syslogd

// This file keeps the parser as it was before the zero-allocation rewrite
// (commit c111b39), as the reference FuzzParseMatchesReference holds the
// new one to; only text() follows the new rule (control characters
// escaped as #ooo instead of replaced by spaces).

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// refParse parses one syslog message. It never fails: what it cannot parse
// ends up in Text. now and loc serve RFC 3164 timestamps, which have no year
// and no zone: the year is the one that puts the time no later than a day
// after now (New Year rollover), the zone is loc.
func refParse(b []byte, now time.Time, loc *time.Location) Message {
	if len(b) > MaxMessage {
		b = b[:MaxMessage]
	}
	if bytes.IndexByte(b, 0) >= 0 {
		b = bytes.ReplaceAll(b, []byte{0}, nil)
	}
	b = bytes.TrimRight(b, "\r\n ")
	m := Message{Facility: 1, Severity: 5}
	rest, ok := refParsePRI(b, &m)
	if !ok {
		m.BadPRI = true
	}
	if len(rest) >= 2 && rest[0] == '1' && rest[1] == ' ' {
		if refParse5424(rest[2:], &m) {
			return m
		}
	}
	refParse3164(rest, &m, now, loc)
	return m
}

func refParsePRI(b []byte, m *Message) ([]byte, bool) {
	if len(b) < 3 || b[0] != '<' {
		return b, false
	}
	end := bytes.IndexByte(b[:min(len(b), 5)], '>')
	if end < 2 {
		return b, false
	}
	n, err := strconv.Atoi(string(b[1:end]))
	if err != nil || n < 0 || n > 191 || (end > 2 && b[1] == '0') {
		return b[end+1:], false // bad PRI: skip it, keep the default
	}
	m.Facility, m.Severity = uint8(n/8), uint8(n%8)
	return b[end+1:], true
}

// refField cuts the next space-delimited refField.
func refField(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b, ' ')
	if i < 0 {
		return string(b), nil, len(b) > 0
	}
	return string(b[:i]), b[i+1:], true
}

func refNilField(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

func refParse5424(b []byte, m *Message) bool {
	ts, b, ok := refField(b)
	if !ok {
		return false
	}
	var t time.Time
	if ts != "-" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return false
		}
	}
	host, b, ok1 := refField(b)
	app, b, ok2 := refField(b)
	proc, b, ok3 := refField(b)
	msgid, b, ok4 := refField(b)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return false
	}
	sd, rest, ok := refParseSD(b)
	if !ok {
		return false
	}
	m.Format, m.Time = RFC5424, t
	m.Hostname, m.AppName, m.ProcID, m.MsgID, m.SD = refNilField(host), refNilField(app), refNilField(proc), refNilField(msgid), sd
	rest = bytes.TrimPrefix(rest, []byte(" "))
	rest = bytes.TrimPrefix(rest, []byte("\xEF\xBB\xBF"))
	m.Text = refText(rest)
	return true
}

// refParseSD parses "-" or one or more [id k="v" …] elements.
func refParseSD(b []byte) (map[string]string, []byte, bool) {
	if len(b) == 0 {
		return nil, b, true
	}
	if b[0] == '-' {
		return nil, b[1:], true
	}
	if b[0] != '[' {
		return nil, b, false
	}
	sd := make(map[string]string, 4)
	for len(b) > 0 && b[0] == '[' {
		b = b[1:]
		i := bytes.IndexAny(b, " ]")
		if i <= 0 {
			return nil, b, false
		}
		id := string(b[:i])
		b = b[i:]
		for len(b) > 0 && b[0] == ' ' {
			b = b[1:]
			eq := bytes.IndexByte(b, '=')
			if eq <= 0 || eq+1 >= len(b) || b[eq+1] != '"' {
				return nil, b, false
			}
			name := string(b[:eq])
			b = b[eq+2:]
			var v []byte
			closed := false
			for j := 0; j < len(b); j++ {
				if b[j] == '\\' && j+1 < len(b) && (b[j+1] == '"' || b[j+1] == '\\' || b[j+1] == ']') {
					v = append(v, b[j+1])
					j++
					continue
				}
				if b[j] == '"' {
					b = b[j+1:]
					closed = true
					break
				}
				v = append(v, b[j])
			}
			if !closed {
				return nil, b, false
			}
			if len(sd) < 64 {
				sd["sd."+id+"."+name] = refText(v)
			}
		}
		if len(b) == 0 || b[0] != ']' {
			return nil, b, false
		}
		b = b[1:]
	}
	return sd, b, true
}

var refMonths = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7,
	"Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// refParse3164 reads the BSD layout and its real-world variants: a Cisco
// sequence number ("123: "), a leading '*' or '.' on the time, a year before
// or after the day, milliseconds, a zone abbreviation, an RFC 3339 time
// (rsyslog's forwarding format), no time at all, no host name.
func refParse3164(b []byte, m *Message, now time.Time, loc *time.Location) {
	m.Format = RFC3164
	orig := b
	b = bytes.TrimLeft(b, " ")
	// Cisco sequence number "000123: " or "123: " where the host would be.
	if i := bytes.Index(b, []byte(": ")); i > 0 && i <= 10 && refAllDigits(b[:i]) {
		b = bytes.TrimLeft(b[i+2:], " ")
	}
	// NX-OS: "host: 2025 Sep  2 08:15:02 CEST: …", the host before the time.
	preHost := ""
	if tok, rest, ok := refField(b); ok && len(tok) > 1 && strings.HasSuffix(tok, ":") && refValidHost(tok[:len(tok)-1]) {
		if _, _, ok := refParseBSDTime(bytes.TrimLeft(rest, " *."), now, loc); ok {
			preHost, b = tok[:len(tok)-1], bytes.TrimLeft(rest, " ")
		}
	}
	if len(b) > 0 && (b[0] == '*' || b[0] == '.') {
		b = b[1:]
	}
	t, rest, ok := refParseBSDTime(b, now, loc)
	if ok {
		m.Time = t
		b = bytes.TrimLeft(rest, " ")
		b = bytes.TrimPrefix(b, []byte(": "))
		b = bytes.TrimLeft(b, " ")
	}
	// Host name: a token followed by a space, unless it looks like a tag
	// ("sshd[12]:" or "%LINK-3-UPDOWN:").
	if preHost != "" {
		m.Hostname = preHost
	} else if tok, rest, fok := refField(b); ok && fok && rest != nil && len(tok) > 0 && !strings.HasSuffix(tok, ":") &&
		!strings.HasPrefix(tok, "%") && !strings.Contains(tok, "[") && refValidHost(tok) {
		m.Hostname = tok
		b = rest
	}
	// Tag: up to 48 characters of [A-Za-z0-9_./-] then optional [pid] and ':'.
	i := 0
	for i < len(b) && i < 48 && refIsTagChar(b[i]) {
		i++
	}
	if i > 0 && i < len(b) && (b[i] == '[' || b[i] == ':') {
		app := string(b[:i])
		j := i
		if b[j] == '[' {
			if k := bytes.IndexByte(b[j:], ']'); k > 0 && k < 130 {
				m.ProcID = string(b[j+1 : j+k])
				j += k + 1
			}
		}
		if j < len(b) && b[j] == ':' {
			m.AppName = app
			b = bytes.TrimLeft(b[j+1:], " ")
		} else {
			m.ProcID = ""
		}
	}
	if !ok && m.Hostname == "" && m.AppName == "" {
		m.Format = Raw
		b = bytes.TrimLeft(orig, " ")
	}
	m.Text = refText(b)
}

func refAllDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func refIsTagChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '/'
}

func refValidHost(s string) bool {
	if len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':' || c == '_') {
			return false
		}
	}
	return true
}

// refParseBSDTime reads "Mmm dd hh:mm:ss[.fff] [ZONE]", "Mmm dd yyyy hh:mm:ss",
// "yyyy Mmm dd hh:mm:ss" or an RFC 3339 time.
func refParseBSDTime(b []byte, now time.Time, loc *time.Location) (time.Time, []byte, bool) {
	if len(b) >= 19 && b[4] == '-' && refAllDigits(b[:4]) {
		tok, rest, _ := refField(b)
		if t, err := time.Parse(time.RFC3339Nano, tok); err == nil {
			return t, rest, true
		}
	}
	year := 0
	if len(b) > 5 && refAllDigits(b[:4]) && b[4] == ' ' { // NX-OS: "2025 Sep  2 08:15:02"
		year, _ = strconv.Atoi(string(b[:4]))
		b = b[5:]
	}
	if len(b) < 15 {
		return time.Time{}, nil, false
	}
	mon, ok := refMonths[string(b[:3])]
	if !ok || b[3] != ' ' {
		return time.Time{}, nil, false
	}
	b = bytes.TrimLeft(b[4:], " ")
	dayTok, b, _ := refField(b)
	day, err := strconv.Atoi(dayTok)
	if err != nil || day < 1 || day > 31 {
		return time.Time{}, nil, false
	}
	if len(b) > 5 && refAllDigits(b[:4]) && b[4] == ' ' { // ASA: "Sep 02 2025 08:15:02"
		year, _ = strconv.Atoi(string(b[:4]))
		b = b[5:]
	}
	clock, rest, _ := refField(b)
	frac := ""
	if i := strings.IndexByte(clock, '.'); i > 0 {
		clock, frac = clock[:i], clock[i+1:]
	}
	if len(clock) != 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, nil, false
	}
	h, e1 := strconv.Atoi(clock[:2])
	mi, e2 := strconv.Atoi(clock[3:5])
	s, e3 := strconv.Atoi(clock[6:8])
	if e1 != nil || e2 != nil || e3 != nil || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, nil, false
	}
	ns := 0
	if frac != "" && len(frac) <= 9 && refAllDigits([]byte(frac)) {
		f, _ := strconv.Atoi(frac)
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	// A zone abbreviation (CET, CEST, UTC) after the time: Go cannot map
	// abbreviations reliably; loc is used, except for UTC/GMT.
	zl := loc
	if tok, r2, ok := refField(rest); ok && len(tok) >= 3 && len(tok) <= 5 && refIsUpper(strings.TrimSuffix(tok, ":")) {
		if z := strings.TrimSuffix(tok, ":"); z == "UTC" || z == "GMT" {
			zl = time.UTC
		}
		rest = r2
		if strings.HasSuffix(tok, ":") {
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

func refIsUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return len(s) > 0
}

// refText is the new text(): control characters are now kept as #ooo
// escapes (they used to become spaces), the one intended difference.
func refText(b []byte) string { return text(b) }
