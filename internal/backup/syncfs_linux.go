// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"os"

	"golang.org/x/sys/unix"
)

func syncfs(f *os.File) error { return unix.Syncfs(int(f.Fd())) }

// processAlive reports whether a process of this host runs (signal 0).
func processAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || err == unix.EPERM
}
