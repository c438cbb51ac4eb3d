// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"net/http"
	"time"
)

// ProgressEvent is the data of the "progress" and "done" events that the
// shell's progress page listens to (static/sse.js). Message is shown as is,
// so translate it with [T]. On "done", a non-empty URL becomes the page's
// Continue link, which receives the focus (the page does not navigate by
// itself, so that nobody loses their place).
type ProgressEvent struct {
	Value   int64  `json:"value"`
	Max     int64  `json:"max"`
	Message string `json:"message,omitempty"`
	URL     string `json:"url,omitempty"`
}

// Progress is the Data of the shell's "progress" page. Title and Message
// are translation keys. With JavaScript, sse.js follows EventsURL
// ("progress", "done" and "failed" events carrying a [ProgressEvent]);
// without it, the page reloads every RefreshSeconds (default 5) so that the
// handler can render the current state. When Done is true and DoneURL is set,
// the page links to it instead.
type Progress struct {
	Title, Message string
	Value, Max     int64
	EventsURL      string
	RefreshSeconds int
	Done           bool
	DoneURL        string
}

// Percent returns Value as a whole percentage of Max, 0 when Max is 0.
func (p Progress) Percent() int64 {
	if p.Max <= 0 {
		return 0
	}
	return min(100, max(0, p.Value*100/p.Max))
}

// Refresh returns RefreshSeconds, or 5 when it is not set.
func (p Progress) Refresh() int {
	if p.RefreshSeconds <= 0 {
		return 5
	}
	return p.RefreshSeconds
}

// Progress event names, as sse.js listens to them.
const (
	EventProgress = "progress"
	EventDone     = "done"
	EventFailed   = "failed"
)

// StreamProgress sends the state of a long task as Server-Sent Events until
// it ends or the client leaves: it calls state, sends its event, and when
// the event is EventProgress waits for wake (or 2 seconds) and starts again.
// state returns the event name and its data.
func StreamProgress(w http.ResponseWriter, r *http.Request, wake <-chan struct{}, state func() (string, ProgressEvent)) error {
	sse, err := NewSSE(w, r)
	if err != nil {
		return err
	}
	for {
		name, ev := state()
		if err := sse.Send(name, ev); err != nil || name != EventProgress {
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-wake:
		case <-time.After(2 * time.Second):
		}
	}
}
