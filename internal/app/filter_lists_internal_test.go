// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/store"
)

// ut1Archive returns the real UT1 snapshot, or skips.
func ut1Archive(t *testing.T) []byte {
	src := os.Getenv("PREAU_UT1_SNAPSHOT")
	if src == "" {
		src = filepath.Join("..", "..", "..", "shared", "data", "ut1", "ut1-blacklists-2026-08-17-partial.tar.gz")
	}
	b, err := os.ReadFile(src)
	if err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatalf("the UT1 snapshot %s is missing (PREAU_TEST_STRICT=1; set PREAU_UT1_SNAPSHOT)", src)
		}
		t.Skipf("UT1 snapshot %s missing", src)
	}
	return b
}

// listsServer serves the archive at /ok/blacklists.tar.gz with the right
// MD5SUM.LST, and at /bad/ with a checksum that does not match.
func listsServer(t *testing.T, archive []byte) (*httptest.Server, *atomic.Int32) {
	sum := md5.Sum(archive)
	var downloads atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok/MD5SUM.LST":
			fmt.Fprintf(w, "%s  blacklists.tar.gz\n", hex.EncodeToString(sum[:]))
		case "/bad/MD5SUM.LST":
			fmt.Fprintf(w, "%s  blacklists.tar.gz\n", strings.Repeat("0", 32))
		case "/ok/blacklists.tar.gz", "/bad/blacklists.tar.gz":
			downloads.Add(1)
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &downloads
}

func listsApp(t *testing.T, db *store.DB, clock core.Clock, data string) *listsAdmin {
	a := &App{base: &base{db: db, clock: clock, cfg: config.File{Data: data}, log: slog.New(slog.DiscardHandler)}}
	la := a.listsAdminOf()
	la.reload = func(context.Context) {}
	return la
}

