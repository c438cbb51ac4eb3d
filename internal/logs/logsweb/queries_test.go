// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logsweb

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/admin"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/web"
)

type memQueries struct {
	qs   map[string]*logs.SavedQuery
	arch *logs.ArchiveSchedule
}

func (m *memQueries) LogQueries(context.Context) ([]*logs.SavedQuery, error) {
	var out []*logs.SavedQuery
	for _, q := range m.qs {
		out = append(out, q)
	}
	return out, nil
}
func (m *memQueries) LogQuery(_ context.Context, id string) (*logs.SavedQuery, error) {
	if q, ok := m.qs[id]; ok {
		return q, nil
	}
	return nil, core.E("t", core.NotFound, "no query")
}
func (m *memQueries) SaveLogQuery(_ context.Context, q *logs.SavedQuery) error {
	if err := q.Validate(); err != nil {
		return err
	}
	if q.ID == "" {
		q.ID = core.NewID()
	}
	m.qs[q.ID] = q
	return nil
}
func (m *memQueries) DeleteLogQuery(_ context.Context, id string) ([]string, error) {
	delete(m.qs, id)
	return nil, nil
}
func (m *memQueries) LogReports(context.Context, string, int) ([]*logs.QueryReport, error) {
	return nil, nil
}
func (m *memQueries) LogReport(context.Context, string) (*logs.QueryReport, error) {
	return nil, core.E("t", core.NotFound, "no report")
}
func (m *memQueries) JournalLogReportDownload(context.Context, *logs.QueryReport) error { return nil }
func (m *memQueries) LogArchiveSchedule(context.Context) (*logs.ArchiveSchedule, error) {
	if m.arch == nil {
		return nil, core.E("t", core.NotFound, "none")
	}
	return m.arch, nil
}
func (m *memQueries) SetLogArchiveSchedule(_ context.Context, a *logs.ArchiveSchedule) error {
	m.arch = a
	return nil
}

type dir struct{}

func (dir) Establishments(context.Context) ([]*directory.EstablishmentSummary, error) {
	return []*directory.EstablishmentSummary{{Establishment: directory.Establishment{ID: "E1", UAI: "0999001W", Name: "Collège A"}},
		{Establishment: directory.Establishment{ID: "E2", UAI: "0999002X", Name: "Collège B"}}}, nil
}

func queryServer(t *testing.T, m *memQueries, p *core.Principal) *httptest.Server {
	rd, err := web.NewRenderer(web.RendererConfig{}, Assets(), admin.Assets())
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{Directory: dir{}, Queries: m, Clock: core.NewFakeClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)),
		Loc: time.UTC}, rd)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux, func(h http.Handler) http.Handler { return h })
	s := httptest.NewServer(rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), *p)))
	})))
	t.Cleanup(s.Close)
	return s
}

func do(t *testing.T, s *httptest.Server, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var r *http.Response
	var err error
	if method == http.MethodPost {
		r, err = c.PostForm(s.URL+path, form)
	} else {
		r, err = c.Get(s.URL + path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

// TestQueriesPagesAudienceAndArchiveForm: the list shows only the queries
// a person may run; a query's page refuses someone outside its audience or
// its establishment; the scheduled archive's form is for operators, who set
// it with a target and recipients (a relative folder or a bad recipient is
// refused); an establishment admin sees its last result, not the form.
// CARINE: MCO-JAL-5, MCO-JAL-3
func TestQueriesPagesAudienceAndArchiveForm(t *testing.T) {
	m := &memQueries{qs: map[string]*logs.SavedQuery{
		"q1": {ID: "q1", Establishment: "E1", Name: "Blocages E1", Purpose: "suivre les blocages", Audience: logs.Audience{Profiles: []core.Profile{core.ProfileHead}}},
		"q2": {ID: "q2", Establishment: "E2", Name: "Blocages E2", Purpose: "suivre les blocages", Audience: logs.Audience{Profiles: []core.Profile{core.ProfileHead}}},
	}}
	p := &core.Principal{Login: "m.dupont", Profile: core.ProfileHead, Establishments: []string{"E1"}}
	s := queryServer(t, m, p)
	r, body := do(t, s, "GET", QueriesPath, nil)
	if r.StatusCode != 200 || !strings.Contains(body, "Blocages E1") || strings.Contains(body, "Blocages E2") ||
		strings.Contains(body, `action="/admin/logs/archive-schedule"`) {
		t.Fatalf("head's list: %d\n%s", r.StatusCode, body)
	}
	if r, _ := do(t, s, "GET", QueryPath("q2"), nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("another establishment's query: %d", r.StatusCode)
	}
	*p = core.Principal{Login: "tech", Profile: core.ProfileAdmin, Establishments: []string{"E1"}}
	if r, _ := do(t, s, "GET", QueryPath("q1"), nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("an admin outside the audience: %d", r.StatusCode)
	}
	if r, _ := do(t, s, "POST", archiveSchedulePath, url.Values{"every": {"monthly"}, "to": {"/srv/archives"}}); r.StatusCode != http.StatusForbidden || m.arch != nil {
		t.Fatalf("an establishment admin set the deployment's archive: %d %+v", r.StatusCode, m.arch)
	}
	*p = core.Principal{Login: "op", Grants: []core.Grant{{Right: core.RightOperator}}}
	if _, body := do(t, s, "GET", QueriesPath, nil); !strings.Contains(body, `action="/admin/logs/archive-schedule"`) || !strings.Contains(body, "Blocages E2") {
		t.Fatalf("operator's page:\n%s", body)
	}
	do(t, s, "POST", archiveSchedulePath, url.Values{"every": {"monthly"}, "to": {"archives"}})
	do(t, s, "POST", archiveSchedulePath, url.Values{"every": {"monthly"}, "to": {"/srv/archives"}, "recipients": {"age1nope"}})
	if m.arch != nil {
		t.Fatalf("a relative folder or a bad recipient accepted: %+v", m.arch)
	}
	rec := "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	r, _ = do(t, s, "POST", archiveSchedulePath, url.Values{"every": {"monthly"}, "to": {"/srv/archives"}, "recipients": {rec + "\n"}})
	if r.StatusCode != http.StatusSeeOther || m.arch == nil || m.arch.Cadence != logs.Monthly || m.arch.Target != "/srv/archives" ||
		len(m.arch.Recipients) != 1 || !m.arch.NextRun.Equal(time.Date(2026, 12, 1, 0, 15, 0, 0, time.UTC)) {
		t.Fatalf("archive schedule: %d %+v", r.StatusCode, m.arch)
	}
	m.arch.LastResult, m.arch.LastDetail, m.arch.LastRun = "failed", "disk full", time.Date(2026, 12, 1, 0, 15, 0, 0, time.UTC)
	*p = core.Principal{Login: "m.dupont", Profile: core.ProfileHead, Establishments: []string{"E1"}}
	if _, body := do(t, s, "GET", QueriesPath, nil); !strings.Contains(body, "a échoué : disk full") ||
		!strings.Contains(body, `<option value="monthly"`) {
		t.Fatalf("head's view of the archive:\n%s", body)
	}
}
