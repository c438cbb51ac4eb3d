// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitorweb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/monitor/monitorweb"
	"github.com/preau/preau/internal/web"
)

// fleet is an académie of n establishments with 10 checks each, 30 days
// of history, incidents and requests: what the dashboard reads.
type fleet struct {
	monitor.Store // only the methods below are called
	ests          []*directory.EstablishmentSummary
	targets       []*monitor.Target
	samples       []monitor.Sample
	incidents     []*monitor.Incident
	requests      []monitor.RequestCount
}

func newFleet(n int, now time.Time) *fleet {
	f := &fleet{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("est-%04d", i)
		f.ests = append(f.ests, &directory.EstablishmentSummary{Establishment: directory.Establishment{ID: id,
			UAI: fmt.Sprintf("%07dA", 9900000+i), Name: fmt.Sprintf("Collège n°%d", i)}, People: 600})
		for j := 0; j < 10; j++ {
			t := &monitor.Target{ID: fmt.Sprintf("%s-t%d", id, j), Establishment: id, Service: []string{"internet", "ent", "wifi", "impression"}[j%4],
				Kind: monitor.KindTCP, State: monitor.Up, WindowChecks: 43200, WindowFailures: int64(i % 7)}
			f.targets = append(f.targets, t)
			f.samples = append(f.samples, monitor.Sample{TargetID: t.ID, Checks: 43200, Failures: int64(i % 7)})
		}
		f.incidents = append(f.incidents, &monitor.Incident{ID: id + "-i", Establishment: id, State: monitor.Resolved,
			OpenedAt: now.Add(-5 * time.Hour), ResolvedAt: now.Add(-4 * time.Hour), RestoreTarget: 4 * time.Hour})
		for _, c := range monitor.Categories {
			f.requests = append(f.requests, monitor.RequestCount{Establishment: id, Category: c, State: monitor.ReqResolved, N: 3, ResolvedN: 3, DelaySum: 9 * time.Hour})
		}
	}
	return f
}

func (f *fleet) Establishments(context.Context) ([]*directory.EstablishmentSummary, error) {
	return f.ests, nil
}
func (f *fleet) FindTargets(context.Context, []string) ([]*monitor.Target, error) {
	return f.targets, nil
}
func (f *fleet) SumSamples(context.Context, []string, time.Time) ([]monitor.Sample, error) {
	return f.samples, nil
}
func (f *fleet) FindIncidents(_ context.Context, fl monitor.IncidentFilter) ([]*monitor.Incident, error) {
	if len(fl.States) > 0 {
		return nil, nil
	}
	return f.incidents, nil
}
func (f *fleet) RequestStats(context.Context, []string, time.Time) ([]monitor.RequestCount, error) {
	return f.requests, nil
}

func newHandler(t testing.TB, f *fleet, clock core.Clock, opts ...func(*monitorweb.Deps)) http.Handler {
	rd, err := web.NewRenderer(web.RendererConfig{Log: slog.New(slog.DiscardHandler)}, monitorweb.Assets(), adminAssets())
	if err != nil {
		t.Fatal(err)
	}
	svc := monitor.NewService(monitor.Deps{Store: f, Clock: clock})
	deps := monitorweb.Deps{Service: svc, Directory: f, Settings: nil, Renderer: rd, Clock: clock}
	for _, o := range opts {
		o(&deps)
	}
	h, err := monitorweb.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pass := func(h http.Handler) http.Handler { return h }
	h.Routes(mux, pass, pass)
	op := core.Principal{PersonID: core.NewID(), Login: "operateur", Grants: []core.Grant{{Right: core.RightOperator}}, Channel: core.ChannelWeb}
	return rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), op)))
	}))
}

