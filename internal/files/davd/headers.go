// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"net/url"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// ParseDestination checks a COPY or MOVE Destination header (RFC 4918
// §10.3: an absolute URI or an absolute path) and returns its decoded path,
// which must be on this host and under Prefix, and clean (no escape above
// the root, no NUL, valid names).
func ParseDestination(d, host string) (string, error) {
	const op = "davd.Destination"
	if d == "" {
		return "", core.E(op, core.Invalid, "the Destination header is missing")
	}
	if len(d) > 8192 {
		return "", core.E(op, core.Invalid, "the Destination header is too long")
	}
	u, err := url.Parse(d)
	if err != nil {
		return "", core.E(op, core.Invalid, "the Destination header is not a URI")
	}
	if u.Host != "" && !strings.EqualFold(u.Host, host) {
		return "", core.E(op, core.Permission, "the Destination is on another server")
	}
	if u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http" {
		return "", core.E(op, core.Invalid, "the Destination scheme must be https")
	}
	p := u.Path
	if p != Prefix && !strings.HasPrefix(p, Prefix+"/") {
		return "", core.E(op, core.Invalid, "the Destination must be under %s/", Prefix)
	}
	clean, err := files.CleanPath(strings.TrimPrefix(p, Prefix))
	if err != nil {
		return "", err
	}
	return Prefix + clean, nil
}

// IfCondition is one condition of an If header list (RFC 4918 §10.4).
type IfCondition struct {
	Not   bool
	Token string // a state token (lock token or DAV:no-lock), or ""
	ETag  string // an entity tag, with its quotes, or ""
}

// IfList is one parenthesised list, maybe tagged with a resource.
type IfList struct {
	Resource   string // the tagged resource URI, "" for the request URI
	Conditions []IfCondition
}

// ParseIf parses an If header. It refuses malformed headers with a
// core.Invalid error (answered 400) rather than guessing.
func ParseIf(h string) ([]IfList, error) {
	const op = "davd.ParseIf"
	bad := func(what string) ([]IfList, error) {
		return nil, core.E(op, core.Invalid, "malformed If header: %s", what)
	}
	if len(h) > 16384 {
		return bad("too long")
	}
	var out []IfList
	res := ""
	s := strings.TrimSpace(h)
	if s == "" {
		return bad("empty")
	}
	for s != "" {
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return bad("unterminated resource tag")
			}
			res = s[1:end]
			s = strings.TrimSpace(s[end+1:])
			if s == "" || s[0] != '(' {
				return bad("a resource tag must be followed by a list")
			}
		case '(':
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return bad("unterminated list")
			}
			conds, err := parseIfConditions(s[1:end])
			if err != nil {
				return nil, err
			}
			out = append(out, IfList{Resource: res, Conditions: conds})
			s = strings.TrimSpace(s[end+1:])
		default:
			return bad("unexpected character")
		}
	}
	return out, nil
}

func parseIfConditions(s string) ([]IfCondition, error) {
	const op = "davd.ParseIf"
	var out []IfCondition
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, core.E(op, core.Invalid, "malformed If header: empty list")
	}
	for s != "" {
		var c IfCondition
		if len(s) >= 3 && strings.EqualFold(s[:3], "not") {
			c.Not = true
			s = strings.TrimSpace(s[3:])
		}
		if s == "" {
			return nil, core.E(op, core.Invalid, "malformed If header: Not without a condition")
		}
		switch s[0] {
		case '<':
			end := strings.IndexByte(s, '>')
			if end < 0 {
				return nil, core.E(op, core.Invalid, "malformed If header: unterminated state token")
			}
			c.Token = s[1:end]
			s = s[end+1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, core.E(op, core.Invalid, "malformed If header: unterminated entity tag")
			}
			c.ETag = s[1:end]
			s = s[end+1:]
		default:
			return nil, core.E(op, core.Invalid, "malformed If header: expected a state token or an entity tag")
		}
		if c.Token == "" && c.ETag == "" {
			return nil, core.E(op, core.Invalid, "malformed If header: empty condition")
		}
		out = append(out, c)
		s = strings.TrimSpace(s)
	}
	return out, nil
}

// ifFails reports whether the If header's lists are all certainly false
// given the resources' ETags (etagOf returns "" when unknown): x/net/webdav
// checks lock tokens but not entity tags, so entity-tag conditions are
// checked here (412 Precondition Failed). Lock tokens other than
// DAV:no-lock count as unknown, left to webdav.
func ifFails(lists []IfList, etagOf func(resource string) string) bool {
	if len(lists) == 0 {
		return false
	}
	for _, l := range lists {
		certainlyFalse := false
		for _, c := range l.Conditions {
			var v, known bool
			switch {
			case c.ETag != "":
				et := etagOf(l.Resource)
				v, known = et != "" && et == c.ETag, true
			case c.Token == "DAV:no-lock":
				v, known = false, true
			}
			if !known {
				continue
			}
			if c.Not {
				v = !v
			}
			if !v {
				certainlyFalse = true
			}
		}
		if !certainlyFalse {
			return false
		}
	}
	return true
}
