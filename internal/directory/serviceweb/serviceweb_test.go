// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package serviceweb_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/directory/serviceweb"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web"
)

var quiet = slog.New(slog.DiscardHandler)

// world is a collège and a lycée with their heads, the collège's technical
// admin, a teacher and a staff member holding people.manage, served by the
// real pages over SQLite.
type world struct {
	t      *testing.T
	db     *store.DB
	auth   *auth.Service
	srv    *httptest.Server
	as     core.Principal
	est    *directory.Establishment
	other  *directory.Establishment
	people map[string]*directory.Person
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := dirtest.Ctx()
	clock := core.NewFakeClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	w := &world{t: t, people: map[string]*directory.Person{}}
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), Log: quiet, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	dir := directory.New(directory.Deps{Store: db, Clock: clock, Log: quiet})
	cfg := auth.Config{Argon2: auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}}
	cfg.Defaults()
	w.auth = auth.New(cfg, auth.Deps{Store: db, Clock: clock, Log: quiet})
	w.est = dirtest.NewEstablishment(999201, directory.College)
	w.est.Name = "Collège Hélène-Boucher"
	w.other = dirtest.NewEstablishment(999202, directory.Lycee)
	w.other.Name = "Lycée Marie-Curie"
	must(t, db.CreateEstablishment(ctx, w.est))
	must(t, db.CreateEstablishment(ctx, w.other))
	var nps []directory.NewPerson
	add := func(login string, prof core.Profile, est string) {
		p := dirtest.NewPerson(login, prof, est)
		must(t, p.Validate())
		w.people[login] = p
		nps = append(nps, directory.NewPerson{Person: p})
	}
	add("tech", core.ProfileAdmin, w.est.ID)
	add("principal", core.ProfileHead, w.est.ID)
	add("prof.durand", core.ProfileTeacher, w.est.ID)
	add("cpe.martin", core.ProfileStaff, w.est.ID)
	add("proviseur", core.ProfileHead, w.other.ID)
	must(t, db.CreatePeople(ctx, nps))
	must(t, db.CreateGrant(ctx, &directory.Grant{ID: core.NewID(), PersonID: w.people["cpe.martin"].ID,
		Right: core.RightPeopleManage, Establishment: w.est.ID, From: clock.Now().Add(-time.Hour), GrantedBy: "system:test"}))
	rd, err := web.NewRenderer(web.RendererConfig{Log: quiet}, serviceweb.Assets())
	if err != nil {
		t.Fatal(err)
	}
	h := serviceweb.New(serviceweb.Deps{Directory: dir, Passwords: w.auth, Scopes: db, Renderer: rd, Journal: db.Journal,
		FindJournal: db.FindJournal,
		LDAPURLs:    func() []string { return []string{"ldap://annuaire.test:389", "ldaps://annuaire.test:636"} }})
	mux := http.NewServeMux()
	h.Routes(mux, func(next http.Handler) http.Handler { return next })
	w.srv = httptest.NewServer(rd.Wrap(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(rw, r.WithContext(core.ContextWithPrincipal(r.Context(), w.as)))
	})))
	t.Cleanup(w.srv.Close)
	w.actAs("tech")
	return w
}

func (w *world) actAs(login string) {
	w.t.Helper()
	p, err := w.auth.PrincipalForLogin(context.Background(), login)
	if err != nil {
		w.t.Fatal(err)
	}
	p.Channel = core.ChannelWeb
	w.as = p
}

