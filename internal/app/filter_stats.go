// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/store"
)

// internetCounter counts the filtering proxy's decisions per establishment
// and UTC day on their way to the log store, for the supervision
// dashboards (MCO-SEI-5): requests allowed, requests blocked by a filtering
// rule (not the 407s asking for credentials), bytes carried. It keeps no
// person: only the establishment of each record.
type internetCounter struct {
	next logs.Sink
	mu   sync.Mutex
	days map[[2]string]*monitor.InternetUse // establishment, day
}

func newInternetCounter(next logs.Sink) *internetCounter {
	return &internetCounter{next: next, days: map[[2]string]*monitor.InternetUse{}}
}

// Append counts r when it is a proxy decision and passes it on.
func (c *internetCounter) Append(r logs.Record) {
	if r.Service == "proxy" && r.Fields["rule"] != "auth" {
		k := [2]string{r.Establishment, r.Time.UTC().Format(time.DateOnly)}
		b, _ := strconv.ParseInt(r.Fields["bytes"], 10, 64)
		c.mu.Lock()
		u := c.days[k]
		if u == nil {
			u = &monitor.InternetUse{}
			c.days[k] = u
		}
		switch r.Action {
		case "block":
			u.Blocked++
		case "allow":
			u.Allowed++
		}
		u.Bytes += b
		c.mu.Unlock()
	}
	c.next.Append(r)
}

// take returns the counts gathered since the last take and starts afresh.
func (c *internetCounter) take() []store.FilterDay {
	c.mu.Lock()
	days := c.days
	c.days = map[[2]string]*monitor.InternetUse{}
	c.mu.Unlock()
	out := make([]store.FilterDay, 0, len(days))
	for k, u := range days {
		out = append(out, store.FilterDay{Establishment: k[0], Day: k[1], InternetUse: *u})
	}
	return out
}

// giveBack adds counts that could not be stored to the next take.
func (c *internetCounter) giveBack(days []store.FilterDay) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range days {
		k := [2]string{d.Establishment, d.Day}
		u := c.days[k]
		if u == nil {
			u = &monitor.InternetUse{}
			c.days[k] = u
		}
		u.Allowed, u.Blocked, u.Bytes = u.Allowed+d.Allowed, u.Blocked+d.Blocked, u.Bytes+d.Bytes
	}
}

// internetFlushEvery is how often the counts reach the store.
const internetFlushEvery = time.Minute

// flushInternet adds the node's counts to the store every minute, and once
// more when the node stops.
func (a *App) flushInternet(ctx context.Context) {
	a.filterNodeOf() // makes a.inet
	c := a.inet
	flush := func(ctx context.Context) {
		days := c.take()
		if err := a.db.AddFilterDays(ctx, days); err != nil {
			c.giveBack(days)
			a.log.Warn("storing the internet counts failed; kept for the next minute", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			flush(fctx)
			cancel()
			return
		case <-time.After(internetFlushEvery):
			flush(ctx)
		}
	}
}
