// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/core"
)

// SSE is a Server-Sent Events stream to one client. Its methods are safe for
// concurrent use. The stream ends when the handler returns; the client's
// departure cancels r.Context(), after which every method returns its error.
type SSE struct {
	mu  sync.Mutex
	w   http.ResponseWriter
	rc  *http.ResponseController
	ctx context.Context
}

// NewSSE starts an event stream on w: it writes the status 200 and the
// headers (text/event-stream, no caching, X-Accel-Buffering: no so that a
// reverse proxy does not buffer) and lifts the server's write deadline. It
// returns an Internal error when w cannot flush, having written nothing.
func NewSSE(w http.ResponseWriter, r *http.Request) (*SSE, error) {
	if !canFlush(w) {
		return nil, core.E("web.NewSSE", core.Internal, "the response writer %T cannot flush", w)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // not every writer supports deadlines
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, core.Wrap("web.NewSSE", core.Internal, err)
	}
	return &SSE{w: w, rc: rc, ctx: r.Context()}, nil
}

// canFlush reports whether w, or a writer it wraps (the Unwrap convention of
// http.ResponseController), implements http.Flusher.
func canFlush(w http.ResponseWriter) bool {
	for {
		if _, ok := w.(http.Flusher); ok {
			return true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return false
		}
		w = u.Unwrap()
	}
}

// Done is closed when the client has gone.
func (s *SSE) Done() <-chan struct{} { return s.ctx.Done() }

// Send writes one event named event whose data is the JSON encoding of data,
// and flushes it. The event name must be a non-empty line without ':'.
// It returns the context's error once the client has gone.
func (s *SSE) Send(event string, data any) error {
	if event == "" || strings.ContainsAny(event, "\r\n:") {
		return core.E("web.SSE.Send", core.Internal, "bad event name %q", event)
	}
	b, err := json.Marshal(data) // never holds a raw newline
	if err != nil {
		return core.Wrap("web.SSE.Send", core.Internal, err)
	}
	return s.write("event: " + event + "\ndata: " + string(b) + "\n\n")
}

// Comment writes a comment line, which clients ignore. Send one every 15
// to 30 seconds to keep proxies from closing an idle stream. Newlines in
// text are replaced by spaces.
func (s *SSE) Comment(text string) error {
	return s.write(": " + strings.NewReplacer("\r", " ", "\n", " ").Replace(text) + "\n\n")
}

func (s *SSE) write(msg string) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write([]byte(msg)); err != nil {
		return err
	}
	return s.rc.Flush()
}
