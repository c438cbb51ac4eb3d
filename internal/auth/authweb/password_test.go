// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb_test

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

var quiet = slog.New(slog.DiscardHandler)

// memStore is the part of auth.Store the password pages use, in memory.
// Other methods are those of the nil embedded interface: calling one
// panics, which tells that a page started to need it.
type memStore struct {
	auth.Store
	mu       sync.Mutex
	people   map[string]*directory.Person // by ID
	hashes   map[string]string
	history  map[string][]string // newest first
	settings map[string]string   // "scope/name"
}

func (m *memStore) FindPerson(_ context.Context, id string) (*directory.Person, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.people[id]; ok {
		c := *p
		return &c, nil
	}
	return nil, core.E("mem.FindPerson", core.NotFound, "")
}

func (m *memStore) FindPersonByLogin(ctx context.Context, login string) (*directory.Person, error) {
	m.mu.Lock()
	var id string
	for _, p := range m.people {
		if p.Login == login {
			id = p.ID
		}
	}
	m.mu.Unlock()
	return m.FindPerson(ctx, id)
}

func (m *memStore) FindGrants(context.Context, string) ([]*directory.Grant, error) { return nil, nil }

func (m *memStore) FindLoginPerson(ctx context.Context, login string) (auth.LoginRecord, error) {
	p, err := m.FindPersonByLogin(ctx, login)
	if err != nil {
		return auth.LoginRecord{}, err
	}
	h, _ := m.PasswordHash(ctx, p.ID)
	at, _ := m.PasswordChangedAt(ctx, p.ID)
	v, _ := m.Setting(ctx, auth.SettingScope, auth.SettingPasswordPolicies)
	return auth.LoginRecord{Person: p, Hash: h, PasswordChangedAt: at, Policies: v}, nil
}

func (m *memStore) PasswordHash(_ context.Context, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if h, ok := m.hashes[id]; ok {
		return h, nil
	}
	return "", core.E("mem.PasswordHash", core.NotFound, "")
}

func (m *memStore) PasswordHistory(_ context.Context, id string, n int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.history[id]
	return h[:min(n, len(h))], nil
}

func (m *memStore) PasswordChangedAt(context.Context, string) (time.Time, error) {
	return time.Now(), nil
}

func (m *memStore) SetPasswordHash(_ context.Context, id, hash string, mustChange bool, _ journal.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.history[id] = append([]string{m.hashes[id]}, m.history[id]...)
	m.hashes[id] = hash
	m.people[id].MustChangePassword = mustChange
	return nil
}

func (m *memStore) Setting(_ context.Context, scope, name string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.settings[scope+"/"+name]; ok {
		return v, nil
	}
	return "", core.E("mem.Setting", core.NotFound, "")
}

func (m *memStore) Journal(context.Context, journal.Entry) error { return nil }

const (
	csrfToken  = "test-csrf-token"
	leaCurrent = "Ancien-Mot-De-Passe-7"
)

// fixture is the password pages of a deployment with one teacher and one
// admin, behind the renderer and the CSRF check as in the app.
type fixture struct {
	store *memStore
	h     http.Handler
	lea   core.Principal
	admin core.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cfg := auth.Config{}
	cfg.Defaults()
	st := &memStore{people: map[string]*directory.Person{}, hashes: map[string]string{},
		history: map[string][]string{}, settings: map[string]string{}}
	svc := auth.New(cfg, auth.Deps{Store: st, Clock: core.SystemClock{}, Log: quiet})
	add := func(login, given, family string, pr core.Profile) core.Principal {
		p := &directory.Person{ID: core.NewID(), Login: login, GivenName: given, FamilyName: family, Profile: pr,
			State: directory.Active, Establishments: []string{"e1"}}
		st.people[p.ID] = p
		st.hashes[p.ID] = svc.Hash(leaCurrent)
		return core.Principal{PersonID: p.ID, Login: login, Profile: pr, Establishments: p.Establishments,
			Channel: core.ChannelWeb, SessionID: "s-" + login}
	}
	f := &fixture{store: st}
	f.lea = add("lea.petit", "Léa", "Petit", core.ProfileTeacher)
	f.admin = add("admin", "Ada", "Min", core.ProfileAdmin)
	rd, err := web.NewRenderer(web.RendererConfig{Log: quiet}, authweb.Assets())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	authweb.New(svc, rd, quiet).Routes(mux)
	f.h = rd.Wrap(web.CSRF(mux))
	return f
}

// do serves r as principal p (anonymous when p is zero).
func (f *fixture) do(r *http.Request, p core.Principal) *httptest.ResponseRecorder {
	ctx := r.Context()
	if !p.Anonymous() {
		ctx = web.ContextWithCSRFToken(core.ContextWithPrincipal(ctx, p), csrfToken)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r.WithContext(ctx))
	return w
}

func (f *fixture) check(t *testing.T, p core.Principal, pw string, withToken bool) (int, []string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"password": pw})
	r := httptest.NewRequest("POST", "/password/check", strings.NewReader(string(b)))
	r.Header.Set("Content-Type", "application/json")
	if withToken {
		r.Header.Set(web.CSRFHeader, csrfToken)
	}
	w := f.do(r, p)
	var out struct {
		Violations []string `json:"violations"`
	}
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out.Violations == nil {
			t.Fatalf("check response: %v %s", err, w.Body)
		}
	}
	return w.Code, out.Violations
}

