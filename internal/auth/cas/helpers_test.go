// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/authweb"
	"github.com/preau/preau/internal/auth/cas"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

var quiet = slog.New(slog.DiscardHandler)

const password = "Une phrase assez longue 2026"

// backend opens a fresh, empty store of one dialect.
type backend struct {
	name string
	open func(t testing.TB, clock core.Clock) *store.DB
}

// backends returns SQLite always and PostgreSQL when
// PREAU_TEST_POSTGRES_DSN is set (a throwaway schema per test).
func backends(t testing.TB) []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if dsn := os.Getenv("PREAU_TEST_POSTGRES_DSN"); dsn != "" {
		bs = append(bs, backend{"postgres", func(t testing.TB, clock core.Clock) *store.DB {
			return openPostgres(t, dsn, clock)
		}})
	} else {
		t.Log("PREAU_TEST_POSTGRES_DSN not set: skipping the PostgreSQL back end")
	}
	return bs
}

func openSQLite(t testing.TB, clock core.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Clock: clock, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPostgres(t testing.TB, dsn string, clock core.Clock) *store.DB {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := store.Open(context.Background(), store.Config{DSN: dsn, Schema: schema, Clock: clock, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = db.DropSchemaForTest(context.Background(), schema)
		db.Close()
	})
	return db
}

// env is a Préau web front (store, auth, login page, CAS server) on an
// httptest TLS server, a registered CAS application on a plain httptest
// server, and a browser with a cookie jar that does not follow redirects.
type env struct {
	t       testing.TB
	handler http.Handler // the whole front, for in-process requests
	db      *store.DB
	clock   *core.FakeClock
	auth    *auth.Service
	srv     *httptest.Server
	browser *http.Client
	est     *directory.Establishment
	pupil   *directory.Person
	app     *httptest.Server // the application
	client  *sso.Client      // the application's registration
	service string           // a service URL of the application, with a query

	mu      sync.Mutex
	logouts []string // logoutRequest fields the application received
}

func newEnv(t testing.TB, b backend) *env {
	t.Helper()
	e := &env{t: t, clock: core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))}
	e.db = b.open(t, e.clock)
	cfg := auth.Config{}
	cfg.Defaults()
	e.auth = auth.New(cfg, auth.Deps{Store: e.db, Clock: e.clock, Log: quiet})
	rd, err := web.NewRenderer(web.RendererConfig{Log: quiet}, authweb.Assets(), cas.Assets())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	aw := authweb.New(e.auth, rd, quiet)
	aw.Routes(mux)
	srv, err := cas.New(cas.Deps{Store: e.db, Auth: e.auth, Renderer: rd, Clock: e.clock, Log: quiet,
		EndSession: aw.EndSession})
	if err != nil {
		t.Fatal(err)
	}
	srv.Routes(mux)
	aw.OnLogout = srv.SingleLogout
	mux.Handle("/", web.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		return core.E("test", core.NotFound, "")
	}))
	e.handler = web.Secure(rd.Wrap(aw.Middleware(web.CSRF(mux))))
	e.srv = httptest.NewTLSServer(e.handler)
	t.Cleanup(e.srv.Close)
	e.browser = e.newBrowser()
	e.app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			e.mu.Lock()
			e.logouts = append(e.logouts, r.PostFormValue("logoutRequest"))
			e.mu.Unlock()
		}
	}))
	t.Cleanup(e.app.Close)
	e.seed()
	return e
}

// newBrowser returns a client with an empty cookie jar.
func (e *env) newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// seed creates a collège, a pupil of 5B and the application "Pronote".
func (e *env) seed() {
	ctx := dirtest.Ctx()
	e.est = dirtest.NewEstablishment(999001, directory.College)
	must(e.t, e.db.CreateEstablishment(ctx, e.est))
	e.pupil = dirtest.NewPerson("zoe.martin", core.ProfilePupil, e.est.ID)
	e.pupil.Mail = "zoe.martin@e999001.demo.test"
	must(e.t, e.db.CreatePeople(ctx, []directory.NewPerson{{Person: e.pupil, PasswordHash: e.auth.Hash(password)}}))
	g := &directory.Group{ID: core.NewID(), Establishment: e.est.ID, Code: "5B", Kind: directory.Class,
		SchoolYear: core.SchoolYear(e.clock.Now())}
	must(e.t, g.Validate())
	must(e.t, e.db.CreateGroups(ctx, []*directory.Group{g}))
	must(e.t, e.db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: e.pupil.ID,
		Role: directory.RoleMember}}))
	e.client = e.register("Pronote", []string{e.app.URL + "/*"}, func(c *sso.Client) { c.SingleLogout = true })
	e.service = e.app.URL + "/eleve.html?fd=1"
}