func (w *world) get(path string) (int, string) {
	w.t.Helper()
	r, err := http.Get(w.srv.URL + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

func (w *world) post(path string, form url.Values) (*http.Response, string) {
	w.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.PostForm(w.srv.URL+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r, string(b)
}

func (w *world) account(login string) *directory.Person {
	w.t.Helper()
	p, err := w.db.FindPersonByLogin(context.Background(), login)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func (w *world) scope(id string) directory.ServiceScope {
	w.t.Helper()
	m, err := w.db.ServiceScopes(context.Background())
	must(w.t, err)
	return m[id]
}

func (w *world) journal(action, target string) []*journal.Entry {
	w.t.Helper()
	es, err := w.db.FindJournal(context.Background(), journal.Filter{Action: action, Target: target, Limit: 100})
	must(w.t, err)
	return es
}

// bind checks a password the way the LDAP server does.
func (w *world) bind(login, pw string) error {
	_, _, err := w.auth.Authenticate(context.Background(), auth.Attempt{Login: login, Password: pw,
		Channel: core.ChannelLDAP, Source: "127.0.0.1"})
	return err
}

var passwordRE = regexp.MustCompile(`data-secret>([^<]+)<`)

// password returns the password a secret page shows.
func password(t *testing.T, body string) string {
	t.Helper()
	m := passwordRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no password on the page:\n%s", body)
	}
	return m[1]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func contains(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Fatalf("page lacks %q:\n%s", s, body)
		}
	}
}

func createForm(login, est string, attrs, profiles []string) url.Values {
	return url.Values{"login": {login}, "display": {"Moodle du collège"}, "est": {est}, "attr": attrs, "profile": profiles}
}

// CARINE: INF-ANN-6, INF-ANN-4 — a technical admin creates an application
// account from the console: it reads only the ticked attributes and
// profiles from its first instant, its random password is shown once with
// the bind DN and the directory's addresses, kept only as a hash, binds
// over LDAP without a change demanded, and the creation and the scope are
// journaled.
func TestCreateServiceAccount_INF_ANN_6(t *testing.T) {
	w := newWorld(t)
	code, body := w.get(serviceweb.Path + "/new")
	if code != 200 {
		t.Fatalf("form: %d", code)
	}
	contains(t, body, "Nouveau compte d’application", `<legend>Attributs lus</legend>`, `value="entpersonjointure"`,
		`value="memberof"`, `<legend>Profils visibles</legend>`, `value="teacher"`)
	if strings.Contains(strings.ToLower(body), "userpassword") {
		t.Fatal("the form offers userPassword")
	}
	r, body := w.post(serviceweb.Path, createForm("Moodle", w.est.ID, []string{"uid", "mail", "entpersonjointure"}, []string{"teacher", "pupil"}))
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q\n%s", r.StatusCode, r.Header.Get("Cache-Control"), body)
	}
	pw := password(t, body)
	contains(t, body, "uid=moodle,ou=people,ou="+w.est.UAI+",dc=preau", "ldaps://annuaire.test:636", "n’est affiché qu’une fois")
	a := w.account("moodle")
	if !a.Service || a.MustChangePassword || a.Profile != core.ProfileStaff || a.DisplayName != "Moodle du collège" ||
		!slices.Equal(a.Establishments, []string{w.est.ID}) {
		t.Fatalf("account: %+v", a)
	}
	if sc := w.scope(a.ID); !slices.Equal(sc.Attrs, []string{"uid", "mail", "entpersonjointure"}) ||
		!slices.Equal(sc.Profiles, []core.Profile{core.ProfileTeacher, core.ProfilePupil}) {
		t.Fatalf("scope: %+v", sc)
	}
	rec, err := w.db.FindLoginPerson(context.Background(), "moodle")
	must(t, err)
	if rec.Hash == pw || !strings.HasPrefix(rec.Hash, "$argon2id$") {
		t.Fatalf("stored password: %q", rec.Hash)
	}
	must(t, w.bind("moodle", pw))
	if len(w.journal("directory.person.create", a.ID)) != 1 || len(w.journal("directory.service.scope", a.ID)) != 1 {
		t.Fatal("creation and scope not journaled")
	}
	// Never again: the account page and the list do not show it.
	_, body = w.get(serviceweb.Path + "/" + a.ID)
	contains(t, body, "uid=moodle,ou=people", "<code>uid</code>", "Enseignants", `value="mail" checked`, `value="teacher" checked`)
	if strings.Contains(body, pw) {
		t.Fatal("the account page shows the password again")
	}
	_, body = w.get(serviceweb.Path)
	contains(t, body, "<caption>1 compte d’application</caption>", `<th scope="row">`, "moodle", "Moodle du collège",
		w.est.Name, "Actif", "<code>entpersonjointure</code>")
	if strings.Contains(body, pw) {
		t.Fatal("the list shows the password")
	}
	// Default scope when nothing is ticked; the login is taken now.
	r, _ = w.post(serviceweb.Path, createForm("wifi-cdi", w.est.ID, nil, nil))
	if r.StatusCode != 200 || !w.scope(w.account("wifi-cdi").ID).IsZero() {
		t.Fatalf("default-scope account: %d", r.StatusCode)
	}
	_, body = w.get(serviceweb.Path)
	contains(t, body, "Par défaut (identité, POSIX et groupes ; tous les profils)")
	if r, body = w.post(serviceweb.Path, createForm("moodle", w.est.ID, nil, nil)); r.StatusCode != 409 {
		t.Fatalf("a taken login: %d", r.StatusCode)
	}
	contains(t, body, "L’identifiant moodle est déjà pris.")
	if r, body = w.post(serviceweb.Path, createForm("mood le!", w.est.ID, nil, nil)); r.StatusCode != 422 {
		t.Fatalf("a bad login: %d", r.StatusCode)
	}
	contains(t, body, "Identifiant refusé")
}

// CARINE: INF-ANN-6 — a scope naming a secret or an attribute the schema
// does not have is refused with the attribute's name, and nothing is
// created or changed.
func TestServiceAccountBadAttributeRefused_INF_ANN_6(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{createForm("svc1", w.est.ID, []string{"uid", "userPassword"}, nil), "L’attribut userPassword n’est jamais lisible par une application."},
		{url.Values{"login": {"svc2"}, "display": {"X"}, "est": {w.est.ID}, "extra": {"mail, dateNaissance"}}, "L’attribut « dateNaissance » n’existe pas dans le schéma"},
		{createForm("svc3", w.est.ID, nil, []string{"parent"}), "Le profil « parent » n’existe pas."},
	} {
		r, body := w.post(serviceweb.Path, c.form)
		if r.StatusCode != 422 {
			t.Fatalf("%v: %d", c.form, r.StatusCode)
		}
		contains(t, body, c.want, "error-summary")
		if _, err := w.db.FindPersonByLogin(context.Background(), c.form.Get("login")); !core.IsKind(err, core.NotFound) {
			t.Fatalf("a refused form created %s", c.form.Get("login"))
		}
	}
	r, _ := w.post(serviceweb.Path, createForm("nextcloud", w.est.ID, []string{"uid"}, nil))
	if r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	a := w.account("nextcloud")
	r, body := w.post(serviceweb.Path+"/"+a.ID, url.Values{"action": {"scope"}, "attr": {"uid"}, "extra": {"sambaNTPassword"}})
	if r.StatusCode != 422 {
		t.Fatalf("scope with a secret: %d", r.StatusCode)
	}
	contains(t, body, "sambaNTPassword n’est jamais lisible", `value="uid" checked`, "Attributs : <code>uid</code>")
	if sc := w.scope(a.ID); !slices.Equal(sc.Attrs, []string{"uid"}) || len(w.journal("directory.service.scope", a.ID)) != 1 {
		t.Fatalf("a refused scope changed it: %+v", sc)
	}
}

