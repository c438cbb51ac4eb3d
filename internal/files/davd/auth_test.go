// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/davd"
)

// realAuthNode serves WebDAV with the real authentication service and the
// store's credential stamps, as internal/app wires it.
func realAuthNode(t *testing.T, e *env, charters func(ctx context.Context) ([]string, error)) (string, *auth.Service, *atomic.Int64) {
	t.Helper()
	cfg := auth.Config{Argon2: auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}}
	cfg.Defaults()
	a := auth.New(cfg, auth.Deps{Store: e.db, Clock: core.SystemClock{}, Log: quiet})
	var verified atomic.Int64
	h := davd.New(davd.Deps{Files: e.svc, Locks: e.db, Log: quiet, Stamp: e.db.CredentialStamp, Charters: charters,
		Auth: func(ctx context.Context, login, pw, src string) (core.Principal, error) {
			verified.Add(1)
			p, _, err := a.Authenticate(ctx, auth.Attempt{Login: login, Password: pw, Channel: core.ChannelDAV, Source: src})
			return p, err
		}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, a, &verified
}

func propfindAs(t *testing.T, base, login, pw string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PROPFIND", base+"/dav/home/", nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth(login, pw)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestDAVPasswordChangeEndsCachedCredential: the verified-credential cache
// does not outlive a password change, a reset or a disabled account: the
// old password gets 401 on the very next request (the cache entry carries
// the store's credential stamp, read on each request), while an unchanged
// credential is still served from the cache without argon2id.
// CARINE: INF-AUT-10, UTI-ESF-1
func TestDAVPasswordChangeEndsCachedCredential(t *testing.T) {
	e := newEnv(t, files.Config{})
	base, a, verified := realAuthNode(t, e, nil)
	p := dirtest.NewPerson("lou", core.ProfilePupil, e.est.ID)
	if err := e.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: p, PasswordHash: a.Hash("Ancien-Secret-2026!")}}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if st, _ := propfindAs(t, base, "lou", "Ancien-Secret-2026!"); st != http.StatusMultiStatus {
			t.Fatalf("PROPFIND with the password: %d", st)
		}
	}
	if n := verified.Load(); n != 1 {
		t.Fatalf("%d verifications for 3 requests, want 1 (cache)", n)
	}
	pctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: "lou",
		Profile: core.ProfilePupil, Establishments: p.Establishments, Channel: core.ChannelWeb})
	if err := a.ChangePassword(pctx, "Ancien-Secret-2026!", "Nouveau-Secret-2026!"); err != nil {
		t.Fatal(err)
	}
	if st, _ := propfindAs(t, base, "lou", "Ancien-Secret-2026!"); st != http.StatusUnauthorized {
		t.Fatalf("old password right after the change: %d, want 401", st)
	}
	if st, _ := propfindAs(t, base, "lou", "Nouveau-Secret-2026!"); st != http.StatusMultiStatus {
		t.Fatalf("new password: %d", st)
	}
	if st, _ := propfindAs(t, base, "lou", "Nouveau-Secret-2026!"); st != http.StatusMultiStatus {
		t.Fatalf("new password again: %d", st)
	}
	n := verified.Load()
	// An administrator resets it (must change at next login): the cached
	// credential stops at once.
	admin := core.SystemPrincipal("system:test", core.ChannelCLI)
	if err := a.ResetPassword(core.ContextWithPrincipal(context.Background(), admin), "lou", "Remis-A-Zero-2026!"); err != nil {
		t.Fatal(err)
	}
	if st, _ := propfindAs(t, base, "lou", "Nouveau-Secret-2026!"); st != http.StatusUnauthorized {
		t.Fatalf("password after a reset: %d, want 401", st)
	}
	if verified.Load() != n+1 {
		t.Fatalf("the reset did not make the cached credential be checked again")
	}
	if st, b := propfindAs(t, base, "lou", "Remis-A-Zero-2026!"); st != http.StatusForbidden || !strings.Contains(b, "must be changed") {
		t.Fatalf("reset password before changing it on the portal: %d %q", st, b)
	}
	// A disabled account: refused at once, whatever the cache holds.
	if err := a.ChangePassword(pctx, "Remis-A-Zero-2026!", "Encore-Autre-2026!"); err != nil {
		t.Fatal(err)
	}
	if st, _ := propfindAs(t, base, "lou", "Encore-Autre-2026!"); st != http.StatusMultiStatus {
		t.Fatalf("after the change: %d", st)
	}
	disabled := directory.Disabled
	if _, err := e.db.UpdatePerson(dirtest.Ctx(), p.ID, directory.PersonUpdate{State: &disabled}); err != nil {
		t.Fatal(err)
	}
	if st, _ := propfindAs(t, base, "lou", "Encore-Autre-2026!"); st != http.StatusForbidden {
		t.Fatalf("disabled account with a cached credential: %d, want 403", st)
	}
}

// TestDAVRefusesUnacceptedCharter: a person who has not accepted the
// charters their profile must accept gets 403 over WebDAV, with a body
// naming the charter and the portal page to accept it, not their files;
// once accepted, the files are served and the check is not repeated on
// every request.
// CARINE: INF-AUT-5, UTI-ESF-1
func TestDAVRefusesUnacceptedCharter(t *testing.T) {
	e := newEnv(t, files.Config{})
	var mu sync.Mutex
	pending := []string{"Charte d'usage du numérique"}
	var checks atomic.Int64
	charters := func(ctx context.Context) ([]string, error) {
		checks.Add(1)
		if core.PrincipalFromContext(ctx).Login != "lou" {
			t.Errorf("charters checked for %q", core.PrincipalFromContext(ctx).Login)
		}
		mu.Lock()
		defer mu.Unlock()
		return pending, nil
	}
	base, a, _ := realAuthNode(t, e, charters)
	p := dirtest.NewPerson("lou", core.ProfilePupil, e.est.ID)
	if err := e.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: p, PasswordHash: a.Hash(password)}}); err != nil {
		t.Fatal(err)
	}
	pctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: "lou",
		Profile: core.ProfilePupil, Establishments: p.Establishments})
	if _, err := e.svc.Put(pctx, "/home/secret.txt", strings.NewReader("mes notes"), files.PutOptions{Size: 9}); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(base, "http://")
	for _, m := range []string{"PROPFIND", "GET"} {
		req, _ := http.NewRequest(m, base+"/dav/home/secret.txt", nil)
		req.SetBasicAuth("lou", password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || strings.Contains(string(b), "mes notes") ||
			!strings.Contains(string(b), "Charte d'usage du numérique") ||
			!strings.Contains(string(b), "https://"+host+"/charter/accept") || !strings.Contains(string(b), "charte non acceptée") {
			t.Fatalf("%s before accepting the charter: %d %q", m, res.StatusCode, b)
		}
	}
	mu.Lock()
	pending = nil
	mu.Unlock()
	if st, b := e.statusAt2(base, "GET", "/dav/home/secret.txt"); st != http.StatusOK || b != "mes notes" {
		t.Fatalf("GET once accepted: %d %q", st, b)
	}
	n := checks.Load()
	for range 3 {
		if st, _ := e.statusAt2(base, "GET", "/dav/home/secret.txt"); st != http.StatusOK {
			t.Fatalf("GET: %d", st)
		}
	}
	if checks.Load() != n {
		t.Fatalf("charters checked again on cached requests: %d then %d", n, checks.Load())
	}
}

func (e *env) statusAt2(base, method, path string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, base+path, nil)
	req.SetBasicAuth("lou", password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
