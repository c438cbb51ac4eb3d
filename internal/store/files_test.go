// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// filesEnv is a files service over a real store and a blob folder.
type filesEnv struct {
	db     *store.DB
	svc    *files.Service
	glass  *breakglass.Service
	clock  *core.FakeClock
	est    *directory.Establishment
	blobs  blob.Store
	people map[string]*directory.Person
}

func newFilesEnv(t *testing.T, open func(testing.TB) *store.DB, cfg files.Config) *filesEnv {
	t.Helper()
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	db, _ := store.Reopen(open(t), store.Config{Clock: clock})
	ctx := dirtest.Ctx()
	est := dirtest.NewEstablishment(999081, directory.College)
	if err := db.CreateEstablishment(ctx, est); err != nil {
		t.Fatal(err)
	}
	bs, err := fsblob.New(fsblob.Config{Dir: t.TempDir(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	bg := breakglass.New(breakglass.Deps{Store: db, People: db, Clock: clock, Log: quiet})
	svc := files.New(files.Deps{Store: db, Blobs: bs, People: db, Glass: bg, Clock: clock, Log: quiet, Config: cfg})
	return &filesEnv{db: db, svc: svc, glass: bg, clock: clock, est: est, blobs: bs, people: map[string]*directory.Person{}}
}

func (e *filesEnv) person(t *testing.T, login string, prof core.Profile) *directory.Person {
	t.Helper()
	p := dirtest.NewPerson(login, prof, e.est.ID)
	p.DisplayName = "Élève " + login
	if err := e.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: p}}); err != nil {
		t.Fatal(err)
	}
	e.people[login] = p
	return p
}

func (e *filesEnv) as(login string) context.Context {
	p := e.people[login]
	return core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: p.Login,
		Profile: p.Profile, Establishments: p.Establishments, Channel: core.ChannelDAV, AuthLevel: 1})
}

func (e *filesEnv) group(t *testing.T, code string, owners []string, members ...string) *directory.Group {
	t.Helper()
	g := &directory.Group{ID: core.NewID(), Establishment: e.est.ID, Code: code, Name: "Classe " + code,
		Kind: directory.Class, SchoolYear: 2026, Level: "3e"}
	ctx := dirtest.Ctx()
	if err := e.db.CreateGroups(ctx, []*directory.Group{g}); err != nil {
		t.Fatal(err)
	}
	var ms []directory.Membership
	for _, o := range owners {
		ms = append(ms, directory.Membership{GroupID: g.ID, PersonID: e.people[o].ID, Role: directory.RoleOwner})
	}
	for _, m := range members {
		ms = append(ms, directory.Membership{GroupID: g.ID, PersonID: e.people[m].ID, Role: directory.RoleMember})
	}
	if err := e.db.AddMembers(ctx, ms); err != nil {
		t.Fatal(err)
	}
	return g
}

func (e *filesEnv) put(t *testing.T, ctx context.Context, p, content string) *files.Entry {
	t.Helper()
	en, err := e.svc.Put(ctx, p, strings.NewReader(content), files.PutOptions{Size: int64(len(content))})
	if err != nil {
		t.Fatalf("put %s: %v", p, err)
	}
	return en
}

// putTwenty uploads 20 files of 100 bytes at once (prefix00.bin…, Size as
// announced: -1 for unknown), calls during (when set) while they run, and
// returns how many were stored and how many were refused for quota; any
// other error fails the test.
func (e *filesEnv) putTwenty(t *testing.T, ctx context.Context, prefix string, size int64, during func()) (ok, over int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 20 {
		wg.Go(func() {
			_, err := e.svc.Put(ctx, fmt.Sprintf("%s%02d.bin", prefix, i), bytes.NewReader(make([]byte, 100)),
				files.PutOptions{Size: size})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case files.IsQuota(err):
				over++
			default:
				t.Errorf("upload %d: %v", i, err)
			}
		})
	}
	if during != nil {
		during()
	}
	wg.Wait()
	return ok, over
}