// TestFleetDashboard: an académie operator sees the figures of every
// establishment, totalled and one line each, and exports them as CSV.
// CARINE: MCO-SEI-5, MCO-SEI-6
func TestFleetDashboard(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := newFleet(3, now)
	f.ests[1].Name = "=HYPERLINK(\"x\")"
	h := newHandler(t, f, core.NewFakeClock(now))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard", nil))
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Par établissement") || !strings.Contains(body, "9900002A") ||
		!strings.Contains(body, "<svg") {
		t.Fatalf("dashboard: %d\n%s", w.Code, body)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard.csv", nil))
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[2], `9900001A,"'=HYPERLINK(""x"")",30,`) {
		t.Fatalf("CSV:\n%s", w.Body.String())
	}
	if !strings.Contains(lines[1], ",1,0,60,0,15,0,3.0,600,,") {
		t.Fatalf("CSV line: %s", lines[1])
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard.json", nil))
	var js struct {
		Establishments []struct {
			UAI      string         `json:"uai"`
			Requests int            `json:"requests"`
			ByCat    map[string]int `json:"requests_by_category"`
		} `json:"establishments"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &js); err != nil || len(js.Establishments) != 3 ||
		js.Establishments[0].Requests != 15 || js.Establishments[0].ByCat["account"] != 3 {
		t.Fatalf("JSON: %v\n%s", err, w.Body.String())
	}
}

// BenchmarkDashboard500 renders the operator's dashboard of an académie of
// 500 establishments (5,000 checks, their 30-day sums, incidents, requests)
// from the store's grouped reads to the HTML (budget: 200 ms).
func BenchmarkDashboard500(b *testing.B) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h := newHandler(b, newFleet(500, now), core.NewFakeClock(now))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// TestMetricsToken: the endpoint answers only to its bearer token, and its
// series carry no person.
// CARINE: MCO-SEI-8, MCO-SEI-9
func TestMetricsToken(t *testing.T) {
	m := monitorweb.NewMetrics(nil, nil, monitorweb.Gauges{
		RequestsOpen: func(context.Context) (map[string]int, error) { return map[string]int{"0999001W": 2}, nil },
	}, "test", "jeton-secret")
	for _, auth := range []string{"", "Bearer faux", "Basic jeton-secret", "Bearer jeton-secret-2"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.Header.Set("Authorization", auth)
		m.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("%q: %d", auth, w.Code)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Authorization", "Bearer jeton-secret")
	m.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `preau_requests_open{establishment="0999001W"} 2`) ||
		!strings.Contains(w.Body.String(), `preau_build_info{version="test"} 1`) {
		t.Fatalf("%d\n%s", w.Code, w.Body.String())
	}
}

// adminFleet is a fleet whose admin declares targets and files requests.
type adminFleet struct {
	*fleet
	created  []*monitor.Target
	requests []*monitor.Request
}

func (f *adminFleet) CreateTarget(_ context.Context, t *monitor.Target) error {
	f.created = append(f.created, t)
	return nil
}

func (f *adminFleet) CreateRequest(_ context.Context, r *monitor.Request) error {
	f.requests = append(f.requests, r)
	return nil
}

func (f *adminFleet) FindRequests(context.Context, monitor.RequestFilter) ([]*monitor.Request, error) {
	return f.requests, nil
}

// TestFormsRefuseBadInput: a target with a wrong address for its kind, or
// a request without category or subject, is refused with messages naming
// the fields, in French, and nothing is stored.
func TestFormsRefuseBadInput(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := &adminFleet{fleet: newFleet(1, now)}
	rd, err := web.NewRenderer(web.RendererConfig{Log: slog.New(slog.DiscardHandler)}, monitorweb.Assets(), adminAssets())
	if err != nil {
		t.Fatal(err)
	}
	svc := monitor.NewService(monitor.Deps{Store: f, Clock: core.NewFakeClock(now)})
	h, err := monitorweb.New(monitorweb.Deps{Service: svc, Directory: f, Renderer: rd, Clock: core.NewFakeClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	pass := func(h http.Handler) http.Handler { return h }
	h.Routes(mux, pass, pass)
	est := f.ests[0].ID
	admin := core.Principal{PersonID: core.NewID(), Login: "tech", Profile: core.ProfileAdmin, Establishments: []string{est}}
	srv := rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), admin)))
	}))
	post := func(path, body string) (int, string) {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	code, body := post("/admin/monitor/targets", "establishment="+est+"&name=ENT&kind=tcp&address=ent.example.fr&interval=60&timeout=5&retries=1&restore=4")
	if code != 400 || !strings.Contains(body, "Adresse invalide : attendu hôte:port") || len(f.created) != 0 {
		t.Fatalf("bad address: %d %d\n%s", code, len(f.created), body)
	}
	code, body = post("/admin/monitor/targets", "establishment="+est+"&name=ENT&kind=http&address=https://ent.example.fr/&interval=0&timeout=5&restore=4")
	if code != 400 || len(f.created) != 0 {
		t.Fatalf("interval 0: %d\n%s", code, body)
	}
	code, _ = post("/admin/monitor/targets", "establishment="+est+"&name=ENT&kind=http&address=https://ent.example.fr/&interval=60&timeout=5&restore=4&status=200&cert_days=14&enabled=1")
	if code != http.StatusSeeOther || len(f.created) != 1 || f.created[0].ExpectStatus != 200 || f.created[0].CertDays != 14 ||
		f.created[0].RestoreTarget != 4*time.Hour {
		t.Fatalf("good target: %d %+v", code, f.created)
	}
	code, body = post("/requests", "category=&subject=&description=x")
	if code != 400 || !strings.Contains(body, "Choisissez : Catégorie") || !strings.Contains(body, "Objet") || len(f.requests) != 0 {
		t.Fatalf("bad request: %d\n%s", code, body)
	}
	code, _ = post("/requests", "category=network&subject=Wi-Fi+du+CDI&description=Plus+de+r%C3%A9seau")
	if code != http.StatusSeeOther || len(f.requests) != 1 || f.requests[0].Category != monitor.CatNetwork {
		t.Fatalf("good request: %d %+v", code, f.requests)
	}
}

// TestDashboardInternetFigures: with the filter's daily counts, the
// dashboard draws internet use (allowed and blocked requests, mean
// bandwidth) and the CSV and JSON exports fill their bandwidth and
// filtered-requests columns, per establishment and in total.
// CARINE: MCO-SEI-5, MCO-SEI-8
func TestDashboardInternetFigures(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f := newFleet(2, now)
	var asked time.Time
	h := newHandler(t, f, core.NewFakeClock(now), func(d *monitorweb.Deps) {
		d.Internet = func(_ context.Context, ests []string, since time.Time) (map[string]monitor.InternetUse, error) {
			asked = since
			return map[string]monitor.InternetUse{f.ests[0].ID: {Allowed: 90000, Blocked: 1200, Bytes: 324_000_000_000}}, nil
		}
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard", nil))
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Accès à internet (30 jours)") || !strings.Contains(body, "1,00 Mbit/s") &&
		!strings.Contains(body, "1.00 Mbit/s") || !asked.Equal(now.Add(-monitorweb.Period)) {
		t.Fatalf("dashboard: %d (asked since %s)\n%s", w.Code, asked, body)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard.csv", nil))
	lines := strings.Split(strings.TrimSpace(w.Body.String()), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[1], ",1.000,1200") || !strings.HasSuffix(lines[2], ",0.000,0") {
		t.Fatalf("CSV:\n%s", w.Body.String())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/monitor/dashboard.json", nil))
	if !strings.Contains(w.Body.String(), `"filtered_requests":1200`) || !strings.Contains(w.Body.String(), `"internet_requests_allowed":90000`) {
		t.Fatalf("JSON:\n%s", w.Body.String())
	}
}