// CARINE: INF-ANN-4, INF-ANN-1 — the account page changes the scope, gives
// the default back, resets the password (a new one shown once, no change
// demanded, the old one refused) and disables and enables the account,
// each through the service that journals it.
func TestServiceAccountScopeResetDisable_INF_ANN_4(t *testing.T) {
	w := newWorld(t)
	w.actAs("principal") // a head administers their establishment's accounts too
	r, body := w.post(serviceweb.Path, createForm("imprimante", w.est.ID, []string{"uid"}, nil))
	if r.StatusCode != 200 {
		t.Fatalf("create: %d\n%s", r.StatusCode, body)
	}
	first := password(t, body)
	a := w.account("imprimante")
	page := serviceweb.Path + "/" + a.ID
	r, _ = w.post(page, url.Values{"action": {"scope"}, "attr": {"uid", "cn", "mail"}, "extra": {"rfc822Mailbox, gecos"},
		"profile": {"staff"}})
	if r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), page) {
		t.Fatalf("scope: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if sc := w.scope(a.ID); !slices.Equal(sc.Attrs, []string{"uid", "cn", "mail", "gecos"}) ||
		!slices.Equal(sc.Profiles, []core.Profile{core.ProfileStaff}) {
		t.Fatalf("scope: %+v", sc)
	}
	_, body = w.get(page)
	contains(t, body, `id="f-extra" name="extra" type="text" value="gecos"`, `value="cn" checked`, `value="staff" checked`)
	r, _ = w.post(page, url.Values{"action": {"default"}})
	if r.StatusCode != 303 || !w.scope(a.ID).IsZero() {
		t.Fatalf("default scope: %d %+v", r.StatusCode, w.scope(a.ID))
	}
	es := w.journal("directory.service.scope", a.ID)
	if len(es) != 3 || es[2].Reason != "default scope" || es[2].ActorLogin != "principal" ||
		es[1].Reason != "attributes: uid,cn,mail,gecos; profiles: staff" {
		t.Fatalf("scope journal: %+v", es)
	}

	r, body = w.post(page, url.Values{"action": {"reset"}})
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset: %d", r.StatusCode)
	}
	contains(t, body, "Nouveau mot de passe du compte d’application", "uid=imprimante,ou=people")
	second := password(t, body)
	if second == first {
		t.Fatal("the reset kept the password")
	}
	if err := w.bind("imprimante", first); err == nil {
		t.Fatal("the old password still binds")
	}
	must(t, w.bind("imprimante", second))
	if w.account("imprimante").MustChangePassword {
		t.Fatal("a reset demands a change of a service account")
	}
	if len(w.journal("auth.password.reset", a.ID)) != 1 {
		t.Fatal("reset not journaled")
	}

	r, _ = w.post(page, url.Values{"action": {"disable"}})
	if r.StatusCode != 303 || w.account("imprimante").State != directory.Disabled {
		t.Fatalf("disable: %d", r.StatusCode)
	}
	if err := w.bind("imprimante", second); !core.IsKind(err, core.Permission) {
		t.Fatalf("a disabled account binds: %v", err)
	}
	_, body = w.get(page)
	contains(t, body, "Désactivé", `value="enable"`)
	r, _ = w.post(page, url.Values{"action": {"enable"}})
	if r.StatusCode != 303 || w.account("imprimante").State != directory.Active {
		t.Fatalf("enable: %d", r.StatusCode)
	}
	if len(w.journal("directory.person.update", a.ID)) != 2 {
		t.Fatal("state changes not journaled")
	}
	if r, _ = w.post(page, url.Values{"action": {"explode"}}); r.StatusCode != 400 {
		t.Fatalf("unknown action: %d", r.StatusCode)
	}
}

