// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pki

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// lockDir takes an exclusive flock(2) on dir/.lock, waiting for any other
// holder (another process starting on the same data folder, or another Load
// in this one: flock locks belong to open file descriptions). The lock is
// released by the returned function, or by the kernel if the process dies.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