func (e *filesEnv) read(ctx context.Context, p string) (string, error) {
	rc, _, err := e.svc.Open(ctx, p)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func (e *filesEnv) used(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	q, err := e.svc.Quota(ctx, "/home")
	if err != nil {
		t.Fatal(err)
	}
	return q.Used
}

// contents counts the stored file contents: blob-store objects and
// contents kept inline in the database.
func (e *filesEnv) contents(t *testing.T) int {
	t.Helper()
	n := 0
	if err := e.blobs.List(context.Background(), "files/", func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := e.db.InlineContents(context.Background(), func(string, int64) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// storageModes are where file contents go: small ones inline in the
// database (the default) or every one in the blob store.
var storageModes = []struct {
	name string
	max  int64 // files.Config.InlineMax
}{{"inline", 0}, {"blobs", -1}}

func names(es []*files.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return strings.Join(out, ",")
}

func mustKind(t *testing.T, err error, k core.Kind, what string) {
	t.Helper()
	if !core.IsKind(err, k) {
		t.Fatalf("%s: got %v, want kind %v", what, err, k)
	}
}

// TestFilesTreeBasics: folders, files, listing, move, copy, trash, restore
// on both back ends.
// CARINE: UTI-ESF-1
func TestFilesTreeBasics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		if _, err := e.svc.Mkdir(ctx, "/home/Mes documents"); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Mkdir(ctx, "/home/Mes documents")
		mustKind(t, err, core.Exists, "second mkdir")
		e.put(t, ctx, "/home/Mes documents/a.txt", "hello")
		_, err = e.svc.Put(ctx, "/home/nope/a.txt", strings.NewReader("x"), files.PutOptions{Size: 1})
		mustKind(t, err, core.NotFound, "put in a missing folder")
		got, err := e.read(ctx, "/home/Mes documents/a.txt")
		if err != nil || got != "hello" {
			t.Fatalf("read = %q, %v", got, err)
		}
		en, err := e.svc.Stat(ctx, "/home/Mes documents/a.txt")
		sum := sha256.Sum256([]byte("hello"))
		if err != nil || en.Size != 5 || en.SHA256 != hex.EncodeToString(sum[:]) || en.ETag == "" ||
			en.ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("stat = %+v, %v", en, err)
		}
		if _, err := e.svc.Copy(ctx, "/home/Mes documents", "/home/Copie", false, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Move(ctx, "/home/Copie/a.txt", "/home/b.txt", false); err != nil {
			t.Fatal(err)
		}
		ls, _ := e.svc.List(ctx, "/home")
		if names(ls) != "Copie,Mes documents,b.txt" {
			t.Fatalf("listing = %s", names(ls))
		}
		_, err = e.svc.Move(ctx, "/home/Mes documents", "/home/Mes documents/x", false)
		mustKind(t, err, core.Invalid, "move into itself")
		if used := e.used(t, ctx); used != 10 {
			t.Fatalf("used = %d, want 10 (copies count)", used)
		}
		if err := e.svc.Remove(ctx, "/home/b.txt"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Stat(ctx, "/home/b.txt")
		mustKind(t, err, core.NotFound, "stat trashed")
		tr, err := e.svc.Trash(ctx, "/home")
		if err != nil || len(tr) != 1 || tr[0].Path != "/b.txt" {
			t.Fatalf("trash = %+v, %v", tr, err)
		}
		if e.used(t, ctx) != 10 {
			t.Fatal("the trash must still count toward the quota")
		}
		e.put(t, ctx, "/home/b.txt", "other") // the name is free again
		if err := e.svc.RestoreTrash(ctx, "/home", tr[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Stat(ctx, "/home/b.txt (1)"); err != nil {
			t.Fatalf("restored under a new name: %v", err)
		}
		if err := e.svc.Remove(ctx, "/home/Copie"); err != nil {
			t.Fatal(err)
		}
		if n, err := e.svc.PurgeTrash(ctx, "/home"); err != nil || n != 1 {
			t.Fatalf("purge = %d, %v", n, err)
		}
		if used := e.used(t, ctx); used != 15 {
			t.Fatalf("used after purge = %d, want 15", used)
		}
		// The shared blob of the purged copy is kept: the original uses it.
		if got, err := e.read(ctx, "/home/Mes documents/a.txt"); err != nil || got != "hello" {
			t.Fatalf("original after purging its copy = %q, %v", got, err)
		}
	})
}

// TestFilesPrivateSubtree proves that a teacher and an administrator can
// neither list, read, share nor move a pupil's Mes documents/PRIVÉ/…, even
// with the parent folder shared with them, that admin listings show only
// sizes, and that break-glass opens it only once approved, for its window,
// with journal entries and a notice.
// CARINE: UTI-ESF-6, UTI-ESF-8
func TestFilesPrivateSubtree(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "lou", core.ProfilePupil)
		e.person(t, "prof", core.ProfileTeacher)
		e.person(t, "admin", core.ProfileAdmin)
		e.person(t, "head", core.ProfileHead)
		e.group(t, "3A", []string{"prof"}, "lou")
		pupil, teacher, admin := e.as("lou"), e.as("prof"), e.as("admin")
		for _, d := range []string{"/home/Mes documents", "/home/Mes documents/PRIVÉ", "/home/Mes documents/PRIVÉ/journal"} {
			if _, err := e.svc.Mkdir(pupil, d); err != nil {
				t.Fatal(err)
			}
		}
		e.put(t, pupil, "/home/Mes documents/PRIVÉ/journal/lundi.txt", "secret")
		e.put(t, pupil, "/home/Mes documents/exposé.odt", "public")
		e.put(t, pupil, "/home/[Personnel] notes.txt", "mine")

		// The owner sees everything.
		if ls, _ := e.svc.List(pupil, "/home/Mes documents"); names(ls) != "PRIVÉ,exposé.odt" || !ls[0].Private {
			t.Fatalf("owner listing = %s", names(ls))
		}
		// Sharing the private folder is refused, even to the owner.
		err := e.svc.Share(pupil, "/home/Mes documents/PRIVÉ", files.GranteePerson, "prof", files.Read)
		mustKind(t, err, core.Permission, "sharing PRIVÉ")
		// Moving it into the class space is refused.
		_, err = e.svc.Move(pupil, "/home/Mes documents/PRIVÉ", "/groups/3A - Classe 3A/PRIVÉ", false)
		mustKind(t, err, core.Permission, "moving PRIVÉ into a group space")
		_, err = e.svc.Copy(pupil, "/home/Mes documents", "/groups/3A - Classe 3A/docs", false, false)
		mustKind(t, err, core.Permission, "copying a folder holding PRIVÉ into a group space")
		// The pupil shares Mes documents with the teacher: PRIVÉ stays hidden.
		if err := e.svc.Share(pupil, "/home/Mes documents", files.GranteePerson, "prof", files.Write); err != nil {
			t.Fatal(err)
		}
		shared, err := e.svc.List(teacher, "/shared")
		if err != nil {
			t.Fatal(err)
		}
		var share string
		for _, s := range shared {
			if strings.HasPrefix(s.Name, "Mes documents") {
				share = "/shared/" + s.Name
			}
		}
		if share == "" {
			t.Fatalf("the share is missing from /shared: %s", names(shared))
		}
		ls, err := e.svc.List(teacher, share)
		if err != nil || names(ls) != "exposé.odt" {
			t.Fatalf("teacher listing of the share = %s, %v", names(ls), err)
		}
		for _, p := range []string{share + "/PRIVÉ", share + "/PRIVÉ/journal/lundi.txt", share + "/prive"} {
			_, err := e.svc.Stat(teacher, p)
			mustKind(t, err, core.NotFound, "teacher stat "+p)
			_, err = e.read(teacher, p)
			mustKind(t, err, core.NotFound, "teacher read "+p)
		}
		err = e.svc.Share(teacher, share+"/PRIVÉ", files.GranteePerson, "admin", files.Read)
		mustKind(t, err, core.NotFound, "teacher sharing PRIVÉ")
		_, err = e.svc.Put(teacher, share+"/PRIVÉ/x.txt", strings.NewReader("x"), files.PutOptions{Size: 1})
		mustKind(t, err, core.NotFound, "teacher writing into PRIVÉ")
		// The administrator reaches nothing without break-glass.
		for _, p := range []string{"/users/lou", "/users/lou/Mes documents/PRIVÉ", "/users/lou/Mes documents/PRIVÉ/journal/lundi.txt"} {
			_, err := e.svc.List(admin, p)
			mustKind(t, err, core.Permission, "admin list "+p)
		}
		// Admin listings show sizes and counts, never names.
		stats, err := e.svc.AdminSpaces(admin, e.est.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stats {
			if s.Kind == files.Personal && s.Owner == e.people["lou"].ID {
				if s.Used != 16 || s.Files != 3 || s.Folders != 3 {
					t.Fatalf("admin stats = %+v", s)
				}
			}
			if strings.Contains(fmt.Sprintf("%+v", s), "PRIV") {
				t.Fatalf("admin stats leak a name: %+v", s)
			}
		}
		_, err = e.svc.AdminSpaces(teacher, e.est.ID)
		mustKind(t, err, core.Permission, "teacher admin listing")

		// Break-glass: asked, then approved by the head, for one hour.
		req, err := e.glass.Request(admin, breakglass.Ask{Target: "lou", Scope: breakglass.ScopeFiles,
			Basis: breakglass.Judicial, Reference: "RQ-2026-17", Reason: "réquisition judiciaire", Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.read(admin, "/users/lou/Mes documents/PRIVÉ/journal/lundi.txt")
		mustKind(t, err, core.Permission, "admin read before approval")
		if _, err := e.glass.Approve(e.as("head"), req.ID, "ok"); err != nil {
			t.Fatal(err)
		}
		got, err := e.read(admin, "/users/lou/Mes documents/PRIVÉ/journal/lundi.txt")
		if err != nil || got != "secret" {
			t.Fatalf("admin read under break-glass = %q, %v", got, err)
		}
		ls, err = e.svc.List(admin, "/users/lou/Mes documents")
		if err != nil || names(ls) != "PRIVÉ,exposé.odt" {
			t.Fatalf("admin listing under break-glass = %s, %v", names(ls), err)
		}
		_, err = e.svc.Put(admin, "/users/lou/x.txt", strings.NewReader("x"), files.PutOptions{Size: 1})
		mustKind(t, err, core.Permission, "admin writing under break-glass")
		err = e.svc.Remove(admin, "/users/lou/Mes documents/exposé.odt")
		mustKind(t, err, core.Permission, "admin deleting under break-glass")
		// The window ends.
		e.clock.Advance(time.Hour + time.Minute)
		_, err = e.read(admin, "/users/lou/Mes documents/PRIVÉ/journal/lundi.txt")
		mustKind(t, err, core.Permission, "admin read after the window")
		uses, err := e.db.FindJournal(context.Background(), journal.Filter{Action: "breakglass.use"})
		if err != nil {
			t.Fatal(err)
		}
		var done, refused int
		for _, u := range uses {
			if u.Result == journal.Done {
				done++
			} else {
				refused++
			}
		}
		if done < 2 || refused < 2 {
			t.Fatalf("breakglass.use entries: %d done, %d refused", done, refused)
		}
		ns, _ := e.db.FindNotices(context.Background(), e.people["lou"].ID, false)
		if len(ns) == 0 {
			t.Fatal("the pupil got no notice of the break-glass access")
		}
		shares, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.share"})
		if len(shares) != 1 {
			t.Fatalf("files.share journal entries = %d, want 1", len(shares))
		}
	})
}

// TestFilesQuota: an upload beyond the quota is refused and leaves usage
// unchanged; concurrent uploads cannot overshoot; an override raises it.
// CARINE: UTI-ESF-4
func TestFilesQuota(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{Quotas: map[core.Profile]int64{core.ProfilePupil: 1000},
			DefaultQuota: 1 << 20, Versions: -1})
		e.person(t, "lou", core.ProfilePupil)
		e.person(t, "admin", core.ProfileAdmin)
		ctx := e.as("lou")
		e.put(t, ctx, "/home/a.bin", strings.Repeat("a", 600))
		// Announced too big.
		_, err := e.svc.Put(ctx, "/home/b.bin", strings.NewReader(strings.Repeat("b", 500)), files.PutOptions{Size: 500})
		if !files.IsQuota(err) {
			t.Fatalf("announced over-quota upload: %v", err)
		}
		// Unannounced: cut while streaming.
		_, err = e.svc.Put(ctx, "/home/b.bin", strings.NewReader(strings.Repeat("b", 500)), files.PutOptions{Size: -1})
		if !files.IsQuota(err) {
			t.Fatalf("streamed over-quota upload: %v", err)
		}
		if _, err := e.svc.Stat(ctx, "/home/b.bin"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("a refused upload is visible: %v", err)
		}
		if u := e.used(t, ctx); u != 600 {
			t.Fatalf("used = %d after refusals, want 600", u)
		}
		// Replacing a file (no versions kept) counts only the difference.
		e.put(t, ctx, "/home/a.bin", strings.Repeat("c", 900))
		if u := e.used(t, ctx); u != 900 {
			t.Fatalf("used = %d after replace, want 900", u)
		}
		if err := e.svc.Remove(ctx, "/home/a.bin"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.PurgeTrash(ctx, "/home"); err != nil {
			t.Fatal(err)
		}
		// 20 concurrent uploads of 100 bytes into 1000: exactly 10 fit.
		ok, over := e.putTwenty(t, ctx, "/home/c", -1, nil)
		if ok != 10 || over != 10 {
			t.Fatalf("concurrent uploads: %d stored, %d refused; want 10 and 10", ok, over)
		}
		if u := e.used(t, ctx); u != 1000 {
			t.Fatalf("used = %d, want exactly 1000", u)
		}
		ls, _ := e.svc.List(ctx, "/home")
		if len(ls) != 10 {
			t.Fatalf("%d files visible, want 10", len(ls))
		}
		// An individual override (a pupil working in LSF video).
		_, err = e.svc.SetQuota(ctx, files.Personal, "lou", 5000)
		mustKind(t, err, core.Permission, "a pupil setting a quota")
		if _, err := e.svc.SetQuota(e.as("admin"), files.Personal, "lou", 5000); err != nil {
			t.Fatal(err)
		}
		e.put(t, ctx, "/home/video.mp4", strings.Repeat("v", 3000))
		if q, _ := e.svc.Quota(ctx, "/home"); q.Limit != 5000 || q.Used != 4000 {
			t.Fatalf("quota after override = %+v", q)
		}
		// Crossing 80% and 95% sent portal notices.
		ns, _ := e.db.FindNotices(context.Background(), e.people["lou"].ID, false)
		var subjects []string
		for _, n := range ns {
			subjects = append(subjects, n.Subject)
		}
		all := strings.Join(subjects, "|")
		if !strings.Contains(all, "80 %") || !strings.Contains(all, "95 %") {
			t.Fatalf("quota notices = %q", all)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.quota.set"})
		if len(js) != 1 {
			t.Fatalf("files.quota.set entries = %d", len(js))
		}
		// The establishment's default for pupils, stored and journaled.
		e.person(t, "max", core.ProfilePupil)
		svc := files.New(files.Deps{Store: e.db, Blobs: e.blobs, People: e.db, Settings: e.db, Clock: e.clock,
			Log: quiet, Config: files.Config{Quotas: map[core.Profile]int64{core.ProfilePupil: 1000}}})
		err = svc.SetDefaultQuota(e.as("max"), e.est.ID, "pupil", 3000)
		mustKind(t, err, core.Permission, "a pupil setting a default quota")
		mustKind(t, svc.SetDefaultQuota(e.as("admin"), e.est.ID, "robot", 1), core.Invalid, "an unknown quota kind")
		if err := svc.SetDefaultQuota(e.as("admin"), e.est.ID, "pupil", 3000); err != nil {
			t.Fatal(err)
		}
		if q, err := svc.Quota(e.as("max"), "/home"); err != nil || q.Limit != 3000 {
			t.Fatalf("quota from the establishment default = %+v, %v", q, err)
		}
		// The defaults the charter annex states (CARINE: UTI-ESF-7).
		if p, g, d := svc.DefaultQuotas(ctx, e.est.ID); p[core.ProfilePupil] != 3000 || p[core.ProfileTeacher] != 0 || g != 0 || d != 0 {
			t.Fatalf("DefaultQuotas = %v, %d, %d", p, g, d)
		}
		if q, _ := svc.Quota(ctx, "/home"); q.Limit != 5000 {
			t.Fatalf("the individual override must win over the default: %+v", q)
		}
	})
}

// TestFilesVersionsAndScrub: replacing keeps versions (counted toward the
// quota), restoring swaps them, the policy prunes them, and the scrub finds
// and journals a corrupted object.
// CARINE: UTI-ESF-10
func TestFilesVersionsAndScrub(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		for _, m := range storageModes {
			t.Run(m.name, func(t *testing.T) { testVersionsAndScrub(t, open, m.max) })
		}
	})
}

func testVersionsAndScrub(t *testing.T, open func(testing.TB) *store.DB, inlineMax int64) {
	{
		e := newFilesEnv(t, open, files.Config{Versions: 2, VersionAge: 24 * time.Hour, TrashAge: 48 * time.Hour,
			InlineMax: inlineMax})
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		for _, c := range []string{"v1", "v2-", "v3--", "v4---"} {
			e.put(t, ctx, "/home/f.txt", c)
			e.clock.Advance(time.Minute)
		}
		vs, err := e.svc.Versions(ctx, "/home/f.txt")
		if err != nil || len(vs) != 2 || vs[0].Size != 4 || vs[1].Size != 3 {
			t.Fatalf("versions = %+v, %v", vs, err)
		}
		if u := e.used(t, ctx); u != 5+4+3 {
			t.Fatalf("used = %d, want 12 (current + 2 versions)", u)
		}
		if err := e.svc.RestoreVersion(ctx, "/home/f.txt", vs[1].ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.read(ctx, "/home/f.txt"); got != "v2-" {
			t.Fatalf("after restore = %q", got)
		}
		if u := e.used(t, ctx); u != 12 {
			t.Fatalf("used after restore = %d", u)
		}
		// Age policy: a day later every version goes.
		e.clock.Advance(25 * time.Hour)
		if _, err := e.svc.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if vs, _ := e.svc.Versions(ctx, "/home/f.txt"); len(vs) != 0 {
			t.Fatalf("versions after the age limit = %d", len(vs))
		}
		if u := e.used(t, ctx); u != 3 {
			t.Fatalf("used after pruning = %d", u)
		}
		// Trash retention.
		e.put(t, ctx, "/home/old.txt", "old")
		_ = e.svc.Remove(ctx, "/home/old.txt")
		e.clock.Advance(49 * time.Hour)
		if _, err := e.svc.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		if tr, _ := e.svc.Trash(ctx, "/home"); len(tr) != 0 {
			t.Fatalf("trash after retention = %d items", len(tr))
		}
		// Corrupt a stored object behind the service's back.
		en, _ := e.svc.Stat(ctx, "/home/f.txt")
		var key string
		_ = e.db.BlobRefs(context.Background(), func(r files.BlobRef) error {
			if r.NodeID == en.NodeID {
				key = r.Key
			}
			return nil
		})
		if files.IsInline(key) != (inlineMax >= 0) {
			t.Fatalf("content key %q with InlineMax %d", key, inlineMax)
		}
		if files.IsInline(key) {
			if err := e.db.ExecForTest(context.Background(), `UPDATE file_inline SET data = $1 WHERE content_key = $2`,
				[]byte("v2X"), key); err != nil {
				t.Fatal(err)
			}
		} else if _, err := blob.Put(context.Background(), e.blobs, key, strings.NewReader("v2X")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.read(ctx, "/home/f.txt"); err == nil {
			t.Fatal("reading a corrupted file whole did not fail")
		}
		rep, err := e.svc.Scrub(ctx, nil)
		if err != nil || len(rep.Mismatches) != 1 || rep.Mismatches[0].Ref.NodeID != en.NodeID {
			t.Fatalf("scrub = %+v, %v", rep, err)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.scrub.mismatch"})
		if len(js) < 2 { // one on read, one by the scrub
			t.Fatalf("mismatch journal entries = %d", len(js))
		}
	}
}

// TestFilesCrashLeavesNothing: a blob committed by an upload whose node
// never was (kill -9 between the two) is invisible, not counted, and the
// scrub removes it; an upload cut mid-stream stores nothing.
func TestFilesCrashLeavesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		e.put(t, ctx, "/home/keep.txt", "keep")
		sp, _ := e.db.FindSpaceByOwner(context.Background(), files.Personal, e.people["lou"].ID)
		orphan := "files/" + sp.ID + "/zz/orphan-upload"
		if _, err := blob.Put(context.Background(), e.blobs, orphan, strings.NewReader("partial")); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Put(ctx, "/home/cut.bin", io.MultiReader(strings.NewReader("abc"), failingReader{}),
			files.PutOptions{Size: -1})
		if err == nil {
			t.Fatal("an upload whose body fails was stored")
		}
		if ls, _ := e.svc.List(ctx, "/home"); names(ls) != "keep.txt" {
			t.Fatalf("listing = %s", names(ls))
		}
		if u := e.used(t, ctx); u != 4 {
			t.Fatalf("used = %d", u)
		}
		e.clock.Advance(2 * time.Hour)
		rep, err := e.svc.Scrub(ctx, nil)
		if err != nil || rep.Orphans != 1 || len(rep.Mismatches) != 0 {
			t.Fatalf("scrub = %+v, %v", rep, err)
		}
		if _, err := e.blobs.Stat(context.Background(), orphan); !core.IsKind(err, core.NotFound) {
			t.Fatalf("orphan still there: %v", err)
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// TestFilesHomework35: a teacher distributes a folder to a class of 35,
// 33 pupils hand in on time, one late, one never; the teacher sees who,
// collects one folder per pupil and returns corrected work.
// CARINE: UTI-ESF-2
func TestFilesHomework35(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "prof", core.ProfileTeacher)
		var pupils []string
		for i := range 35 {
			l := fmt.Sprintf("eleve%02d", i)
			e.person(t, l, core.ProfilePupil)
			pupils = append(pupils, l)
		}
		g := e.group(t, "4B", []string{"prof"}, pupils...)
		teacher := e.as("prof")
		if err := e.svc.MkdirAll(teacher, "/home/Cours/DM1"); err != nil {
			t.Fatal(err)
		}
		e.put(t, teacher, "/home/Cours/DM1/sujet.txt", "Sujet du DM")
		deadline := e.clock.Now().Add(48 * time.Hour)
		_, err := e.svc.Distribute(e.as("eleve00"), "/home", g.ID, "DM1", deadline)
		mustKind(t, err, core.Permission, "a pupil distributing")
		a, err := e.svc.Distribute(teacher, "/home/Cours/DM1", g.ID, "DM 1 fractions", deadline)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Pupils) != 35 {
			t.Fatalf("distributed to %d pupils", len(a.Pupils))
		}
		dir := "/home/Devoirs/DM 1 fractions (prof)"
		for _, l := range pupils {
			if got, err := e.read(e.as(l), dir+"/sujet.txt"); err != nil || got != "Sujet du DM" {
				t.Fatalf("%s: copy = %q, %v", l, got, err)
			}
		}
		e.clock.Advance(time.Hour)
		for _, l := range pupils[:33] {
			e.put(t, e.as(l), dir+"/Rendu/copie.txt", "copie de "+l)
		}
		e.clock.Advance(72 * time.Hour) // after the deadline
		e.put(t, e.as(pupils[33]), dir+"/Rendu/copie.txt", "en retard")
		// pupils[34] never hands in.
		st, err := e.svc.Status(teacher, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, p := range st.Pupils {
			count[p.Status]++
			if p.Login == pupils[33] && p.Status != files.Late || p.Login == pupils[34] && p.Status != files.Missing {
				t.Fatalf("%s: status %s", p.Login, p.Status)
			}
		}
		if count[files.OnTime] != 33 || count[files.Late] != 1 || count[files.Missing] != 1 {
			t.Fatalf("statuses = %v", count)
		}
		_, err = e.svc.Status(e.as("eleve01"), a.ID)
		mustKind(t, err, core.NotFound, "a pupil reading the status")
		if _, err := e.svc.Collect(teacher, a.ID); err != nil {
			t.Fatal(err)
		}
		coll := "/home/Devoirs/DM 1 fractions - copies"
		ls, err := e.svc.List(teacher, coll)
		if err != nil || len(ls) != 35 {
			t.Fatalf("collection folders = %d, %v", len(ls), err)
		}
		late := coll + "/Élève " + pupils[33] + " (" + pupils[33] + ")"
		if got, err := e.read(teacher, late+"/Rendu/copie.txt"); err != nil || got != "en retard" {
			t.Fatalf("collected late copy = %q, %v", got, err)
		}
		if ls, _ := e.svc.List(teacher, coll+"/Élève "+pupils[34]+" ("+pupils[34]+")"); len(ls) != 0 {
			t.Fatalf("the missing pupil's folder holds %s", names(ls))
		}
		// Return corrected work to one pupil.
		if err := e.svc.MkdirAll(teacher, late+"/Corrigé"); err != nil {
			t.Fatal(err)
		}
		e.put(t, teacher, late+"/Corrigé/note.txt", "12/20")
		if n, err := e.svc.Return(teacher, a.ID); err != nil || n != 1 {
			t.Fatalf("return = %d, %v", n, err)
		}
		if got, err := e.read(e.as(pupils[33]), dir+"/Corrigé/note.txt"); err != nil || got != "12/20" {
			t.Fatalf("returned correction = %q, %v", got, err)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.homework."})
		if len(js) != 3 {
			t.Fatalf("homework journal entries = %d, want 3", len(js))
		}
	})
}

// TestFilesGroupSpaces: members read a class space, its owners write, the
// folder name carries the class code, and a group ACL lets pupils write in
// one folder.
// CARINE: UTI-ESF-2, UTI-ESF-11
func TestFilesGroupSpaces(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "prof", core.ProfileTeacher)
		e.person(t, "lou", core.ProfilePupil)
		e.person(t, "max", core.ProfilePupil)
		e.group(t, "3A", []string{"prof"}, "lou")
		ls, err := e.svc.List(e.as("lou"), "/groups")
		if err != nil || names(ls) != "3A - Classe 3A" {
			t.Fatalf("/groups = %s, %v", names(ls), err)
		}
		g := "/groups/3A - Classe 3A"
		if _, err := e.svc.Mkdir(e.as("prof"), g+"/Travaux"); err != nil {
			t.Fatal(err)
		}
		e.put(t, e.as("prof"), g+"/cours.txt", "cours")
		if got, err := e.read(e.as("lou"), g+"/cours.txt"); err != nil || got != "cours" {
			t.Fatalf("member read = %q, %v", got, err)
		}
		_, err = e.svc.Put(e.as("lou"), g+"/x.txt", strings.NewReader("x"), files.PutOptions{Size: 1})
		mustKind(t, err, core.Permission, "a pupil writing in the class space")
		_, err = e.svc.List(e.as("max"), g)
		mustKind(t, err, core.NotFound, "a non-member listing")
		err = e.svc.Share(e.as("lou"), g+"/Travaux", files.GranteeGroup, "3A", files.Write)
		mustKind(t, err, core.Permission, "a pupil changing ACLs")
		if err := e.svc.Share(e.as("prof"), g+"/Travaux", files.GranteeGroup, "3A", files.Write); err != nil {
			t.Fatal(err)
		}
		e.put(t, e.as("lou"), g+"/Travaux/lou.txt", "travail")
		// Removals in a space minors reach are journaled.
		if err := e.svc.Remove(e.as("prof"), g+"/Travaux/lou.txt"); err != nil {
			t.Fatal(err)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.remove"})
		if len(js) != 1 {
			t.Fatalf("files.remove entries = %d", len(js))
		}
	})
}

// fakeScanner flags content holding "EICAR".
type fakeScanner struct{}

func (fakeScanner) Scan(_ context.Context, r io.Reader) error {
	b, _ := io.ReadAll(r)
	if bytes.Contains(b, []byte("EICAR")) {
		return &core.Error{Op: "fake", Kind: core.Invalid, Msg: "Local.Test.EICAR", Err: files.ErrInfected}
	}
	return nil
}

// TestFilesAntivirus: an infected upload is refused with the signature,
// journaled, and leaves neither a file nor usage nor a blob.
// CARINE: UTI-ESF-11
func TestFilesAntivirus(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.svc = files.New(files.Deps{Store: e.db, Blobs: e.blobs, People: e.db, Scanner: fakeScanner{}, Clock: e.clock,
			Log: quiet})
		e.person(t, "lou", core.ProfilePupil)
		ctx := e.as("lou")
		e.put(t, ctx, "/home/ok.txt", "propre")
		_, err := e.svc.Put(ctx, "/home/virus.com", strings.NewReader("xxEICARxx"), files.PutOptions{Size: 9})
		if !errors.Is(err, files.ErrInfected) || !strings.Contains(core.MessageOf(err), "Local.Test.EICAR") {
			t.Fatalf("infected upload: %v", err)
		}
		if _, err := e.svc.Stat(ctx, "/home/virus.com"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("infected file visible: %v", err)
		}
		if u := e.used(t, ctx); u != 6 {
			t.Fatalf("used = %d", u)
		}
		if n := e.contents(t); n != 1 {
			t.Fatalf("%d contents stored, want 1", n)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.upload.infected"})
		if len(js) != 1 || js[0].Result != journal.Refused {
			t.Fatalf("infected upload journal: %+v", js)
		}
	})
}

