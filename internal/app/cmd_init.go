// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"errors"
	"fmt"
)

func runInit(ctx context.Context, env Env, args []string) error {
	return errors.New("not yet")
}

var _ = fmt.Sprint
