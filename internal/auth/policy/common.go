// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package policy

import (
	_ "embed"
	"strings"
	"sync"
)

// commonList is the generated list: comment lines start with "#", then one
// folded entry (lower case, no accents, 4 characters or more) per line.
//
//go:embed common-passwords.txt
var commonList string

// commonPasswords returns the common list as a set, built at first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, strings.Count(commonList, "\n"))
	for line := range strings.Lines(commonList) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = struct{}{}
	}
	return m
})

// CommonCount returns the number of entries of the common list.
func CommonCount() int { return len(commonPasswords()) }
