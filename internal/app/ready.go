// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"encoding/json"
	"net/http"
	"sync"
)

// readiness tracks whether the node is ready to serve everything, and the
// progress of start-up work (the demo fill) meanwhile.
type readiness struct {
	mu       sync.Mutex
	pending  bool // start-up work is running
	stage    string
	done     int
	total    int
	failed   string
	watchers []chan struct{}
}

// begin marks start-up work as running.
func (r *readiness) begin(stage string) {
	r.mu.Lock()
	r.pending, r.stage = true, stage
	r.mu.Unlock()
	r.notify()
}

// progress records how far the work went.
func (r *readiness) progress(stage string, done, total int) {
	r.mu.Lock()
	r.stage, r.done, r.total = stage, done, total
	r.mu.Unlock()
	r.notify()
}

// finish marks start-up work as done, or failed with a message.
func (r *readiness) finish(failed string) {
	r.mu.Lock()
	r.pending, r.failed = false, failed
	r.mu.Unlock()
	r.notify()
}

// Status is the readiness shown by /readyz and the progress page.
type Status struct {
	Ready  bool   `json:"ready"`
	Stage  string `json:"stage,omitempty"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Failed string `json:"failed,omitempty"`
}

func (r *readiness) status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Status{Ready: !r.pending && r.failed == "", Stage: r.stage, Done: r.done, Total: r.total, Failed: r.failed}
}

// watch returns a channel that receives a value after each change.
func (r *readiness) watch() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	r.watchers = append(r.watchers, ch)
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		for i, w := range r.watchers {
			if w == ch {
				r.watchers = append(r.watchers[:i], r.watchers[i+1:]...)
				break
			}
		}
	}
}

func (r *readiness) notify() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.watchers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// serveReadyz answers 200 when ready, 503 otherwise, with the status as JSON.
func (r *readiness) serveReadyz(w http.ResponseWriter, _ *http.Request) {
	s := r.status()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !s.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(s)
}
