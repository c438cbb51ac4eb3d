// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/filterweb"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

const est = "0197a000-0000-7000-8000-00000000000a"

// memStore is the filter's store in memory.
type memStore struct {
	mu   sync.Mutex
	docs map[string]string
	os   []filter.Override
	log  []string
}

func (m *memStore) FilterSettings(context.Context) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, v := range m.docs {
		out[k] = v
	}
	return out, nil
}

func (m *memStore) PutFilterSettings(ctx context.Context, scope, doc, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[scope] = doc
	m.log = append(m.log, "settings/"+core.PrincipalFromContext(ctx).Login)
	return nil
}

func (m *memStore) FilterOverrides(_ context.Context, since time.Time) ([]filter.Override, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []filter.Override
	for _, o := range m.os {
		if o.Until.After(since) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (m *memStore) CreateFilterOverride(ctx context.Context, o *filter.Override) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	o.ID = core.NewID()
	o.AuthorLogin = core.PrincipalFromContext(ctx).Login
	m.os = append(m.os, *o)
	m.log = append(m.log, string(o.Kind)+"/"+o.AuthorLogin)
	return nil
}

func (m *memStore) EndFilterOverride(_ context.Context, e, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.os {
		if m.os[i].ID == id && m.os[i].Establishment == e && !m.os[i].Ended {
			m.os[i].Ended = true
			return nil
		}
	}
	return core.E("mem", core.NotFound, "")
}

type groups struct{}

func (groups) GroupsOf(_ context.Context, person string) ([]filter.GroupRef, error) {
	if person == "p-lou" {
		return []filter.GroupRef{{Establishment: est, Code: "6A", Name: "6e A"}}, nil
	}
	return nil, nil
}

func (groups) GroupsIn(context.Context, string) ([]filter.GroupRef, error) {
	return []filter.GroupRef{{Establishment: est, Code: "6A", Name: "6e A"}, {Establishment: est, Code: "5B", Name: "5e B"}}, nil
}

type site struct {
	t       *testing.T
	h       http.Handler
	eng     *filter.Engine
	store   *memStore
	clock   *core.FakeClock
	as      core.Principal
	journal []journal.Entry
	// blockedAsked records the reads of the "blocked now" page.
	blockedAsked []string
	asks         *memAsks
}

var people = map[string]core.Principal{
	"lou.petit":  {PersonID: "p-lou", Login: "lou.petit", Profile: core.ProfileTeacher, Establishments: []string{est}, Grants: []core.Grant{{Right: core.RightFilterDelegate, Establishment: est}}},
	"sans.droit": {PersonID: "p-sd", Login: "sans.droit", Profile: core.ProfileTeacher, Establishments: []string{est}},
	"cheffe":     {PersonID: "p-head", Login: "cheffe", Profile: core.ProfileHead, Establishments: []string{est}},
	"zoe":        {PersonID: "p-zoe", Login: "zoe", Profile: core.ProfilePupil, Establishments: []string{est}},
}

func newSite(t *testing.T) *site {
	dir := t.TempDir()
	for name, body := range map[string]string{"games/domains": "jeu.example\n", "games/usage": "black\n",
		"liste_blanche/domains": "edu.example\n", "liste_blanche/usage": "white\n",
		"global_usage": "NAME:\tgames\nNAME FR: Jeux en ligne\nDESC FR: Des jeux.\n"} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	lists, err := filter.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, eng: filter.NewEngine(), store: &memStore{docs: map[string]string{}}, asks: &memAsks{},
		clock: core.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))}
	s.eng.SetLists(lists)
	st := filter.DefaultSettings()
	st.Profiles[0].BlockCategories = append(st.Profiles[0].BlockCategories, "games")
	s.eng.SetSettings(est, st)
	doc, _ := json.Marshal(st)
	s.store.docs[est] = string(doc)
	reload := func(ctx context.Context) {
		os, _ := s.store.FilterOverrides(ctx, s.clock.Now())
		docs, _ := s.store.FilterSettings(ctx)
		settings := map[string]filter.Settings{est: st}
		if doc, ok := docs[est]; ok {
			var x filter.Settings
			if err := jsonUnmarshal(doc, &x); err == nil {
				settings[est] = x
			}
		}
		s.eng.Update(nil, filter.National{}, settings, os)
	}
	svc := filter.NewService(filter.Deps{Store: s.store, Groups: groups{}, Engine: s.eng, Clock: s.clock, Changed: reload})
	rd, err := web.NewRenderer(web.RendererConfig{Log: slog.New(slog.DiscardHandler)}, filterweb.Assets())
	if err != nil {
		t.Fatal(err)
	}
	h, err := filterweb.New(filterweb.Deps{Service: svc, Renderer: rd, Clock: s.clock,
		Journal:   func(_ context.Context, e journal.Entry) error { s.journal = append(s.journal, e); return nil },
		ListsInfo: func(context.Context) string { return "UT1 test" },
		Zones:     func(context.Context, string) ([]string, error) { return []string{"salle-info"}, nil },
		Asks:      s.asks, AskPeople: s.asks,
		Blocked: func(_ context.Context, e, group string, since time.Time) (filterweb.BlockedReport, error) {
			s.blockedAsked = append(s.blockedAsked, group+"@"+since.Format(time.TimeOnly))
			return filterweb.BlockedReport{Available: true, Requests: 3,
				Sites: []filterweb.BlockedSite{{Site: "casino.example", Category: "gambling", Requests: 3, Pupils: 2}}}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux, func(h http.Handler) http.Handler { return h })
	s.h = rd.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(core.ContextWithPrincipal(r.Context(), s.as)))
	}))
	return s
}

