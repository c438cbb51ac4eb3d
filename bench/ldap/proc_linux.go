// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill cmd if this process dies first, so
// that no server outlives an interrupted benchmark.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