// TestFilesSpaceOfDeletedPerson: the retention job deletes the personal
// space of a person deleted from the directory, with its content.
// CARINE: UTI-ESF-1
func TestFilesSpaceOfDeletedPerson(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		e := newFilesEnv(t, open, files.Config{})
		e.person(t, "lou", core.ProfilePupil)
		e.person(t, "max", core.ProfilePupil)
		e.put(t, e.as("lou"), "/home/a.txt", "lou")
		e.put(t, e.as("max"), "/home/b.txt", "max")
		if err := e.db.ExecForTest(context.Background(), `DELETE FROM people WHERE id = $1`, e.people["lou"].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Maintain(dirtest.Ctx()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.FindSpaceByOwner(context.Background(), files.Personal, e.people["lou"].ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("space of a deleted person: %v", err)
		}
		if n := e.contents(t); n != 1 {
			t.Fatalf("%d contents left, want max's only", n)
		}
		if got, err := e.read(e.as("max"), "/home/b.txt"); err != nil || got != "max" {
			t.Fatalf("another person's file: %q, %v", got, err)
		}
		js, _ := e.db.FindJournal(context.Background(), journal.Filter{Action: "files.space.delete"})
		if len(js) != 1 {
			t.Fatalf("files.space.delete entries = %d", len(js))
		}
	})
}

