// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/auth/oidc"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/store"
)

// benchSchool makes an establishment with n pupils p0000… sharing one
// password hash (verification costs the same whatever the salt).
func benchSchool(b *testing.B, db *store.DB, a *auth.Service, n int) {
	ctx := dirtest.Ctx()
	e := dirtest.NewEstablishment(999098, directory.College)
	if err := db.CreateEstablishment(ctx, e); err != nil {
		b.Fatal(err)
	}
	hash := a.Hash("Bonjour-Cartable-2026")
	var nps []directory.NewPerson
	for i := range n {
		nps = append(nps, directory.NewPerson{Person: dirtest.NewPerson(fmt.Sprintf("p%04d", i), core.ProfilePupil, e.ID),
			PasswordHash: hash})
	}
	if err := db.CreatePeople(ctx, nps); err != nil {
		b.Fatal(err)
	}
}

// parallel runs fn(i) for i in [0, n) on workers goroutines and returns
// the elapsed time.
func parallel(n, workers int, fn func(i int)) time.Duration {
	start := time.Now()
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return time.Since(start)
}

// BenchmarkMorningBurst measures 1,000 pupils logging in with passwords at
// 8:00, a class of 30 behind each address, against the raw argon2id rate
// of the same machine in the same run (issue 4 goal: ≥ 90 %).
func BenchmarkMorningBurst(b *testing.B) {
	const pupils = 1000
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			a := newAuth(db, core.SystemClock{})
			benchSchool(b, db, a, pupils)
			hash := a.Hash("Bonjour-Cartable-2026")
			// The raw rate on every core with one Go processor per core (the
			// best the machine does); logins with the Go processors the run
			// gives (-cpu; preau serve runs Go's default, one per core, unless
			// GOMAXPROCS is set).
			cores, procs := core.CPUs(), runtime.GOMAXPROCS(0)
			b.ResetTimer()
			// Rounds of 100 alternate raw hashing and logins, so that a
			// change of machine speed during the run (another process, CPU
			// frequency) weighs on both sides alike.
			const round = 100
			var raw, login time.Duration
			for range b.N {
				for start := 0; start < pupils; start += round {
					runtime.GOMAXPROCS(cores)
					raw += parallel(round, cores, func(int) {
						if ok, _, _ := auth.VerifyPassword(hash, "Bonjour-Cartable-2026", a.Params()); !ok {
							b.Error("raw verify failed")
						}
					})
					runtime.GOMAXPROCS(procs)
					login += parallel(round, 64, func(i int) {
						i += start
						_, _, err := a.Login(context.Background(), auth.Attempt{Login: fmt.Sprintf("p%04d", i),
							Password: "Bonjour-Cartable-2026", Channel: core.ChannelWeb, Source: fmt.Sprintf("10.0.%d.1", i/30)})
						if err != nil {
							b.Error(err)
						}
					})
				}
			}
			rawRate := float64(b.N*pupils) / raw.Seconds()
			loginRate := float64(b.N*pupils) / login.Seconds()
			b.ReportMetric(rawRate, "hashes/s")
			b.ReportMetric(loginRate, "logins/s")
			b.ReportMetric(loginRate/rawRate, "ratio")
		})
	}
}

// benchSession logs a pupil in and returns the auth service and cookie.
func benchSession(b *testing.B, db *store.DB) (*auth.Service, string) {
	a := newAuth(db, core.SystemClock{})
	benchSchool(b, db, a, 1)
	cookie, _, err := a.Login(context.Background(), auth.Attempt{Login: "p0000", Password: "Bonjour-Cartable-2026",
		Channel: core.ChannelWeb, Source: "10.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	return a, cookie
}

// BenchmarkSessionHit measures requests carrying a session cookie through
// the authentication middleware to a small page (the principal resolved
// from the store on every hit, as every page does).
func BenchmarkSessionHit(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			a, cookie := benchSession(b, db)
			h := authweb.New(a, nil, slog.New(slog.DiscardHandler)).Middleware(http.HandlerFunc(
				func(w http.ResponseWriter, r *http.Request) {
					fmt.Fprintf(w, "<p>%s</p>", core.PrincipalFromContext(r.Context()).Login)
				}))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", "https://preau.test/whoami", nil)
					r.AddCookie(&http.Cookie{Name: authweb.CookieName, Value: cookie})
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Body.String() != "<p>p0000</p>" {
						b.Fatalf("hit: %d %s", w.Code, w.Body)
					}
				}
			})
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "hits/s")
			b.ReportMetric(rate/float64(runtime.GOMAXPROCS(0)), "hits/s/core")
		})
	}
}

// BenchmarkOIDCRefresh measures refresh-token grants at the token
// endpoint: rotation stored, person checked, ID and access tokens signed
// (ES256).
func BenchmarkOIDCRefresh(b *testing.B) {
	for _, be := range backends(b) {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			a, cookie := benchSession(b, db)
			ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:bench", core.ChannelCLI))
			id, secret, err := sso.Register(ctx, db, core.SystemClock{}, sso.NewClient{Protocol: sso.OIDC,
				Name: "bench", URIs: []string{"https://app.test/cb"}})
			if err != nil {
				b.Fatal(err)
			}
			mux := http.NewServeMux()
			oidc.New(oidc.Deps{Auth: a, Store: db, Clock: core.SystemClock{}, Log: slog.New(slog.DiscardHandler),
				Issuer: "https://preau.test"}).Routes(mux)
			h := authweb.New(a, nil, slog.New(slog.DiscardHandler)).Middleware(mux)
			token := func(form url.Values) map[string]any {
				r := httptest.NewRequest("POST", "https://preau.test/oidc/token", strings.NewReader(form.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.SetBasicAuth(id, secret)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				var out map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != 200 {
					b.Fatalf("token: %d %s", w.Code, w.Body)
				}
				return out
			}
			firstRefresh := func() string {
				r := httptest.NewRequest("GET", "https://preau.test/oidc/authorize?"+url.Values{"client_id": {id},
					"redirect_uri": {"https://app.test/cb"}, "response_type": {"code"}, "scope": {"openid profile"}}.Encode(), nil)
				r.AddCookie(&http.Cookie{Name: authweb.CookieName, Value: cookie})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				loc, err := url.Parse(w.Header().Get("Location"))
				if err != nil || loc.Query().Get("code") == "" {
					b.Fatalf("authorize: %d %s", w.Code, w.Header().Get("Location"))
				}
				out := token(url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
					"redirect_uri": {"https://app.test/cb"}})
				return out["refresh_token"].(string)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rt := firstRefresh()
				for pb.Next() {
					rt = token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})["refresh_token"].(string)
				}
			})
			rate := float64(b.N) / b.Elapsed().Seconds()
			b.ReportMetric(rate, "refreshes/s")
			b.ReportMetric(rate/float64(runtime.GOMAXPROCS(0)), "refreshes/s/core")
		})
	}
}
