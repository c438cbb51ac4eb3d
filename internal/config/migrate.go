// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package config

import (
	"fmt"
	"regexp"
	"strconv"
)

var schemaLine = regexp.MustCompile(`(?m)^\s*schema_version\s*=\s*(\d+)\s*$`)

// migrations step a config file from version N to N+1; index 0 turns
// version 0 (a file without schema_version, as written by hand) into 1.
var migrations = []func([]byte) ([]byte, error){
	func(b []byte) ([]byte, error) { return append([]byte("schema_version = 1\n"), b...), nil },
}

// Migrate brings a config document up to CurrentSchemaVersion, one version
// at a time. A document newer than this binary is refused.
func Migrate(b []byte) ([]byte, error) {
	v := 0
	if m := schemaLine.FindSubmatch(b); m != nil {
		n, err := strconv.Atoi(string(m[1]))
		if err != nil {
			return nil, fmt.Errorf("schema_version %q is not a number", m[1])
		}
		v = n
	}
	if v > CurrentSchemaVersion {
		return nil, fmt.Errorf("schema_version %d is newer than this preau (%d): upgrade preau", v, CurrentSchemaVersion)
	}
	for ; v < CurrentSchemaVersion; v++ {
		var err error
		if b, err = migrations[v](b); err != nil {
			return nil, fmt.Errorf("migrating config from version %d: %w", v, err)
		}
	}
	return b, nil
}
