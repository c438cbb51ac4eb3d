// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build !linux

package main

import "os/exec"

// dieWithParent does nothing outside Linux: servers are stopped by defers.
func dieWithParent(*exec.Cmd) {}
