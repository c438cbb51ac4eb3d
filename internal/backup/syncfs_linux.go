// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"os"

	"golang.org/x/sys/unix"
)

func syncfs(f *os.File) error { return unix.Syncfs(int(f.Fd())) }
