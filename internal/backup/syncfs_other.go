// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build !linux

package backup

import (
	"os"
	"syscall"
)

func syncfs(*os.File) error { syscall.Sync(); return nil }
