// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/bandwidth"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestFilesBandwidthPolicy: only the establishment's administrators set
// the bandwidth limits, an invalid policy writes nothing, a valid one is
// journaled (settings.put, the administrator as actor), and transfers from
// the wifi zone are then paced at the zone's rate, measured on the injected
// clock, with every byte intact; other places follow the establishment's.
// CARINE: UTI-ESF-5
func TestFilesBandwidthPolicy(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "lou", core.ProfilePupil)
		e.person(t, "admin", core.ProfileAdmin)
		if err := e.db.PutZone(dirtest.Ctx(), &directory.Zone{ID: core.NewID(), Establishment: e.est.ID, Name: "wifi",
			CIDRs: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}}); err != nil {
			t.Fatal(err)
		}
		var waited time.Duration
		sleep := func(ctx context.Context, d time.Duration) error { e.clock.Advance(d); waited += d; return nil }
		svc := files.New(files.Deps{Store: e.db, Blobs: e.blobs, People: e.db, Settings: e.db, Clock: e.clock,
			Sleep: sleep, Log: quiet})
		// Monday 30 November 2026, 10:00 UTC (11:00 in Paris): within the hours.
		e.clock.Set(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
		pol := bandwidth.Policy{Limits: bandwidth.Limits{Down: 1_250_000, Up: 250_000},
			Zones: map[string]bandwidth.Limits{"wifi": {Down: 100_000, Up: 50_000}}, From: "08:00", To: "17:30"}
		mustKind(t, svc.SetBandwidth(e.as("lou"), e.est.ID, pol), core.Permission, "a pupil setting bandwidth limits")
		bad := pol
		bad.From, bad.To = "18:00", "08:00"
		mustKind(t, svc.SetBandwidth(e.as("admin"), e.est.ID, bad), core.Invalid, "hours ending before they start")
		if p, err := svc.Bandwidth(context.Background(), e.est.ID); err != nil || !p.Off() {
			t.Fatalf("a refused policy was stored: %+v %v", p, err)
		}
		if err := svc.SetBandwidth(e.as("admin"), e.est.ID, pol); err != nil {
			t.Fatal(err)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "settings.put"})
		found := false
		for _, j := range js {
			if j.TargetName == e.est.ID+"/files.bandwidth" && j.ActorLogin == "admin" {
				found = true
			}
		}
		if !found {
			t.Fatalf("no settings.put entry for files.bandwidth by admin in %+v", js)
		}
		if p, _ := svc.Bandwidth(context.Background(), e.est.ID); p.Zones["wifi"].Down != 100_000 || p.To != "17:30" {
			t.Fatalf("stored policy = %+v", p)
		}

		wifi := func(login, src string) context.Context {
			p := e.people[login]
			return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
				Profile: p.Profile, Establishments: p.Establishments, Channel: core.ChannelDAV, AuthLevel: 1, Source: src})
		}
		ctx := wifi("lou", "10.20.3.4")
		if _, l, zone, err := svc.TransferLimits(ctx); err != nil || zone != "wifi" || l.Down != 100_000 {
			t.Fatalf("TransferLimits = %+v %q %v", l, zone, err)
		}
		// An upload of 300 kB from the wifi: 50 kB/s.
		content := strings.Repeat("é", 150_000) // 300,000 bytes
		start := e.clock.Now()
		if _, err := svc.Put(ctx, "/home/video.txt", svc.ShapeUpload(ctx, strings.NewReader(content)),
			files.PutOptions{Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		want := time.Duration(float64(300_000-16384) / 50_000 * float64(time.Second))
		if got := e.clock.Now().Sub(start); got < want-time.Millisecond || got > want+time.Millisecond {
			t.Fatalf("300 kB up from the wifi took %v on the clock, want %v", got, want)
		}
		// Its download at 100 kB/s.
		rc, _, err := svc.Open(ctx, "/home/video.txt")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		w, limited := svc.ShapeDownload(ctx, &got)
		start = e.clock.Now()
		if _, err := io.Copy(w, rc); err != nil || !limited {
			t.Fatalf("download: %v, limited %v", err, limited)
		}
		rc.Close()
		if got.String() != content {
			t.Fatal("the shaped download changed the content")
		}
		want = time.Duration(float64(300_000-16384) / 100_000 * float64(time.Second))
		if el := e.clock.Now().Sub(start); el < want-time.Millisecond || el > want+time.Millisecond {
			t.Fatalf("300 kB down to the wifi took %v on the clock, want %v", el, want)
		}
		// Outside the wifi, the establishment's 10 Mbit/s; after 17:30, nothing.
		if _, l, zone, _ := svc.TransferLimits(wifi("lou", "192.0.2.7")); zone != "" || l.Down != 1_250_000 {
			t.Fatalf("outside any zone: %+v %q", l, zone)
		}
		e.clock.Set(time.Date(2026, 11, 30, 17, 0, 0, 0, time.UTC)) // 18:00 in Paris
		if _, limited := svc.ShapeDownload(ctx, io.Discard); limited {
			t.Fatal("a download is shaped after the limited hours")
		}
	})
}

// TestFilesUploadMemo: under a request memo, what one request reads again
// and again is read once, but never across its write: after the Put, the
// same request sees the new file, and a second Put in the same request
// replaces it (no stale "absent" lookup), with the usage counted once each.
func TestFilesUploadMemo(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "lou", core.ProfilePupil)
		ctx := files.WithUploadMemo(e.as("lou"))
		if _, err := e.svc.Stat(ctx, "/home/a.txt"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("Stat before: %v", err)
		}
		e.put(t, ctx, "/home/a.txt", "one")
		if en, err := e.svc.Stat(ctx, "/home/a.txt"); err != nil || en.Size != 3 {
			t.Fatalf("Stat after the Put in the same request: %+v %v", en, err)
		}
		e.put(t, ctx, "/home/a.txt", "second")
		got, err := e.read(e.as("lou"), "/home/a.txt")
		if err != nil || got != "second" {
			t.Fatalf("content = %q, %v", got, err)
		}
		if q, _ := e.svc.Quota(e.as("lou"), "/home"); q.Used != 9 { // "second" + the version "one"
			t.Fatalf("usage = %d, want 9", q.Used)
		}
	})
}
