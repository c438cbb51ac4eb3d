// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"github.com/preau/preau/internal/core"
)

// MaxHostLen bounds a host name (RFC 1035: 253 characters in text form).
const MaxHostLen = 253

// idnaProfile converts a Unicode host to punycode the way browsers look
// names up (UTS #46 non-transitional mapping), but tolerates the
// underscores real lists and real DNS carry.
var idnaProfile = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.StrictDomainName(false))

// NormalizeHost returns the form every list entry and every request host
// is compared in: lowercase ASCII, IDN labels in punycode, no port, no
// trailing dot, no brackets, IPv4 literals in dotted-decimal form whatever
// the client wrote (0x7f.1, 2130706433, 0177.0.0.1). It refuses empty,
// over-long or malformed hosts with a core.Invalid error naming the
// problem. IPv6 literals are returned without brackets, lowercased.
func NormalizeHost(h string) (string, error) {
	const op = "filter.NormalizeHost"
	if len(h) > 4*MaxHostLen {
		return "", core.E(op, core.Invalid, "host name too long (%d bytes)", len(h))
	}
	h = strings.TrimSpace(h)
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return "", core.E(op, core.Invalid, "host %q: unclosed IPv6 bracket", h)
		}
		ip := strings.ToLower(h[1:end])
		if !isIPv6(ip) {
			return "", core.E(op, core.Invalid, "host %q: not an IPv6 address", h)
		}
		return ip, nil
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		if strings.Count(h, ":") > 1 {
			if isIPv6(h) {
				return strings.ToLower(h), nil
			}
			return "", core.E(op, core.Invalid, "host %q: not a host name", h)
		}
		port := h[i+1:]
		if _, err := strconv.ParseUint(port, 10, 16); err != nil && port != "" {
			return "", core.E(op, core.Invalid, "host %q: bad port %q", h, port)
		}
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	h = strings.TrimPrefix(h, ".")
	if h == "" {
		return "", core.E(op, core.Invalid, "empty host name")
	}
	if ascii, lower := asciiHost(h); ascii {
		if !lower {
			h = strings.ToLower(h)
		}
	} else {
		a, err := idnaProfile.ToASCII(h)
		if err != nil || a == "" {
			return "", core.E(op, core.Invalid, "host %q: not a valid international name", h)
		}
		h = strings.TrimSuffix(a, ".")
	}
	if len(h) > MaxHostLen {
		return "", core.E(op, core.Invalid, "host name too long (%d characters)", len(h))
	}
	if ip, ok := parseIPv4(h); ok {
		return ip, nil
	}
	if err := checkLabels(h); err != nil {
		return "", core.E(op, core.Invalid, "host %q: %s", h, err.Error())
	}
	return h, nil
}

type labelError string

func (e labelError) Error() string { return string(e) }

// checkLabels accepts letters, digits, '-' and '_' (UT1 lists carry
// underscores), labels of 1 to 63 characters.
func checkLabels(h string) error {
	n := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if n == 0 {
				return labelError("empty label")
			}
			n = 0
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return labelError("character " + strconv.QuoteRune(rune(c)) + " not allowed in a host name")
		}
		n++
		if n > 63 {
			return labelError("label longer than 63 characters")
		}
	}
	if n == 0 {
		return labelError("empty label")
	}
	return nil
}

// asciiHost reports whether h is all ASCII, and whether it is already
// lowercase.
func asciiHost(h string) (ascii, lower bool) {
	lower = true
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x80 {
			return false, false
		}
		if c >= 'A' && c <= 'Z' {
			lower = false
		}
	}
	return true, lower
}

func isIPv6(s string) bool {
	if strings.Count(s, ":") < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
			return false
		}
	}
	return true
}

