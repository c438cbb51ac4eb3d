// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/store"
)

// mailRecorder is a files.Mailer that keeps what it was asked to mail.
type mailRecorder struct {
	mu   sync.Mutex
	sent []files.Notice
}

func (m *mailRecorder) MailNotice(_ context.Context, n files.Notice) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, n)
}

// waitFor returns the subjects mailed once there are n of them (the mails
// leave after the upload's answer).
func (m *mailRecorder) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m.mu.Lock()
		var out []string
		for _, s := range m.sent {
			out = append(out, s.Subject)
		}
		m.mu.Unlock()
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFilesQuotaWarningsMailedOncePerCrossing: crossing 80% and 95% of a
// personal quota mails the person (beside the portal notice) once per
// crossing, not on every upload above the threshold; going back below
// rearms the warning; twelve concurrent uploads crossing 80% together send
// one warning.
// CARINE: UTI-ESF-4
func TestFilesQuotaWarningsMailedOncePerCrossing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		lou := e.person(t, "lou", core.ProfilePupil)
		mail := &mailRecorder{}
		svc := files.New(files.Deps{Store: e.db, Blobs: e.blobs, People: e.db, Mail: mail, Clock: e.clock, Log: quiet,
			Config: files.Config{Quotas: map[core.Profile]int64{core.ProfilePupil: 1000}, Versions: -1}})
		ctx := e.as("lou")
		put := func(name string, n int) {
			t.Helper()
			if _, err := svc.Put(ctx, name, bytes.NewReader(make([]byte, n)), files.PutOptions{Size: int64(n)}); err != nil {
				t.Fatal(err)
			}
		}
		put("/home/a.bin", 500) // 50 %
		put("/home/b.bin", 300) // 80 %: mailed
		if got := mail.waitFor(t, 1); len(got) != 1 || !strings.Contains(got[0], "80 %") {
			t.Fatalf("mails after crossing 80%%: %q", got)
		}
		put("/home/c.bin", 50) // 85 %: nothing new
		put("/home/d.bin", 50) // 90 %: nothing new
		put("/home/e.bin", 60) // 96 %: mailed
		got := mail.waitFor(t, 2)
		if len(got) != 2 || !strings.Contains(got[1], "95 %") {
			t.Fatalf("mails after crossing 95%%: %q", got)
		}
		mail.mu.Lock()
		if n := mail.sent[1]; n.PersonID != lou.ID || !strings.Contains(n.Body, "960 B") && !strings.Contains(n.Body, "960") {
			t.Fatalf("mailed notice = %+v", n)
		}
		mail.mu.Unlock()
		// Back below 80 % (the trash purged), then 12 uploads at once cross
		// it again: one more warning.
		for _, f := range []string{"/home/b.bin", "/home/c.bin", "/home/d.bin", "/home/e.bin"} {
			if err := svc.Remove(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.PurgeTrash(ctx, "/home"); err != nil {
			t.Fatal(err)
		}
		put("/home/f.bin", 10) // 51 %: rearms
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Put(ctx, fmt.Sprintf("/home/g%02d.bin", i), bytes.NewReader(make([]byte, 25)),
					files.PutOptions{Size: 25}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait() // 510 + 300 = 810: 81 %
		ns, err := e.db.FindNotices(context.Background(), lou.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		got = mail.waitFor(t, len(ns))
		if len(ns) != 3 || len(got) != 3 || !strings.Contains(got[2], "80 %") {
			t.Fatalf("after crossing 80%% again with concurrent uploads: %d notices, mails %q", len(ns), got)
		}
	})
}
