// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package complianceweb_test

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/compliance/complianceweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

// live is every source of the report, empty but for two establishments.
type live struct{}

func (live) Policies(context.Context) policy.Policies { return policy.Defaults() }
func (live) AccountCounts(context.Context, string) (compliance.AccountCounts, error) {
	return compliance.AccountCounts{People: 3, MustChange: 1}, nil
}
func (live) FindJournal(context.Context, journal.Filter) ([]*journal.Entry, error) { return nil, nil }
func (live) FindZones(context.Context, string) ([]*directory.Zone, error)          { return nil, nil }
func (live) FindClients(context.Context, sso.Protocol) ([]*sso.Client, error)      { return nil, nil }
func (live) Setting(context.Context, string, string) (string, error) {
	return "", core.E("t", core.NotFound, "")
}
func (live) CurrentCharters(context.Context, []string) ([]*charter.Version, error) { return nil, nil }
func (live) CharterStats(context.Context, charter.Ref) ([]charter.ProfileStat, error) {
	return nil, nil
}
func (live) FindEstablishmentGrants(context.Context, string) ([]*directory.Grant, error) {
	return nil, nil
}
func (live) FindBreakGlasses(context.Context, breakglass.Filter) ([]*breakglass.Request, error) {
	return nil, nil
}
func (live) VerifyJournal(context.Context) (compliance.JournalCheck, error) {
	return compliance.JournalCheck{Chains: 1}, nil
}

var (
	estA = directory.EstablishmentSummary{Establishment: directory.Establishment{ID: "a", UAI: "0999001W", Name: "Collège A", Type: directory.College}}
	estB = directory.EstablishmentSummary{Establishment: directory.Establishment{ID: "b", UAI: "0999002X", Name: "École B", Type: directory.Ecole}}
)

func (live) Establishments(ctx context.Context) ([]*directory.EstablishmentSummary, error) {
	p := core.PrincipalFromContext(ctx)
	var out []*directory.EstablishmentSummary
	for _, e := range []*directory.EstablishmentSummary{&estA, &estB} {
		if p.Operator() || p.AttachedTo(e.ID) {
			out = append(out, e)
		}
	}
	return out, nil
}

func server(t *testing.T, p core.Principal) *httptest.Server {
	t.Helper()
	rd, err := web.NewRenderer(web.RendererConfig{}, complianceweb.Assets())
	if err != nil {
		t.Fatal(err)
	}
	var l live
	h, err := complianceweb.New(l, compliance.Deps{Passwords: l, Accounts: l, Journal: l, Verifier: l, Zones: l,
		Applications: l, Settings: l, Charters: l, Grants: l, BreakGlass: l, Clock: core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))}, rd)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux, func(h http.Handler) http.Handler { return h })
	s := httptest.NewServer(rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), p)))
	})))
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, s *httptest.Server, path string) (*http.Response, string) {
	t.Helper()
	r, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

// TestHeadSeesOwnEstablishment: a head's report covers their establishment
// only, and asking for another is refused as not found.
func TestHeadSeesOwnEstablishment(t *testing.T) {
	s := server(t, core.Principal{PersonID: "h", Login: "m.dupont", Profile: core.ProfileHead, Establishments: []string{"a"}})
	r, page := get(t, s, "/admin/compliance")
	if r.StatusCode != 200 || !strings.Contains(page, "Collège A (0999001W)") || strings.Contains(page, "École B") ||
		!strings.Contains(page, "183 exigences") || strings.Contains(page, `id="f-uai"`) {
		t.Fatalf("head's page: %d\n%s", r.StatusCode, page)
	}
	if r, _ := get(t, s, "/admin/compliance?uai=0999002X"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("another establishment: %d", r.StatusCode)
	}
	r, body := get(t, s, "/admin/compliance.csv?lang=en")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 184 || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		r.Header.Get("Content-Disposition") != `attachment; filename="carine-2026-11-30-en.csv"` {
		t.Fatalf("CSV download: %v %d %v", err, len(rows), r.Header)
	}
	if r, body := get(t, s, "/admin/compliance.html"); !strings.Contains(r.Header.Get("Content-Security-Policy"), "style-src 'unsafe-inline'") ||
		strings.Contains(r.Header.Get("Content-Security-Policy"), "script") || !strings.Contains(body, `<html lang="fr">`) {
		t.Fatalf("HTML download: %v", r.Header)
	}
}

// TestFilters: the service and status filters narrow the table; unknown
// values are ignored; an operator chooses among all establishments.
func TestFilters(t *testing.T) {
	s := server(t, core.SystemPrincipal("op", core.ChannelWeb))
	_, page := get(t, s, "/admin/compliance?service=INF-AUT&status=met&lang=en")
	if !strings.Contains(page, "<code>INF-AUT-7</code>") || strings.Contains(page, "<code>INF-AUT-4</code>") ||
		strings.Contains(page, "<code>INF-ANN-8</code>") || !strings.Contains(page, `<option value="INF-AUT" selected>`) {
		t.Fatal("filtered page lists other requirements")
	}
	_, page = get(t, s, "/admin/compliance?service=NOPE&status=bogus")
	if !strings.Contains(page, "183 exigences") || !strings.Contains(page, `id="f-uai"`) ||
		!strings.Contains(page, "Collège A (0999001W), École B (0999002X)") {
		t.Fatal("unknown filters must be ignored, and an operator sees both establishments")
	}
	_, page = get(t, s, "/admin/compliance?uai=0999002X")
	if !strings.Contains(page, `href="/admin/compliance.pdf?lang=fr&amp;uai=0999002X"`) || strings.Contains(page, "Collège A (0999001W) —") {
		t.Fatal("download links keep the establishment")
	}
}