// TestFilterListsScheduledFetch: the schedule is due once per day at its
// hour; a download checked against MD5SUM.LST is imported, journaled and
// recorded; a download whose checksum differs is refused, the previous
// lists stay installed, and the failure shows in the filter-lists
// self-check; with two nodes sharing the store, only the lease holder
// downloads.
// CARINE: INF-SEC-8
func TestFilterListsScheduledFetch_INF_SEC_8(t *testing.T) {
	archive := ut1Archive(t)
	srv, downloads := listsServer(t, archive)
	clock := core.NewFakeClock(time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := dirtest.Ctx()
	data := t.TempDir()
	la := listsApp(t, db, clock, data)

	c := filter.FetchConfig{URL: srv.URL + "/ok/blacklists.tar.gz", Enabled: true, AtMinute: 120, EveryHours: 24}
	if err := la.SaveFetchConfig(ctx, c); err != nil {
		t.Fatal(err)
	}
	// 01:00 with nothing ever downloaded: yesterday's 02:00 slot is due.
	if due, err := la.due(ctx, c, clock.Now()); err != nil || !due {
		t.Fatalf("nothing downloaded yet: due=%v %v", due, err)
	}
	run := la.fetch(ctx, c.URL, "schedule")
	if run == nil || !run.OK || run.ImportID == "" || !strings.Contains(run.Message, "MD5 checked") {
		t.Fatalf("download: %+v", run)
	}
	installed, err := os.ReadFile(filepath.Join(data, "filter", "lists.tar.gz"))
	if err != nil || len(installed) != len(archive) {
		t.Fatalf("installed lists: %d bytes, %v", len(installed), err)
	}
	if due, _ := la.due(ctx, c, clock.Now()); due {
		t.Fatal("due again right after a download")
	}
	clock.Advance(90 * time.Minute) // 02:30: today's slot
	if due, _ := la.due(ctx, c, clock.Now()); !due {
		t.Fatal("today's 02:00 slot is not due")
	}
	if r := la.a.filterListsProbe()(ctx); !r.OK {
		t.Fatalf("self-check after a good download: %+v", r)
	}

	// A checksum that does not match: refused, the lists stay.
	before, _ := db.LastFilterImport(ctx)
	bad := la.fetch(ctx, srv.URL+"/bad/blacklists.tar.gz", "manual")
	if bad == nil || bad.OK || !strings.Contains(bad.Message, "MD5") || !strings.Contains(bad.Message, "nothing imported") {
		t.Fatalf("bad checksum: %+v", bad)
	}
	after, _ := db.LastFilterImport(ctx)
	if after.ID != before.ID {
		t.Fatal("a download with a wrong checksum was imported")
	}
	if r := la.a.filterListsProbe()(ctx); r.OK || !strings.Contains(r.Error, "download of the lists") {
		t.Fatalf("self-check after a failed download: %+v", r)
	}
	// Retried an hour after a failure, not before.
	if due, _ := la.due(ctx, c, clock.Now()); due {
		t.Fatal("retried at once after a failure")
	}
	clock.Advance(time.Hour)
	if due, _ := la.due(ctx, c, clock.Now()); !due {
		t.Fatal("not retried an hour after a failure")
	}

	// Two nodes, one lease: one download.
	other := listsApp(t, db, clock, t.TempDir())
	la.tick, other.tick = 20*time.Millisecond, 20*time.Millisecond
	n0 := downloads.Load()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	for _, l := range []*listsAdmin{la, other} {
		go func() { l.runFetchScheduler(rctx); done <- struct{}{} }()
	}
	deadline := time.Now().Add(90 * time.Second) // a slow machine, the race detector
	for time.Now().Before(deadline) {
		if runs, _ := db.FilterFetchRuns(ctx, 1); len(runs) == 1 && runs[0].Cause == "schedule" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // ticks enough for a second node to try
	cancel()
	<-done
	<-done
	if got := downloads.Load() - n0; got != 1 {
		t.Fatalf("%d downloads by two nodes for one slot, want 1", got)
	}
	runs, _ := db.FilterFetchRuns(ctx, 1)
	if len(runs) != 1 || !runs[0].OK || runs[0].Cause != "schedule" {
		t.Fatalf("last run %+v", runs)
	}
}

// TestFilterFetchDue: the schedule's arithmetic across days and intervals.
// CARINE: INF-SEC-8
func TestFilterFetchDue_INF_SEC_8(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 29, h, m, 0, 0, time.UTC) }
	c := filter.FetchConfig{Enabled: true, AtMinute: 120, EveryHours: 24}
	for _, tc := range []struct {
		now, last time.Time
		want      bool
	}{
		{at(3, 0), at(2, 1), false},
		{at(3, 0), at(1, 59), true},
		{at(1, 0), at(2, 1).Add(-24 * time.Hour), false},
		{at(1, 0), at(1, 0).Add(-24 * time.Hour), true},
	} {
		if got := c.Due(tc.now, tc.last); got != tc.want {
			t.Errorf("due(%s, last %s) = %v", tc.now, tc.last, got)
		}
	}
	c6 := filter.FetchConfig{Enabled: true, AtMinute: 0, EveryHours: 6}
	if !c6.Due(at(13, 0), at(11, 0)) || c6.Due(at(13, 0), at(12, 30)) {
		t.Error("6-hour schedule")
	}
	if off := (filter.FetchConfig{AtMinute: 0, EveryHours: 6}); off.Due(at(13, 0), time.Time{}) {
		t.Error("a disabled schedule is due")
	}
}

