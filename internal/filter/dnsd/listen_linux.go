// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd

import "golang.org/x/sys/unix"

func setReusePort(fd uintptr) error {
	return unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}
