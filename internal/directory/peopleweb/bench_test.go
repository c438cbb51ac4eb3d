// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/directory/peopleweb"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

var (
	benchFamilies = strings.Fields(`Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel
		Lefebvre Leroy Roux David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller
		Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin
		Clément Morin Nicolas Henry Roussel Mathieu Gautier Masson`)
	benchGivens = strings.Fields(`Léa Emma Chloé Inès Jade Louise Manon Zoé Camille Lina Lucas Hugo Louis Nathan Gabriel
		Jules Arthur Adam Raphaël Léo Tom Noah Ethan Paul Sacha Maël Nina Alice Eva Rose`)
)

// benchSchool is one lycée of n pupils in classes of 30 plus 300 adults.
type benchSchool struct {
	db      *store.DB
	est     *directory.Establishment
	classes []*directory.Group
	srv     *httptest.Server
}

func seedBenchSchool(b *testing.B, db *store.DB, n int) *benchSchool {
	ctx := dirtest.Ctx()
	s := &benchSchool{db: db, est: dirtest.NewEstablishment(999401, directory.Lycee)}
	if err := db.CreateEstablishment(ctx, s.est); err != nil {
		b.Fatal(err)
	}
	year := core.SchoolYear(time.Now())
	for i := range (n + 29) / 30 {
		s.classes = append(s.classes, &directory.Group{ID: core.NewID(), Establishment: s.est.ID,
			Code: fmt.Sprintf("C%03d", i), Name: fmt.Sprintf("Classe %03d", i), Kind: directory.Class, SchoolYear: year})
	}
	if err := db.CreateGroups(ctx, s.classes); err != nil {
		b.Fatal(err)
	}
	var nps []directory.NewPerson
	var ms []directory.Membership
	for i := range n + 300 {
		prof := core.ProfilePupil
		if i >= n {
			prof = core.ProfileTeacher
		}
		given, family := benchGivens[i%len(benchGivens)], benchFamilies[(i/len(benchGivens))%len(benchFamilies)]
		p := &directory.Person{ID: core.NewID(), Login: fmt.Sprintf("p%05d", i), GivenName: given, FamilyName: family,
			Profile: prof, State: directory.Active, Establishments: []string{s.est.ID}}
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
		nps = append(nps, directory.NewPerson{Person: p})
		if prof == core.ProfilePupil {
			ms = append(ms, directory.Membership{GroupID: s.classes[i/30].ID, PersonID: p.ID, Role: directory.RoleMember})
		}
	}
	if err := db.CreatePeople(ctx, nps); err != nil {
		b.Fatal(err)
	}
	if err := db.AddMembers(ctx, ms); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkConsolePeople measures the server time of the console's people
// list over 10,000 pupils (and 300 teachers) of one establishment, on
// SQLite and, with PREAU_TEST_POSTGRES_DSN, PostgreSQL: the store query of
// the first page, of page 150 (offset 7,450), of a prefix search, of a
// profile + class filtered list, and the whole HTTP handler of the list
// page (directory service, class column, template) through httptest.
// Budget: 100 ms each (issue 5). Reported as ms/op.
func BenchmarkConsolePeople(b *testing.B) {
	type backend struct {
		name string
		open func(b *testing.B) *store.DB
	}
	backends := []backend{{"sqlite", func(b *testing.B) *store.DB {
		db, err := store.Open(context.Background(), store.Config{DataDir: b.TempDir(), Log: quiet})
		if err != nil {
			b.Fatal(err)
		}
		return db
	}}}
	if dsn := os.Getenv("PREAU_TEST_POSTGRES_DSN"); dsn != "" {
		backends = append(backends, backend{"postgres", func(b *testing.B) *store.DB {
			r := make([]byte, 6)
			_, _ = rand.Read(r)
			schema := "b_" + hex.EncodeToString(r)
			db, err := store.Open(context.Background(), store.Config{DSN: dsn, Schema: schema, Log: quiet})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.DropSchemaForTest(context.Background(), schema) })
			return db
		}})
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := be.open(b)
			defer db.Close()
			s := seedBenchSchool(b, db, 10000)
			if be.name == "postgres" {
				// Planner statistics, as autovacuum gathers them within a
				// minute of an import. SQLite runs without (as preau does).
				if err := db.ExecForTest(context.Background(), "ANALYZE"); err != nil {
					b.Fatal(err)
				}
			}
			ctx := dirtest.Ctx()
			est := []string{s.est.ID}
			class := s.classes[len(s.classes)/2]
			for _, w := range []struct {
				name string
				f    directory.PersonFilter
				want int
			}{
				{"first-page", directory.PersonFilter{Establishments: est, Limit: 50}, 10300},
				{"page-150", directory.PersonFilter{Establishments: est, Limit: 50, Offset: 149 * 50}, 10300},
				{"prefix-search", directory.PersonFilter{Establishments: est, Query: "dur", Limit: 50}, -1},
				{"filtered", directory.PersonFilter{Establishments: est, Profile: "pupil", Group: class.ID, Limit: 50}, 30},
			} {
				b.Run(w.name, func(b *testing.B) {
					cpu := cpuTime()
					for range b.N {
						ps, total, err := db.FindPeople(ctx, w.f)
						if err != nil || len(ps) == 0 || (w.want >= 0 && total != w.want) {
							b.Fatalf("%v: %d people, total %d", err, len(ps), total)
						}
					}
					report(b, cpu)
				})
			}
			b.Run("http-list", func(b *testing.B) {
				srv := benchServer(b, db)
				url := srv.URL + "/admin/people?est=" + s.est.ID + "&page=150"
				cpu := cpuTime()
				for range b.N {
					r, err := http.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					body, _ := io.ReadAll(r.Body)
					r.Body.Close()
					if r.StatusCode != 200 || !strings.Contains(string(body), `aria-current="page">150<`) {
						b.Fatalf("%d\n%.2000s", r.StatusCode, body)
					}
				}
				report(b, cpu)
			})
		})
	}
}

// cpuTime is the CPU time (user + system) of the process so far: on a
// shared machine it tells the work done from the waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds the wall time and the CPU time per operation in ms. The CPU
// time covers the whole process: for http-list, the client's reading too.
func report(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64((cpuTime()-cpuStart).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// benchServer serves the pages to an operator.
func benchServer(b *testing.B, db *store.DB) *httptest.Server {
	clock := core.SystemClock{}
	cfg := auth.Config{}
	cfg.Defaults()
	rd, err := web.NewRenderer(web.RendererConfig{Log: quiet}, peopleweb.Assets())
	if err != nil {
		b.Fatal(err)
	}
	authSvc := auth.New(cfg, auth.Deps{Store: db, Clock: clock, Log: quiet})
	h := peopleweb.New(peopleweb.Deps{Directory: directory.New(directory.Deps{Store: db, Clock: clock, Log: quiet}),
		Passwords: authSvc, Factors: authSvc, Reader: db, Renderer: rd, Clock: clock})
	mux := http.NewServeMux()
	h.Routes(mux, func(next http.Handler) http.Handler { return next })
	op := core.Principal{PersonID: core.NewID(), Login: "operator", Channel: core.ChannelWeb,
		Grants: []core.Grant{{Right: core.RightOperator}}}
	srv := httptest.NewServer(rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), op)))
	})))
	b.Cleanup(srv.Close)
	return srv
}
