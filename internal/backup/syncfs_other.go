// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build !linux

package backup

import (
	"os"
	"syscall"
)

func syncfs(*os.File) error { syscall.Sync(); return nil }

// processAlive cannot tell on this system: a lock is stale only by age.
func processAlive(int) bool { return true }

// fileIdentity is unknown here: size and mtime decide.
func fileIdentity(os.FileInfo) (uint64, int64) { return 0, 0 }
