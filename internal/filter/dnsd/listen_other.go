// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

//go:build !linux

package dnsd

import "errors"

func setReusePort(uintptr) error { return errors.New("SO_REUSEPORT is not used on this system") }