// TestFilesInlineContent: small contents live in the database and large
// ones in the blob store, and every path that reads or drops content
// handles both: whole and ranged reads, copies sharing a content, versions
// and their restore, the trash and its purge, quota accounting (the same
// either way), and the deletion of a content with its last reference.
// CARINE: UTI-ESF-10
func TestFilesInlineContent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		for _, m := range storageModes {
			t.Run(m.name, func(t *testing.T) {
				e := newFilesEnv(t, open, files.Config{Versions: 3, InlineMax: m.max})
				e.person(t, "lou", core.ProfilePupil)
				ctx := e.as("lou")
				small := strings.Repeat("s", files.InlineMax)   // inline at the limit
				large := strings.Repeat("L", files.InlineMax+1) // one byte beyond: a blob
				e.put(t, ctx, "/home/small.txt", small)
				e.put(t, ctx, "/home/large.bin", large)
				// Unknown length (chunked upload): still inline when small.
				if _, err := e.svc.Put(ctx, "/home/chunked.txt", strings.NewReader("chunk"), files.PutOptions{Size: -1}); err != nil {
					t.Fatal(err)
				}
				e.put(t, ctx, "/home/empty.txt", "")
				keys := map[string]string{}
				_ = e.db.BlobRefs(context.Background(), func(r files.BlobRef) error {
					n, _ := e.db.FindNode(context.Background(), r.NodeID)
					keys[n.Name] = r.Key
					return nil
				})
				for name, wantInline := range map[string]bool{"small.txt": m.max >= 0, "chunked.txt": m.max >= 0,
					"empty.txt": m.max >= 0, "large.bin": false} {
					if files.IsInline(keys[name]) != wantInline {
						t.Errorf("%s stored under %q (inline wanted: %v)", name, keys[name], wantInline)
					}
				}
				for p, want := range map[string]string{"/home/small.txt": small, "/home/large.bin": large,
					"/home/chunked.txt": "chunk", "/home/empty.txt": ""} {
					if got, err := e.read(ctx, p); err != nil || got != want {
						t.Fatalf("read %s: %d bytes, %v", p, len(got), err)
					}
				}
				// A ranged read (http.ServeContent seeks, then reads a part).
				rc, en, err := e.svc.Open(ctx, "/home/small.txt")
				if err != nil {
					t.Fatal(err)
				}
				if end, _ := rc.Seek(0, io.SeekEnd); end != int64(len(small)) || en.Size != end {
					t.Fatalf("size by seek = %d, entry %d", end, en.Size)
				}
				_, _ = rc.Seek(100, io.SeekStart)
				part := make([]byte, 10)
				if _, err := io.ReadFull(rc, part); err != nil || string(part) != "ssssssssss" {
					t.Fatalf("ranged read = %q, %v", part, err)
				}
				rc.Close()
				if u := e.used(t, ctx); u != int64(len(small)+len(large)+5) {
					t.Fatalf("used = %d", u)
				}
				// A copy shares the content; the original's removal and
				// purge leave the copy readable.
				if _, err := e.svc.Copy(ctx, "/home/small.txt", "/home/copy.txt", false, false); err != nil {
					t.Fatal(err)
				}
				before := e.contents(t)
				if err := e.svc.Remove(ctx, "/home/small.txt"); err != nil {
					t.Fatal(err)
				}
				tr, _ := e.svc.Trash(ctx, "/home")
				if len(tr) != 1 {
					t.Fatalf("trash = %+v", tr)
				}
				if err := e.svc.RestoreTrash(ctx, "/home", tr[0].ID); err != nil {
					t.Fatal(err)
				}
				if got, err := e.read(ctx, "/home/small.txt"); err != nil || got != small {
					t.Fatalf("restored from the trash: %d bytes, %v", len(got), err)
				}
				_ = e.svc.Remove(ctx, "/home/small.txt")
				if n, err := e.svc.PurgeTrash(ctx, "/home"); err != nil || n != 1 {
					t.Fatalf("purge = %d, %v", n, err)
				}
				if got, err := e.read(ctx, "/home/copy.txt"); err != nil || got != small {
					t.Fatalf("copy after the original's purge: %d bytes, %v", len(got), err)
				}
				if n := e.contents(t); n != before {
					t.Fatalf("contents after purging a shared one = %d, want %d", n, before)
				}
				// Versions: replacing keeps the former content; restoring
				// brings it back; the copy's purge then frees it for good.
				e.put(t, ctx, "/home/copy.txt", "v2")
				vs, err := e.svc.Versions(ctx, "/home/copy.txt")
				if err != nil || len(vs) != 1 || vs[0].Size != int64(len(small)) {
					t.Fatalf("versions = %+v, %v", vs, err)
				}
				if err := e.svc.RestoreVersion(ctx, "/home/copy.txt", vs[0].ID); err != nil {
					t.Fatal(err)
				}
				if got, _ := e.read(ctx, "/home/copy.txt"); got != small {
					t.Fatalf("restored version: %d bytes", len(got))
				}
				if got, _ := e.read(ctx, "/home/large.bin"); got != large {
					t.Fatal("large file changed")
				}
				total := e.contents(t)
				_ = e.svc.Remove(ctx, "/home/copy.txt")
				if _, err := e.svc.PurgeTrash(ctx, "/home"); err != nil {
					t.Fatal(err)
				}
				if n := e.contents(t); n != total-2 { // the current content and its version ("v2")
					t.Fatalf("contents after purging a file and its version = %d, want %d", n, total-2)
				}
				if u := e.used(t, ctx); u != int64(len(large)+5) {
					t.Fatalf("used at the end = %d", u)
				}
				// An inline content nothing refers to: the scrub sweeps it.
				if err := e.db.ExecForTest(context.Background(), `INSERT INTO file_inline (content_key, data)
					VALUES ($1, $2)`, files.InlinePrefix+core.NewID(), []byte("stray")); err != nil {
					t.Fatal(err)
				}
				n0 := e.contents(t)
				rep, err := e.svc.Scrub(ctx, nil)
				if err != nil || len(rep.Mismatches) != 0 || rep.Checked != 3 || rep.Orphans != 1 {
					t.Fatalf("scrub = %+v, %v", rep, err)
				}
				if n := e.contents(t); n != n0-1 {
					t.Fatalf("contents after the scrub = %d, want %d", n, n0-1)
				}
			})
		}
	})
}

