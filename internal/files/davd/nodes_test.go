// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/davd"
)

// secondNode starts another WebDAV node over the same store and blobs (two
// académie nodes behind a load balancer) and returns its base URL.
func (e *env) secondNode() string {
	e.t.Helper()
	svc := files.New(files.Deps{Store: e.db, Blobs: e.blobs, People: e.db, Log: quiet})
	h := davd.New(davd.Deps{Files: svc, Locks: e.db, Log: quiet,
		Auth: func(ctx context.Context, login, pw, src string) (core.Principal, error) {
			p, ok := e.people[login]
			if !ok || pw != password {
				return core.Principal{}, core.E("test", core.Unauthenticated, "wrong login or password")
			}
			return core.Principal{PersonID: p.ID, Login: p.Login, Profile: p.Profile,
				Establishments: p.Establishments}, nil
		}})
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return srv.URL
}

func (e *env) statusAt(base, login, method, path, body string, hdr ...string) int {
	e.t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(login, password)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if method == "LOCK" && res.StatusCode == http.StatusOK {
		e.lastToken = res.Header.Get("Lock-Token")
	}
	return res.StatusCode
}

// TestDAVLocksSharedByNodes: a lock granted by one node holds on another
// (design §5, stateless nodes): a PUT through node B on a file locked
// through node A answers 423 Locked, a second exclusive LOCK through B is
// refused, the holder's UNLOCK through B frees the file for everyone.
// CARINE: UTI-ESF-1
func TestDAVLocksSharedByNodes(t *testing.T) {
	e := newEnv(t, files.Config{})
	e.person("lou", core.ProfilePupil)
	a, b := e.srv.URL, e.secondNode()
	lockBody := `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope>` +
		`<D:locktype><D:write/></D:locktype><D:owner>LibreOffice</D:owner></D:lockinfo>`
	if st := e.statusAt(a, "lou", "PUT", "/dav/home/rapport.odt", "v1"); st != http.StatusCreated {
		t.Fatalf("PUT on A: %d", st)
	}
	if st := e.statusAt(a, "lou", "LOCK", "/dav/home/rapport.odt", lockBody, "Timeout", "Second-600"); st != http.StatusOK {
		t.Fatalf("LOCK on A: %d", st)
	}
	tok := e.lastToken
	if tok == "" {
		t.Fatal("LOCK on A gave no Lock-Token")
	}
	if st := e.statusAt(b, "lou", "PUT", "/dav/home/rapport.odt", "écrasé sans le verrou"); st != http.StatusLocked {
		t.Fatalf("PUT on B without the token while A holds the lock: %d, want 423", st)
	}
	if st := e.statusAt(b, "lou", "DELETE", "/dav/home/rapport.odt", ""); st != http.StatusLocked {
		t.Fatalf("DELETE on B without the token: %d, want 423", st)
	}
	if st := e.statusAt(b, "lou", "LOCK", "/dav/home/rapport.odt", lockBody, "Timeout", "Second-600"); st != http.StatusLocked {
		t.Fatalf("second exclusive LOCK on B: %d, want 423", st)
	}
	if st := e.statusAt(b, "lou", "PUT", "/dav/home/rapport.odt", "v2", "If", "("+tok+")"); st != http.StatusNoContent && st != http.StatusCreated {
		t.Fatalf("PUT on B with A's token: %d", st)
	}
	if st := e.statusAt(b, "lou", "LOCK", "/dav/home/rapport.odt", "", "If", "("+tok+")", "Timeout", "Second-900"); st != http.StatusOK {
		t.Fatalf("refresh on B of A's lock: %d", st)
	}
	if st := e.statusAt(b, "lou", "UNLOCK", "/dav/home/rapport.odt", "", "Lock-Token", tok); st != http.StatusNoContent {
		t.Fatalf("UNLOCK on B: %d", st)
	}
	if st := e.statusAt(a, "lou", "PUT", "/dav/home/rapport.odt", "v3"); st != http.StatusNoContent && st != http.StatusCreated {
		t.Fatalf("PUT on A once B unlocked: %d", st)
	}
	if st := e.statusAt(a, "lou", "UNLOCK", "/dav/home/rapport.odt", "", "Lock-Token", tok); st != http.StatusConflict &&
		st != http.StatusPreconditionFailed && st != http.StatusNotFound {
		t.Fatalf("UNLOCK of a released lock: %d", st)
	}
	// Deleting a locked file (with its token) destroys its lock (RFC 4918
	// §9.6.1): a new file at the same path is not locked by the old lock.
	if st := e.statusAt(a, "lou", "LOCK", "/dav/home/rapport.odt", lockBody, "Timeout", "Second-600"); st != http.StatusOK {
		t.Fatalf("LOCK again on A: %d", st)
	}
	tok = e.lastToken
	if st := e.statusAt(b, "lou", "DELETE", "/dav/home/rapport.odt", "", "If", "("+tok+")"); st != http.StatusNoContent {
		t.Fatalf("DELETE on B with the token: %d", st)
	}
	if st := e.statusAt(a, "lou", "PUT", "/dav/home/rapport.odt", "nouveau"); st != http.StatusCreated {
		t.Fatalf("PUT of a new file where a locked one was deleted: %d, want 201", st)
	}
	lou := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: e.people["lou"].ID, Login: "lou",
		Profile: core.ProfilePupil, Establishments: e.people["lou"].Establishments})
	key := e.svc.LockKey(lou, "/home/rapport.odt")
	if !strings.HasPrefix(key, "space:") {
		t.Fatalf("lock key of a home file = %q", key)
	}
	if ls, err := e.db.FindLocks(context.Background(), files.LockSpace(key), time.Now()); err != nil || len(ls) != 0 {
		t.Fatalf("locks left: %+v %v", ls, err)
	}
}
