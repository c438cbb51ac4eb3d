// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build !unix

package probes

import "errors"

// DiskUsage is not measured on this system.
func DiskUsage(path string) (total, free uint64, err error) {
	return 0, 0, errors.New("disk usage is measured on Unix systems only")
}