// CARINE: INF-ANN-1 — only operators and the administrators (head,
// technical admin) of an account's establishment see and change it: a
// teacher and a holder of people.manage get 403; the head of another
// establishment neither lists, opens, changes nor creates accounts there;
// an operator sees every establishment's.
func TestServiceAccountPermissions_INF_ANN_1(t *testing.T) {
	w := newWorld(t)
	r, _ := w.post(serviceweb.Path, createForm("moodle", w.est.ID, []string{"uid"}, nil))
	if r.StatusCode != 200 {
		t.Fatal(r.StatusCode)
	}
	a := w.account("moodle")
	for _, login := range []string{"prof.durand", "cpe.martin"} {
		w.actAs(login)
		for _, path := range []string{serviceweb.Path, serviceweb.Path + "/new", serviceweb.Path + "/" + a.ID} {
			if code, body := w.get(path); code != 403 || !strings.Contains(body, "Seuls les opérateurs") {
				t.Fatalf("%s GET %s: %d", login, path, code)
			}
		}
		if r, _ := w.post(serviceweb.Path+"/"+a.ID, url.Values{"action": {"reset"}}); r.StatusCode != 403 {
			t.Fatalf("%s reset: %d", login, r.StatusCode)
		}
	}
	w.actAs("proviseur")
	code, body := w.get(serviceweb.Path)
	if code != 200 || strings.Contains(body, "moodle") {
		t.Fatalf("another head's list: %d", code)
	}
	if code, body = w.get(serviceweb.Path + "?est=" + w.est.ID); code != 403 || !strings.Contains(body, "que vous n’administrez pas") {
		t.Fatalf("another head names the establishment: %d", code)
	}
	if code, _ = w.get(serviceweb.Path + "/" + a.ID); code != 404 { // not visible to them, as on the people pages
		t.Fatalf("another head opens the account: %d", code)
	}
	for _, action := range []string{"scope", "default", "reset", "disable"} {
		if r, _ := w.post(serviceweb.Path+"/"+a.ID, url.Values{"action": {action}, "attr": {"cn"}}); r.StatusCode != 404 {
			t.Fatalf("another head's %s: %d", action, r.StatusCode)
		}
	}
	r, body = w.post(serviceweb.Path, createForm("intrus", w.est.ID, nil, nil))
	if r.StatusCode != 403 || !strings.Contains(body, "Vous n’administrez pas l’établissement") {
		t.Fatalf("another head creates here: %d", r.StatusCode)
	}
	if _, err := w.db.FindPersonByLogin(context.Background(), "intrus"); !core.IsKind(err, core.NotFound) {
		t.Fatal("the refused creation happened")
	}
	if sc := w.scope(a.ID); !slices.Equal(sc.Attrs, []string{"uid"}) || w.account("moodle").State != directory.Active {
		t.Fatal("another head changed the account")
	}
	// CARINE: INF-ANN-4 — the attempts the pages refused are journaled,
	// with who tried what on which account; looking is not an attempt.
	refused, err := w.db.FindJournal(context.Background(), journal.Filter{Result: journal.Refused})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range refused {
		got = append(got, e.ActorLogin+" "+e.Action+" "+e.TargetID+e.TargetName)
	}
	want := []string{"prof.durand auth.password.reset " + a.ID, "cpe.martin auth.password.reset " + a.ID,
		"proviseur directory.person.create intrus"}
	if !slices.Equal(got, want) {
		t.Fatalf("refused attempts journaled:\n%q\nwant\n%q", got, want)
	}
	// The head of the lycée manages the lycée's own accounts.
	if r, _ = w.post(serviceweb.Path, createForm("wifi-lycee", w.other.ID, nil, nil)); r.StatusCode != 200 {
		t.Fatalf("a head in their establishment: %d", r.StatusCode)
	}
	w.as = core.Principal{PersonID: core.NewID(), Login: "rectorat", Channel: core.ChannelWeb,
		Grants: []core.Grant{{Right: core.RightOperator}}}
	_, body = w.get(serviceweb.Path)
	contains(t, body, "<caption>2 comptes d’application</caption>", "moodle", "wifi-lycee", w.other.Name)
	if code, _ = w.get(serviceweb.Path + "/" + a.ID); code != 200 {
		t.Fatalf("operator opens: %d", code)
	}
}

