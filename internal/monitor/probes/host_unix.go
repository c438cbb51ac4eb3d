// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build unix

package probes

import "syscall"

// DiskUsage returns the size and the free space, in bytes, of the file
// system holding path.
func DiskUsage(path string) (total, free uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	return st.Blocks * uint64(st.Bsize), st.Bavail * uint64(st.Bsize), nil
}
