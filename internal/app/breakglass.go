// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"time"

	"github.com/preau/preau/internal/breakglass"
)

// breakGlassTick is how often ended break-glass accesses are expired. An
// access is refused by Authorize as soon as its window passes; the job only
// records the end and tells the person, so a minute's delay is harmless.
const breakGlassTick = time.Minute

// expireBreakGlass ends, at start and then every minute, the break-glass
// accesses whose window has passed and the requests left undecided too
// long, telling the people concerned.
func (a *App) expireBreakGlass(ctx context.Context) {
	for {
		n, err := a.glass.ExpireDue(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("expiring break-glass accesses failed", "err", err)
		} else if n > 0 {
			a.log.Info("break-glass accesses expired", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(breakGlassTick):
		}
	}
}

// BreakGlass returns the break-glass service: the services that show
// private content (files, mail, logs, backup) call its Authorize; tests
// drive it directly.
func (a *App) BreakGlass() *breakglass.Service { return a.glass }