// English is available.
func TestServiceAccountPagesInEnglish(t *testing.T) {
	w := newWorld(t)
	req, _ := http.NewRequest("GET", w.srv.URL+serviceweb.Path+"/new", nil)
	req.Header.Set("Accept-Language", "en")
	r, err := http.DefaultClient.Do(req)
	must(t, err)
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	contains(t, string(b), "New application account", "<legend>Attributes read</legend>", "Profiles seen")
}

// CARINE: INF-ANN-6 — an application account's page tells whether and when
// the application last bound (each successful LDAP bind is journaled as
// "auth.login" about the account), so that a technician finds the
// accounts nothing uses any more; refused binds do not count.
func TestServiceAccountLastBind_INF_ANN_6(t *testing.T) {
	w := newWorld(t)
	r, body := w.post(serviceweb.Path, createForm("svc-wifi", w.est.ID, []string{"uid"}, nil))
	if r.StatusCode != 200 {
		t.Fatalf("create: %d\n%s", r.StatusCode, body)
	}
	a := w.account("svc-wifi")
	page := serviceweb.Path + "/" + a.ID
	_, body = w.get(page)
	contains(t, body, "Dernière connexion LDAP", "aucune connexion enregistrée")
	bind := func(source string, result journal.Result) {
		t.Helper()
		e := journal.Entry{Chain: w.est.ID, Action: "auth.login", TargetType: "person", TargetID: a.ID,
			TargetName: a.Login, Result: result}
		e.SetActor(core.Principal{PersonID: a.ID, Login: a.Login, Channel: core.ChannelLDAP, Source: source})
		must(t, w.db.Journal(context.Background(), e))
	}
	bind("10.20.0.7", journal.Done)
	bind("10.20.0.66", journal.Refused)
	_, body = w.get(page)
	contains(t, body, "Dernière connexion LDAP", "depuis 10.20.0.7")
	if strings.Contains(body, "aucune connexion enregistrée") || strings.Contains(body, "10.20.0.66") {
		t.Fatalf("the page shows no bind, or the refused one:\n%s", body)
	}
	_, body = w.get(page + "?lang=en")
	contains(t, body, "Last LDAP bind", "from 10.20.0.7")
}
