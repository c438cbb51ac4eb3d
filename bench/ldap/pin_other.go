// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build !linux

package main

import "errors"

// pin is only implemented on Linux.
func pin(pid int, list string) error {
	if list == "" {
		return nil
	}
	return errors.New("CPU pinning needs Linux")
}

// splitCPUs is only implemented on Linux.
func splitCPUs() (server, clients string, ok bool) { return "", "", false }