// CARINE: UTI-ESF-4 — uploads that reach SQLite together share one commit
// (group commit), each in its own savepoint: of 20 uploads queued at once
// into a quota that holds 10, exactly 10 are stored and counted, and the
// refused ones leave nothing behind.
func TestFilesGroupCommitKeepsEachUploadApart(t *testing.T) {
	e := newFilesEnv(t, openSQLite, files.Config{Quotas: map[core.Profile]int64{core.ProfilePupil: 1000},
		DefaultQuota: 1 << 20, Versions: -1})
	e.person(t, "lou", core.ProfilePupil)
	ctx := e.as("lou")
	release := e.db.HoldWriterForTest(context.Background())
	ok, over := e.putTwenty(t, ctx, "/home/g", 100, func() {
		time.Sleep(300 * time.Millisecond) // let the uploads queue behind the held writer
		release()
	})
	if ok != 10 || over != 10 {
		t.Fatalf("grouped uploads: %d stored, %d refused; want 10 and 10", ok, over)
	}
	if u := e.used(t, ctx); u != 1000 {
		t.Fatalf("used = %d, want exactly 1000", u)
	}
	if ls, _ := e.svc.List(ctx, "/home"); len(ls) != 10 {
		t.Fatalf("%d files visible, want 10", len(ls))
	}
	// The contents are inline (100 bytes): the refused uploads' rows went
	// with their savepoints.
	if n := e.contents(t); n != 10 {
		t.Fatalf("%d contents stored, want 10", n)
	}
}
