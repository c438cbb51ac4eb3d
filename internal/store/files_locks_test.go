// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// TestFilesDAVLocks: WebDAV locks kept in the store, so that every node
// sees them (design §5): conflicts between exclusive and shared locks and
// between a folder's infinite-depth lock and its contents, refresh and
// unlock by their owner only, expiry, and concurrent creations of which
// exactly one wins.
// CARINE: UTI-ESF-1
func TestFilesDAVLocks(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := context.Background()
		now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
		mk := func(key, owner string, zero, shared bool, d time.Duration) (*files.DAVLock, error) {
			l := &files.DAVLock{Token: "opaquelocktoken:" + core.NewID(), Key: key, Root: "/home/x", Owner: owner,
				ZeroDepth: zero, Shared: shared, OwnerXML: "<D:href>lou</D:href>", Duration: d, Expires: now.Add(d)}
			return l, db.CreateLock(ctx, l, now)
		}
		locked := func(err error) bool {
			return errors.Is(err, files.ErrLocked) && core.IsKind(err, core.Conflict)
		}
		folder, err := mk("space:S1/Cours", "lou", false, false, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mk("space:S1/Cours/ch1.odt", "max", true, false, time.Hour); !locked(err) {
			t.Fatalf("a file inside an infinite-depth locked folder: %v", err)
		}
		if _, err := mk("space:S1", "max", false, false, time.Hour); !locked(err) {
			t.Fatalf("the space root above a locked folder: %v", err)
		}
		if _, err := mk("space:S1/Cours2", "max", false, false, time.Hour); err != nil {
			t.Fatalf("a sibling whose name starts like the locked folder: %v", err)
		}
		if _, err := mk("space:S2/Cours", "max", false, false, time.Hour); err != nil {
			t.Fatalf("the same path in another space: %v", err)
		}
		s1, err := mk("space:S1/doc.odt", "lou", true, true, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mk("space:S1/doc.odt", "max", true, true, time.Minute); err != nil {
			t.Fatalf("a second shared lock: %v", err)
		}
		if _, err := mk("space:S1/doc.odt", "max", true, false, time.Minute); !locked(err) {
			t.Fatalf("an exclusive lock over shared ones: %v", err)
		}
		ls, err := db.FindLocks(ctx, "space:S1", now)
		if err != nil || len(ls) != 4 {
			t.Fatalf("locks of S1: %d %v", len(ls), err)
		}
		for _, l := range ls {
			if l.Token == folder.Token && (l.Key != "space:S1/Cours" || l.ZeroDepth || l.Shared || l.Owner != "lou" ||
				l.OwnerXML != "<D:href>lou</D:href>" || l.Duration != time.Hour || !l.Expires.Equal(now.Add(time.Hour))) {
				t.Fatalf("stored lock = %+v", l)
			}
		}
		// Refresh and unlock: by the owner only.
		if _, err := db.RefreshLock(ctx, folder.Token, "max", time.Hour, now.Add(2*time.Hour), now); !core.IsKind(err, core.Permission) {
			t.Fatalf("refresh by another person: %v", err)
		}
		if err := db.DeleteLock(ctx, folder.Token, "max", now); !core.IsKind(err, core.Permission) {
			t.Fatalf("unlock by another person: %v", err)
		}
		l, err := db.RefreshLock(ctx, folder.Token, "lou", 2*time.Hour, now.Add(2*time.Hour), now)
		if err != nil || l.Duration != 2*time.Hour || l.Key != "space:S1/Cours" {
			t.Fatalf("refresh: %+v %v", l, err)
		}
		// Expiry: an hour later the shared locks (a minute) and Cours2's (an hour) are gone, the
		// refreshed folder lock (two hours) is not.
		later := now.Add(time.Hour + time.Second)
		if ls, _ := db.FindLocks(ctx, "space:S1", later); len(ls) != 1 || ls[0].Token != folder.Token {
			t.Fatalf("live locks an hour later: %d, want only the folder's", len(ls))
		}
		if err := db.DeleteLock(ctx, s1.Token, "lou", later); !core.IsKind(err, core.NotFound) {
			t.Fatalf("unlock of an expired lock: %v", err)
		}
		if _, err := mk("space:S1/Cours/ch1.odt", "max", true, false, time.Hour); !locked(err) {
			t.Fatalf("the refreshed folder lock still holds: %v", err)
		}
		if err := db.DeleteLock(ctx, folder.Token, "lou", now); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteLock(ctx, folder.Token, "lou", now); !core.IsKind(err, core.NotFound) {
			t.Fatalf("second unlock: %v", err)
		}
		if _, err := mk("space:S1/Cours/ch1.odt", "max", true, false, time.Hour); err != nil {
			t.Fatalf("after unlock: %v", err)
		}
		// Two nodes (here 8 goroutines over one store) race for one file:
		// exactly one wins.
		var wins, refused atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := mk("space:S3/race.odt", "lou", true, false, time.Hour)
				switch {
				case err == nil:
					wins.Add(1)
				case locked(err):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || refused.Load() != 7 {
			t.Fatalf("racing locks: %d won, %d refused", wins.Load(), refused.Load())
		}
		// Deleting a folder destroys the locks rooted at it and below, not
		// those of a sibling whose name starts alike.
		for _, k := range []string{"space:S4/A", "space:S4/A/b.odt", "space:S4/AB"} {
			if _, err := mk(k, "lou", true, false, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.DeleteLocksUnder(ctx, "space:S4/A"); err != nil {
			t.Fatal(err)
		}
		if ls, _ := db.FindLocks(ctx, "space:S4", now); len(ls) != 1 || ls[0].Key != "space:S4/AB" {
			t.Fatalf("locks left after deleting space:S4/A: %+v", ls)
		}
	})
}

// TestCredentialStamp: the stamp WebDAV keeps with a cached credential
// changes with the password hash, the account state and the must-change
// flag, and not with unrelated attributes.
// CARINE: INF-AUT-10
func TestCredentialStamp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		est := dirtest.NewEstablishment(999082, directory.College)
		if err := db.CreateEstablishment(ctx, est); err != nil {
			t.Fatal(err)
		}
		p := dirtest.NewPerson("lou", core.ProfilePupil, est.ID)
		if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p, PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$AAAA$BBBB"}}); err != nil {
			t.Fatal(err)
		}
		stamp := func() string {
			t.Helper()
			s, err := db.CredentialStamp(context.Background(), " LOU ")
			if err != nil || len(s) != 32 {
				t.Fatalf("stamp: %q %v", s, err)
			}
			return s
		}
		s0 := stamp()
		name := "Lou Martin"
		if _, err := db.UpdatePerson(ctx, p.ID, directory.PersonUpdate{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		if stamp() != s0 {
			t.Fatal("a display name change altered the stamp")
		}
		e := journal.Entry{Chain: est.ID, Action: "auth.password.change", TargetType: "person", TargetID: p.ID}
		if err := db.SetPasswordHash(ctx, p.ID, "$argon2id$v=19$m=64,t=1,p=1$CCCC$DDDD", false, e); err != nil {
			t.Fatal(err)
		}
		s1 := stamp()
		if s1 == s0 {
			t.Fatal("a password change left the stamp")
		}
		must := true
		if _, err := db.UpdatePerson(ctx, p.ID, directory.PersonUpdate{MustChangePassword: &must}); err != nil {
			t.Fatal(err)
		}
		s2 := stamp()
		if s2 == s1 {
			t.Fatal("a forced change left the stamp")
		}
		disabled := directory.Disabled
		if _, err := db.UpdatePerson(ctx, p.ID, directory.PersonUpdate{State: &disabled}); err != nil {
			t.Fatal(err)
		}
		if s3 := stamp(); s3 == s2 || s3 == s1 {
			t.Fatal("disabling the account left the stamp")
		}
		if _, err := db.CredentialStamp(context.Background(), "personne"); !core.IsKind(err, core.NotFound) {
			t.Fatalf("unknown login: %v", err)
		}
	})
}