// register adds a CAS application.
func (e *env) register(name string, patterns []string, opts ...func(*sso.Client)) *sso.Client {
	c := &sso.Client{ID: core.NewID(), Protocol: sso.CAS, Name: name, URIs: patterns, MinLevel: sso.LevelSimple,
		CreatedAt: e.clock.Now()}
	for _, o := range opts {
		o(c)
	}
	must(e.t, e.db.PutClient(dirtest.Ctx(), c, journal.Entry{Action: "sso.client.register", TargetType: "sso_client",
		TargetID: c.ID, TargetName: c.Name}))
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get fetches a path (or absolute URL) with the browser.
func (e *env) get(b *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.srv.URL + path
	}
	resp, err := b.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// post submits a form with the browser, from the server's own origin.
func (e *env) post(b *http.Client, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := b.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// login fills Préau's login form and returns where it redirects.
func (e *env) login(b *http.Client, next string) string {
	e.t.Helper()
	resp, body := e.post(b, "/login", url.Values{"login": {e.pupil.Login}, "password": {password}, "next": {next}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login: %d\n%s", resp.StatusCode, body)
	}
	return resp.Header.Get("Location")
}

// loginURL returns /cas/login for service with extra parameters.
func loginURL(service string, extra ...string) string {
	q := url.Values{"service": {service}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return cas.LoginPath + "?" + q.Encode()
}

// ticket gets a service ticket at /cas/login through a redirect.
func (e *env) ticket(b *http.Client, service string) string {
	e.t.Helper()
	resp, body := e.get(b, loginURL(service))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, service) {
		e.t.Fatalf("/cas/login: %d %s\n%s", resp.StatusCode, loc, body)
	}
	return ticketOf(e.t, loc)
}

func ticketOf(t testing.TB, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	st := u.Query().Get("ticket")
	if !regexp.MustCompile(`^ST-[A-Za-z0-9_-]{32,}$`).MatchString(st) {
		t.Fatalf("no service ticket in %s", target)
	}
	return st
}

// casResponse is a cas:serviceResponse, parsed by namespace as CAS
// clients do.
type casResponse struct {
	XMLName xml.Name `xml:"http://www.yale.edu/tp/cas serviceResponse"`
	Success *struct {
		User       string `xml:"http://www.yale.edu/tp/cas user"`
		Attributes *struct {
			Values []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"http://www.yale.edu/tp/cas attributes"`
	} `xml:"http://www.yale.edu/tp/cas authenticationSuccess"`
	Failure *struct {
		Code string `xml:"code,attr"`
		Msg  string `xml:",chardata"`
	} `xml:"http://www.yale.edu/tp/cas authenticationFailure"`
}

// attrs returns the attributes of a success by name.
func (r *casResponse) attrs() map[string][]string {
	m := map[string][]string{}
	if r.Success == nil || r.Success.Attributes == nil {
		return m
	}
	for _, v := range r.Success.Attributes.Values {
		if v.XMLName.Space != "http://www.yale.edu/tp/cas" {
			continue
		}
		m[v.XMLName.Local] = append(m[v.XMLName.Local], v.Value)
	}
	return m
}

// validate calls a validation endpoint as an application would: no
// cookie, server to server.
func (e *env) validate(path string, q url.Values) string {
	e.t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + path + "?" + q.Encode())
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
	}
	return string(body)
}

// validateXML validates on path and parses the XML answer.
func (e *env) validateXML(path, service, ticket string, extra ...string) *casResponse {
	e.t.Helper()
	q := url.Values{"service": {service}, "ticket": {ticket}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	body := e.validate(path, q)
	var r casResponse
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		e.t.Fatalf("%s: not a cas:serviceResponse: %v\n%s", path, err, body)
	}
	if (r.Success == nil) == (r.Failure == nil) {
		e.t.Fatalf("%s: neither success nor failure:\n%s", path, body)
	}
	return &r
}

// jsonResponse is the JSON form of a service response.
type jsonResponse struct {
	ServiceResponse struct {
		Success *struct {
			User       string              `json:"user"`
			Attributes map[string][]string `json:"attributes"`
		} `json:"authenticationSuccess"`
		Failure *struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		} `json:"authenticationFailure"`
	} `json:"serviceResponse"`
}

func (e *env) validateJSON(path, service, ticket string) *jsonResponse {
	e.t.Helper()
	body := e.validate(path, url.Values{"service": {service}, "ticket": {ticket}, "format": {"JSON"}})
	var r jsonResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		e.t.Fatalf("%s: not JSON: %v\n%s", path, err, body)
	}
	return &r
}

// journal returns the entries of an action.
func (e *env) journal(action string) []*journal.Entry {
	e.t.Helper()
	es, err := e.db.FindJournal(dirtest.Ctx(), journal.Filter{Action: action})
	must(e.t, err)
	return es
}

// received returns the logout requests the application got.
func (e *env) received() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.logouts...)
}
