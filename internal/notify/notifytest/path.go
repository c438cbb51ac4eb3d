// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notifytest

import (
	"errors"
	"strings"
)

// ParsePath parses the argument of MAIL ("FROM:<a@b> params") or RCPT
// ("TO:<a@b> params") as the sink understands it, given the keyword
// ("FROM:" or "TO:"). It returns the address between the angle brackets,
// "" for the null path "<>". Parameters after the path are ignored. It is
// exported for fuzzing and for tests of other SMTP code.
func ParsePath(arg, keyword string) (string, error) {
	if len(arg) < len(keyword) || !strings.EqualFold(arg[:len(keyword)], keyword) {
		return "", errors.New("syntax: expected " + keyword + "<address>")
	}
	rest := strings.TrimLeft(arg[len(keyword):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", errors.New("syntax: the address must be in angle brackets")
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", errors.New("syntax: missing '>'")
	}
	addr := rest[1:end]
	if after := rest[end+1:]; after != "" && after[0] != ' ' {
		return "", errors.New("syntax: unexpected text after the address")
	}
	if strings.ContainsAny(addr, " <>\t") || strings.ContainsFunc(addr, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", errors.New("invalid character in the address")
	}
	if addr != "" && (!strings.Contains(addr, "@") || strings.HasPrefix(addr, "@") || strings.HasSuffix(addr, "@")) {
		return "", errors.New("the address must be local@domain")
	}
	return addr, nil
}
