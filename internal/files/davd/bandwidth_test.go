// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/bandwidth"
	"github.com/preau/preau/internal/files/davd"
	"github.com/preau/preau/internal/store"
)

// TestDAVBandwidthLimits: with the establishment's limits on, a WebDAV
// PUT and GET are paced (measured on the injected clock: the rate cannot be
// met by accident, the real transfer being instant) and the bytes arrive
// intact; with the default policy nothing waits.
// CARINE: UTI-ESF-5
func TestDAVBandwidthLimits(t *testing.T) {
	ctx := dirtest.Ctx()
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	est := dirtest.NewEstablishment(999092, directory.College)
	if err := db.CreateEstablishment(ctx, est); err != nil {
		t.Fatal(err)
	}
	fb, err := fsblob.New(fsblob.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var waited time.Duration
	sleep := func(ctx context.Context, d time.Duration) error { clock.Advance(d); waited += d; return nil }
	svc := files.New(files.Deps{Store: db, Blobs: fb, People: db, Settings: db, Clock: clock, Sleep: sleep, Log: quiet})
	p := dirtest.NewPerson("lea", core.ProfileTeacher, est.ID)
	if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p}}); err != nil {
		t.Fatal(err)
	}
	h := davd.New(davd.Deps{Files: svc, Locks: db, Log: quiet,
		Auth: func(ctx context.Context, login, pw, src string) (core.Principal, error) {
			if login != "lea" || pw != password {
				return core.Principal{}, core.E("test", core.Unauthenticated, "wrong login or password")
			}
			return core.Principal{PersonID: p.ID, Login: p.Login, Profile: p.Profile, Establishments: p.Establishments}, nil
		}})
	mux := http.NewServeMux()
	mux.Handle(davd.Prefix+"/", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	do := func(method, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+"/dav/home/cours.txt", strings.NewReader(body))
		req.SetBasicAuth("lea", password)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	content := strings.Repeat("0123456789", 20_000) // 200,000 bytes
	if st, _ := do("PUT", content); st != http.StatusCreated || waited != 0 {
		t.Fatalf("PUT without limits: %d, waited %v", st, waited)
	}
	admin := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	if err := svc.SetBandwidth(admin, est.ID, bandwidth.Policy{Limits: bandwidth.Limits{Down: 40_000, Up: 20_000}}); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	if st, b := do("GET", ""); st != http.StatusOK || b != content {
		t.Fatalf("shaped GET: %d, %d bytes", st, len(b))
	}
	want := time.Duration(float64(200_000-16384) / 40_000 * float64(time.Second))
	if got := clock.Now().Sub(start); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("200 kB GET at 40 kB/s took %v on the clock, want %v", got, want)
	}
	start = clock.Now()
	if st, _ := do("PUT", content); st != http.StatusNoContent && st != http.StatusCreated {
		t.Fatalf("shaped PUT: %d", st)
	}
	want = time.Duration(float64(200_000-16384) / 20_000 * float64(time.Second))
	if got := clock.Now().Sub(start); got < want-time.Millisecond || got > want+time.Millisecond {
		t.Fatalf("200 kB PUT at 20 kB/s took %v on the clock, want %v", got, want)
	}
	if st, b := do("GET", ""); st != http.StatusOK || b != content {
		t.Fatalf("GET after the shaped PUT: %d", st)
	}
}