// parseIPv4 reads the inet_aton forms browsers accept (1 to 4 parts,
// each decimal, octal with a leading 0, or hex with 0x) and returns the
// dotted-decimal form. A host whose last label is not numeric is a name.
func parseIPv4(h string) (string, bool) {
	last := h
	if i := strings.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	if last == "" || !(last[0] >= '0' && last[0] <= '9') {
		return "", false
	}
	var parts [4]uint64
	n := 0
	for p := range strings.SplitSeq(h, ".") {
		if n == 4 || p == "" {
			return "", false
		}
		v, ok := parseIPPart(p)
		if !ok {
			return "", false
		}
		parts[n] = v
		n++
	}
	var ip uint64
	switch n {
	case 1:
		ip = parts[0]
		if ip > 0xffffffff {
			return "", false
		}
	case 2:
		if parts[0] > 0xff || parts[1] > 0xffffff {
			return "", false
		}
		ip = parts[0]<<24 | parts[1]
	case 3:
		if parts[0] > 0xff || parts[1] > 0xff || parts[2] > 0xffff {
			return "", false
		}
		ip = parts[0]<<24 | parts[1]<<16 | parts[2]
	case 4:
		for _, p := range parts {
			if p > 0xff {
				return "", false
			}
		}
		ip = parts[0]<<24 | parts[1]<<16 | parts[2]<<8 | parts[3]
	}
	var b strings.Builder
	b.Grow(15)
	for i := 3; i >= 0; i-- {
		b.WriteString(strconv.FormatUint(ip>>(8*i)&0xff, 10))
		if i > 0 {
			b.WriteByte('.')
		}
	}
	return b.String(), true
}

func parseIPPart(p string) (uint64, bool) {
	base := 10
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
	case p == "0x" || p == "0X":
		return 0, true
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	if len(p) > 11 {
		return 0, false
	}
	v, err := strconv.ParseUint(p, base, 64)
	return v, err == nil
}

// IsIPv4 reports whether a normalised host is an IPv4 literal.
func IsIPv4(h string) bool {
	if h == "" || h[len(h)-1] < '0' || h[len(h)-1] > '9' {
		return false
	}
	dots := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c == '.' {
			dots++
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return dots == 3
}

// StripWWW removes the leading label squidGuard ignores in url lists: www,
// web or ftp, optionally followed by digits (www3.example.org →
// example.org). A host that would be left without a dot keeps its label.
func StripWWW(h string) string {
	i := strings.IndexByte(h, '.')
	if i <= 0 || strings.IndexByte(h[i+1:], '.') < 0 {
		return h
	}
	lab := h[:i]
	for _, p := range [...]string{"www", "web", "ftp"} {
		if !strings.HasPrefix(lab, p) {
			continue
		}
		rest := lab[len(p):]
		digits := true
		for j := 0; j < len(rest); j++ {
			if rest[j] < '0' || rest[j] > '9' {
				digits = false
				break
			}
		}
		if digits {
			return h[i+1:]
		}
	}
	return h
}

// NormalizeURL splits a request URL (absolute form, or host/path as in UT1
// url lists) into its normalised host and the path with query, in the form
// squidGuard compares url lists in: no scheme, no user info, no port, no
// leading www/web/ftp label, no fragment, host lowercased and in punycode,
// path case kept. The path starts with '/' ("/" when empty).
func NormalizeURL(raw string) (host, path string, err error) {
	return normalizeURL(raw, false)
}

// normalizeURL keeps the fragment of list entries: squidGuard compares
// them literally, and a request never carries one, so such an entry never
// widens into a whole-host block.
func normalizeURL(raw string, keepFragment bool) (host, path string, err error) {
	const op = "filter.NormalizeURL"
	s := strings.TrimSpace(raw)
	if i := strings.Index(s, "://"); i >= 0 && i < 16 {
		s = s[i+3:]
	}
	end := strings.IndexAny(s, "/?#")
	hostport := s
	path = "/"
	if end >= 0 {
		hostport = s[:end]
		path = s[end:]
		if path[0] != '/' {
			path = "/" + path
		}
	}
	if i := strings.LastIndexByte(hostport, '@'); i >= 0 {
		hostport = hostport[i+1:]
	}
	if i := strings.IndexByte(path, '#'); i >= 0 && !keepFragment {
		path = path[:i]
	}
	if path == "" {
		path = "/"
	}
	host, err = NormalizeHost(hostport)
	if err != nil {
		return "", "", core.E(op, core.Invalid, "URL %q: %s", clip(raw, 200), core.MessageOf(err))
	}
	return StripWWW(host), path, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