// CARINE: INF-AUT-6 — the live check answers the codes of the rules of the
// person's own policy that the password breaks; it needs the session's
// CSRF token and a login.
func TestPasswordCheckEndpoint_INF_AUT_6(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		p    core.Principal
		pw   string
		want []string
	}{
		{"common, short, one kind", f.lea, "soleil", []string{"too_short", "too_few_classes", "common"}},
		{"common word with digits", f.lea, "Marseille-2024!", []string{"common"}},
		{"personal", f.lea, "Petit-Chaperon-Rouge-7", []string{"personal"}},
		{"strong", f.lea, "Tartine-Kiwi-Vert-42", []string{}},
		{"admin needs 14", f.admin, "Kiwi-Vert-42-x", []string{}},
		{"admin 13", f.admin, "Kiwi-Vert-42x", []string{"too_short"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, got := f.check(t, tc.p, tc.pw, true)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("violations %v, want %v", got, tc.want)
			}
		})
	}
	if code, _ := f.check(t, f.lea, "soleil", false); code != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", code)
	}
	if code, _ := f.check(t, core.Principal{}, "soleil", false); code != http.StatusUnauthorized {
		t.Errorf("anonymous: %d, want 401", code)
	}
	r := httptest.NewRequest("POST", "/password/check", strings.NewReader(`{"pw": 1}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(web.CSRFHeader, csrfToken)
	if w := f.do(r, f.lea); w.Code != http.StatusBadRequest {
		t.Errorf("malformed body: %d, want 400", w.Code)
	}
}

// CARINE: INF-AUT-6, INF-AUT-8 — the change page lists the rules of the
// person's policy, in French and English, with the live-check hooks and
// the expiry of the admin policy.
func TestPasswordPageListsRules_INF_AUT_6(t *testing.T) {
	f := newFixture(t)
	get := func(p core.Principal, path string) string {
		w := f.do(httptest.NewRequest("GET", path, nil), p)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, w.Code)
		}
		return html.UnescapeString(w.Body.String())
	}
	page := get(f.lea, "/password")
	for _, want := range []string{"Règles du mot de passe", "Au moins 12 caractères", "Au moins 3 types de caractères",
		"Ni un mot de passe courant", "Ne contient ni votre identifiant", "Différent de vos 5 derniers mots de passe",
		`data-check-url="/password/check"`, `data-rule="common" data-live`, `aria-live="polite"`, "password.js",
		`aria-describedby="f-new-hint password-rules"`} {
		if !strings.Contains(page, want) {
			t.Errorf("teacher page lacks %q", want)
		}
	}
	if strings.Contains(page, "au bout de") {
		t.Error("the teacher page announces an expiry")
	}
	admin := get(f.admin, "/password?lang=en")
	for _, want := range []string{"Password rules", "At least 14 characters", "Not one of your last 10 passwords",
		"changed after 365 days"} {
		if !strings.Contains(admin, want) {
			t.Errorf("English admin page lacks %q", want)
		}
	}
}

// CARINE: INF-AUT-6 — without JavaScript the server checks on submission,
// names every broken rule and marks each rule met or not met in text.
func TestPasswordChangeWithoutScript_INF_AUT_6(t *testing.T) {
	f := newFixture(t)
	post := func(next string) *httptest.ResponseRecorder {
		form := url.Values{"csrf": {csrfToken}, "current": {leaCurrent}, "new": {next}, "confirm": {next}}
		r := httptest.NewRequest("POST", "/password", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return f.do(r, f.lea)
	}
	w := post("Soleil2024!")
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "il est trop court (au moins 12 caractères) ; "+
		"c’est un mot de passe ou un mot trop courant") || !strings.Contains(body, "(non respectée)") ||
		!strings.Contains(body, "(respectée)") || !strings.Contains(body, "(vérifiée à l’enregistrement)") {
		t.Fatalf("refused change: %d\n%s", w.Code, body)
	}
	if w := post("Tartine-Kiwi-Vert-42"); w.Code != http.StatusSeeOther {
		t.Fatalf("good change: %d\n%s", w.Code, w.Body)
	}
}

// CARINE: INF-AUT-9 — the login page shows the forgotten-password procedure
// under the form, at an anchor the portal links to; a deployment may write
// its own text.
func TestLoginPageForgottenPassword_INF_AUT_9(t *testing.T) {
	f := newFixture(t)
	get := func() string {
		w := f.do(httptest.NewRequest("GET", "/login", nil), core.Principal{})
		if w.Code != http.StatusOK {
			t.Fatalf("login page: %d", w.Code)
		}
		return html.UnescapeString(w.Body.String())
	}
	page := get()
	form := strings.Index(page, "</form>")
	forgot := strings.Index(page, `id="forgotten-password"`)
	if form < 0 || forgot < form || !strings.Contains(page[forgot:], auth.DefaultForgottenPasswordText) {
		t.Fatalf("default procedure not under the form:\n%s", page)
	}
	custom := "Mot de passe oublié ? Passez au bureau de la vie scolaire, salle B12, avec votre carnet."
	f.store.settings[auth.SettingScope+"/"+auth.SettingForgottenPassword] = custom
	if page := get(); !strings.Contains(page, custom) || strings.Contains(page, auth.DefaultForgottenPasswordText) {
		t.Fatalf("custom procedure not shown:\n%s", page)
	}
}