func (s *site) do(as, method, path string, form url.Values) (int, string, string) {
	s.t.Helper()
	s.as = people[as]
	var req *http.Request
	if method == "POST" {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Location"), rec.Body.String()
}

func (s *site) pupil6A(host string) filter.Decision {
	return s.eng.Decide(&filter.Request{Establishment: est, Host: host, Profile: core.ProfilePupil, Groups: []string{"6A"}, Time: s.clock.Now()})
}

var endRE = regexp.MustCompile(`action="/filter/end/([0-9a-f-]{36})"`)

// TestTeacherOpensAndExamMode: a teacher holding filter.delegate opens a
// blocked site for her class for the lesson, puts it in exam mode and
// stops it; she cannot touch another class; a teacher without the right
// is refused. CARINE: INF-SEC-6, INF-SEC-9, INF-SEC-4
func TestTeacherOpensAndExamMode_INF_SEC_6(t *testing.T) {
	s := newSite(t)
	if code, _, body := s.do("sans.droit", "GET", "/filter", nil); code != http.StatusForbidden {
		t.Fatalf("teacher without the right: %d\n%s", code, body)
	}
	code, _, body := s.do("lou.petit", "GET", "/filter", nil)
	if code != 200 || !strings.Contains(body, "6e A (6A)") || strings.Contains(body, "5B") || !strings.Contains(body, "Jeux en ligne") {
		t.Fatalf("teacher page: %d\n%s", code, body)
	}
	if d := s.pupil6A("jeu.example"); d.Allow {
		t.Fatal("the game site should start blocked")
	}
	code, loc, _ := s.do("lou.petit", "POST", "/filter/delegate", url.Values{"group": {"6A"}, "action": {"open"},
		"site": {"https://www.Jeu.example/page"}, "duration": {"55"}})
	if code != http.StatusSeeOther || loc != "/filter" {
		t.Fatalf("open: %d %s", code, loc)
	}
	if d := s.pupil6A("www.jeu.example"); !d.Allow || d.Layer != filter.LayerDelegation {
		t.Fatalf("after opening: %+v", d)
	}
	code, _, body = s.do("lou.petit", "POST", "/filter/delegate", url.Values{"group": {"5B"}, "action": {"open"},
		"site": {"jeu.example"}, "duration": {"55"}})
	if code != http.StatusForbidden || !strings.Contains(body, "où vous enseignez") {
		t.Fatalf("another class: %d\n%s", code, body)
	}
	code, _, body = s.do("lou.petit", "POST", "/filter/delegate", url.Values{"group": {"6A"}, "site": {"jeu.example"},
		"category": {"games"}, "duration": {"55"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "soit un site, soit une catégorie") {
		t.Fatalf("site and category: %d\n%s", code, body)
	}
	code, _, body = s.do("lou.petit", "POST", "/filter/exam", url.Values{"group": {"6A"}, "sites": {"exam.example\nbad site!"}, "duration": {"110"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "« site! » n’est pas un nom de site valide") {
		t.Fatalf("bad exam site: %d\n%s", code, body)
	}
	if code, _, _ := s.do("lou.petit", "POST", "/filter/exam", url.Values{"group": {"6A"}, "sites": {"exam.example"}, "duration": {"110"}}); code != http.StatusSeeOther {
		t.Fatalf("exam: %d", code)
	}
	if d := s.pupil6A("other.example"); d.Allow || d.Layer != filter.LayerContext {
		t.Fatalf("during the exam: %+v", d)
	}
	_, _, body = s.do("lou.petit", "GET", "/filter", nil)
	ids := endRE.FindAllStringSubmatch(body, -1)
	if len(ids) != 2 || !strings.Contains(body, "Mode examen") || !strings.Contains(body, "exam.example") {
		t.Fatalf("rules in force: %d\n%s", len(ids), body)
	}
	for _, m := range ids {
		if code, _, _ := s.do("lou.petit", "POST", "/filter/end/"+m[1], url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("end: %d", code)
		}
	}
	if d := s.pupil6A("other.example"); !d.Allow {
		t.Fatalf("after stopping the exam: %+v", d)
	}
	if strings.Join(s.store.log, " ") != "delegation/lou.petit exam/lou.petit" {
		t.Fatalf("changes recorded: %v", s.store.log)
	}
	// "Why is this address blocked?"
	_, _, body = s.do("lou.petit", "GET", "/filter?check=jeu.example/x&group=6A", nil)
	if !strings.Contains(body, "jeu.example/x est bloqué.") || !strings.Contains(body, "catégorie Jeux en ligne") {
		t.Fatalf("check: %s", body)
	}
}

// TestSettingsPage: the head changes the pupils' blocked categories and
// sites; a white category cannot be blocked. CARINE: INF-SEC-9, INF-SEC-8
func TestSettingsPage_INF_SEC_9(t *testing.T) {
	s := newSite(t)
	code, _, body := s.do("cheffe", "GET", "/filter/settings", nil)
	if code != 200 || !strings.Contains(body, `name="block" value="games" checked`) || !strings.Contains(body, "Liste blanche") ||
		!strings.Contains(body, "UT1 test") {
		t.Fatalf("settings: %d\n%s", code, body)
	}
	code, _, body = s.do("cheffe", "POST", "/filter/settings", url.Values{"block": {"liste_blanche"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "cannot be blocked") {
		t.Fatalf("blocking a white list: %d\n%s", code, body)
	}
	code, _, _ = s.do("cheffe", "POST", "/filter/settings", url.Values{"block": {"adult"}, "allow_sites": {"jeu.example"}, "reason": {"projet"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d", code)
	}
	if d := s.pupil6A("jeu.example"); !d.Allow {
		t.Fatalf("after allowing: %+v", d)
	}
	if code, _, _ := s.do("sans.droit", "POST", "/filter/settings", url.Values{"block": {"adult"}}); code != http.StatusForbidden {
		t.Fatalf("without the right: %d", code)
	}
}

func TestAskToOpen(t *testing.T) {
	s := newSite(t)
	code, _, body := s.do("zoe", "GET", "/filter/ask?site=Jeu.Example", nil)
	if code != 200 || !strings.Contains(body, `value="jeu.example"`) {
		t.Fatalf("ask form: %d\n%s", code, body)
	}
	if code, _, _ := s.do("zoe", "POST", "/filter/ask", url.Values{"site": {"jeu.example"}}); code != http.StatusBadRequest {
		t.Fatalf("ask without a reason: %d", code)
	}
	if code, _, _ := s.do("zoe", "POST", "/filter/ask", url.Values{"site": {"jeu.example"}, "reason": {"exposé d'histoire"}}); code != http.StatusSeeOther {
		t.Fatalf("ask: %d", code)
	}
	// Stored as a request (the store journals it as filter.ask, TestFilterAdminStore).
	if len(s.asks.asks) != 1 || s.asks.asks[0].Site != "jeu.example" || s.asks.asks[0].Login != "zoe" || s.asks.asks[0].Reason != "exposé d'histoire" {
		t.Fatalf("requests %+v", s.asks.asks)
	}
}

func jsonUnmarshal(doc string, v any) error { return json.Unmarshal([]byte(doc), v) }

// TestGroupRulePage: the head sets a class's rule from the settings page;
// it applies to that class only. CARINE: INF-SEC-10
func TestGroupRulePage_INF_SEC_10(t *testing.T) {
	s := newSite(t)
	code, _, _ := s.do("cheffe", "POST", "/filter/settings/group", url.Values{"group": {"5B"}, "group_block": {"video.example"},
		"group_categories": {"games"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save group rule: %d", code)
	}
	fiveB := s.eng.Decide(&filter.Request{Establishment: est, Host: "video.example", Profile: core.ProfilePupil, Groups: []string{"5B"}, Time: s.clock.Now()})
	if fiveB.Allow || fiveB.Rule != "group:5B" {
		t.Fatalf("5B: %+v", fiveB)
	}
	if d := s.pupil6A("video.example"); !d.Allow {
		t.Fatalf("6A: %+v", d)
	}
	_, _, body := s.do("cheffe", "GET", "/filter/settings", nil)
	if !strings.Contains(body, "<code>video.example</code>") || !strings.Contains(body, "5e B") {
		t.Fatalf("group rules table:\n%s", body)
	}
	if code, _, _ := s.do("lou.petit", "POST", "/filter/settings/group", url.Values{"group": {"5B"}, "group_block": {"x.example"}}); code != http.StatusBadRequest {
		t.Fatalf("a teacher setting another class's rule: %d", code)
	}
	if code, _, _ := s.do("cheffe", "POST", "/filter/settings/group", url.Values{"group": {"5B"}}); code != http.StatusSeeOther {
		t.Fatalf("remove: %d", code)
	}
	if d := s.eng.Decide(&filter.Request{Establishment: est, Host: "video.example", Profile: core.ProfilePupil, Groups: []string{"5B"}, Time: s.clock.Now()}); !d.Allow {
		t.Fatalf("after removal: %+v", d)
	}
}