// TestFilterBlockedNowAggregates: "what is being blocked in my lesson"
// reads the log store's connection records of the class's pupils only,
// counts them by site and category with the number of pupils and no
// names, and journals the consultation (logs.search, aggregate).
// CARINE: INF-SEC-6, MCO-JAL-6
func TestFilterBlockedNowAggregates_INF_SEC_6(t *testing.T) {
	ctx := dirtest.Ctx()
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Clock: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	est := dirtest.NewEstablishment(999075, directory.College)
	if err := db.CreateEstablishment(ctx, est); err != nil {
		t.Fatal(err)
	}
	zoe := dirtest.NewPerson("zoe.bloc", core.ProfilePupil, est.ID)
	leo := dirtest.NewPerson("leo.bloc", core.ProfilePupil, est.ID)
	other := dirtest.NewPerson("autre.bloc", core.ProfilePupil, est.ID)
	if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: zoe}, {Person: leo}, {Person: other}}); err != nil {
		t.Fatal(err)
	}
	g := &directory.Group{ID: core.NewID(), Establishment: est.ID, Code: "6A", Name: "6e A", Kind: directory.Class, SchoolYear: core.SchoolYear(clock.Now())}
	if err := db.CreateGroups(ctx, []*directory.Group{g}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: zoe.ID, Role: directory.RoleMember},
		{GroupID: g.ID, PersonID: leo.ID, Role: directory.RoleMember}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bs, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	ls, err := logs.Open(ctx, logs.Config{Blobs: bs, Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Spool: filepath.Join(dir, "spool"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	rec := func(user, action, obj, cat string) {
		ls.Append(logs.Record{Time: clock.Now().Add(-5 * time.Minute), Establishment: est.ID, Class: logs.ClassConnection, Service: "proxy",
			User: user, Action: action, Object: obj, Fields: map[string]string{"category": cat}})
	}
	rec(zoe.Login, "block", "http://casino.example/roulette", "gambling")
	rec(leo.Login, "block", "casino.example:443", "gambling")
	rec(zoe.Login, "block", "casino.example:443", "gambling")
	rec(zoe.Login, "block", "jeu.example:443", "games")
	rec(zoe.Login, "allow", "edu.example:443", "")
	rec(other.Login, "block", "casino.example:443", "gambling") // not in 6A
	if err := ls.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a := &App{base: &base{db: db, clock: clock, log: slog.New(slog.DiscardHandler)}, logs: ls}
	rep, err := a.filterBlocked(ctx, est.ID, "6A", clock.Now().Add(-30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Available || rep.Requests != 4 || len(rep.Sites) != 2 {
		t.Fatalf("report %+v", rep)
	}
	if s := rep.Sites[0]; s.Site != "casino.example" || s.Category != "gambling" || s.Requests != 3 || s.Pupils != 2 {
		t.Fatalf("first site %+v", s)
	}
	if s := rep.Sites[1]; s.Site != "jeu.example" || s.Requests != 1 || s.Pupils != 1 {
		t.Fatalf("second site %+v", s)
	}
	es, err := db.FindJournal(ctx, journal.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		if e.Action == "logs.search" && e.Chain == est.ID && strings.Contains(e.Reason, "aggregate:group=6A,no-names") && strings.Contains(e.Reason, "records=4") {
			found = true
		}
	}
	if !found {
		t.Fatal("the consultation is not journaled")
	}
	// Without a log store: nothing to read, and said so.
	if rep, err := (&App{base: &base{db: db, clock: clock}}).filterBlocked(ctx, est.ID, "6A", clock.Now()); err != nil || rep.Available {
		t.Fatalf("no log store: %+v %v", rep, err)
	}
}

// TestFilterCustomListsSurviveImports: a custom list becomes a category of
// the lists in force (bad lines reported, not fatal), stays through the
// import of a new archive, cannot take the name of a category of the
// lists, and goes away when deleted while the other categories stay.
// CARINE: INF-SEC-8, INF-SEC-9
func TestFilterCustomListsSurviveImports_INF_SEC_8(t *testing.T) {
	clock := core.NewFakeClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Clock: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := dirtest.Ctx()
	data := t.TempDir()
	la := listsApp(t, db, clock, data)
	installed := func() *filter.Lists {
		t.Helper()
		l, err := filter.Load(filepath.Join(data, "filter", "lists.tar.gz"))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	refused, err := la.SaveCustomList(ctx, "mes-sites", []byte("jeux.example\nbad line!\n"))
	if err != nil || len(refused) != 1 {
		t.Fatalf("save: %v %v", refused, err)
	}
	if im, err := db.LastFilterImport(ctx); err != nil || im.Source != "custom:mes-sites" || im.Domains != 1 {
		t.Fatalf("import %+v %v", im, err)
	}
	if _, err := la.SaveCustomList(ctx, "vide", []byte("# rien\n")); !core.IsKind(err, core.Invalid) {
		t.Fatalf("empty list: %v", err)
	}

	// A new archive: the custom list stays.
	archive := filepath.Join(t.TempDir(), "blacklists.tar.gz")
	writeTarGz(t, archive, map[string]string{"blacklists/gambling/domains": "casino.example\n", "blacklists/gambling/usage": "black\n"})
	if _, _, err := installFilterLists(ctx, db, la.a.cfg, archive, "blacklists.tar.gz", installOpts{}); err != nil {
		t.Fatal(err)
	}
	l := installed()
	if l.MatchHost("www.jeux.example").Empty() || l.MatchHost("casino.example").Empty() {
		t.Fatal("the custom list or the archive's category is missing after the import")
	}
	la.a.filterNodeOf().eng.SetLists(l)
	if _, err := la.SaveCustomList(ctx, "gambling", []byte("x.example\n")); !core.IsKind(err, core.Invalid) {
		t.Fatalf("a custom list replaced a category of the lists: %v", err)
	}
	cl, _ := la.CustomLists(ctx)
	if len(cl) != 1 || cl[0].Name != "mes-sites" || cl[0].Entries != 1 {
		t.Fatalf("custom lists %+v", cl)
	}

	if err := la.DeleteCustomList(ctx, "mes-sites"); err != nil {
		t.Fatal(err)
	}
	l = installed()
	if _, ok := l.Category("mes-sites"); ok || l.MatchHost("casino.example").Empty() {
		t.Fatal("after deleting the custom list")
	}
	if err := la.DeleteCustomList(ctx, "mes-sites"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
}

func writeTarGz(t *testing.T, file string, files map[string]string) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
}

// TestFilterListsSharedBetweenNodes: the lists one node installs (here a
// custom list) reach another node of the deployment through the blob
// store, checked against the SHA-256 the store recorded.
// CARINE: INF-SEC-8
func TestFilterListsSharedBetweenNodes_INF_SEC_8(t *testing.T) {
	clock := core.NewFakeClock(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Clock: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := dirtest.Ctx()
	shared, err := bloburl.Open(ctx, filepath.Join(t.TempDir(), "blobs"), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	one, two := listsApp(t, db, clock, t.TempDir()), listsApp(t, db, clock, t.TempDir())
	one.a.blobs, two.a.blobs = shared, shared
	if _, err := one.SaveCustomList(ctx, "partage", []byte("partage.example\n")); err != nil {
		t.Fatal(err)
	}
	im, err := db.LastFilterImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !two.a.ensureFilterLists(ctx, im) {
		t.Fatal("the second node did not get the lists")
	}
	l, err := filter.Load(filepath.Join(two.a.cfg.Data, "filter", "lists.tar.gz"))
	if err != nil || l.MatchHost("partage.example").Empty() {
		t.Fatalf("the second node's lists: %v", err)
	}
	// A tampered copy in the blob store is refused.
	w, _ := shared.Create(ctx, filterListsKey(im.SHA256))
	w.Write([]byte("tampered"))
	w.Commit()
	three := listsApp(t, db, clock, t.TempDir())
	three.a.blobs = shared
	if three.a.ensureFilterLists(ctx, im) || fileExists(filepath.Join(three.a.cfg.Data, "filter", "lists.tar.gz")) {
		t.Fatal("a tampered archive was installed")
	}
}

// FuzzMergeCustomLists: whatever archive is uploaded, merging the custom
// lists either fails with an error or gives an archive that keeps the
// custom list and no other marked category.
func FuzzMergeCustomLists(f *testing.F) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string]string{"blacklists/a/domains": "a.example\n", "blacklists/old/domains": "old.example\n",
		"blacklists/old/.preau-custom": ""} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("\x1f\x8b garbage"))
	f.Add([]byte("plain text, not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		src := filepath.Join(dir, "in.tar.gz")
		os.WriteFile(src, data, 0o600)
		var out bytes.Buffer
		if err := mergeCustomLists(&out, src, map[string][]byte{"mine": []byte("mine.example\n")}); err != nil {
			return
		}
		merged := filepath.Join(dir, "out.tar.gz")
		os.WriteFile(merged, out.Bytes(), 0o600)
		l, err := filter.Load(merged)
		if err != nil {
			t.Fatalf("the merged archive does not load: %v", err)
		}
		if l.MatchHost("mine.example").Empty() {
			t.Fatal("the custom list is missing")
		}
		if _, ok := l.Category("old"); ok {
			t.Fatal("a marked category not in the custom lists survived")
		}
	})
}
