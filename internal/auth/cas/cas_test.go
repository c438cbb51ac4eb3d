// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package cas_test

import (
	"encoding/xml"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/cas"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/journal"
)

// CARINE: INF-AUT-3 (SSO that passes on the method used), INF-AUT-13 (every
// authentication traced) — a CAS client logs in through Préau's own login
// form, gets a ticket and validates it with CAS 3 (XML and JSON), CAS 2 and
// CAS 1; the method of the proof, the SDET identity and the isFromNewLogin
// flag reach the application, and the sign-in is journaled.
func TestCASTicketRoundTrip_INF_AUT_3(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b)
			// No session: off to the login form, which comes back here.
			resp, _ := e.get(e.browser, loginURL(e.service))
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/login?next=") {
				t.Fatalf("anonymous /cas/login: %d %s", resp.StatusCode, loc)
			}
			next, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/login?next="))
			if back := e.login(e.browser, next); back != next {
				t.Fatalf("login went to %s, not %s", back, next)
			}
			resp, _ = e.get(e.browser, next)
			target := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(target, e.service+"&ticket=ST-") {
				t.Fatalf("after login: %d %s does not append the ticket to %s", resp.StatusCode, target, e.service)
			}
			r := e.validateXML(cas.P3ServiceValidatePath, e.service, ticketOf(t, target))
			if r.Failure != nil || r.Success.User != "zoe.martin" {
				t.Fatalf("p3 validation: %+v %+v", r.Success, r.Failure)
			}
			a := r.attrs()
			want := map[string][]string{
				"uid": {"zoe.martin"}, "ENTPersonProfils": {"National_ELV"}, "ENTEleveClasses": {"5B"},
				"ENTPersonStructRattachRNE": {e.est.UAI}, "ESCOUAI": {e.est.UAI}, "memberOf": {"5B"},
				"mail": {"zoe.martin@e999001.demo.test"}, "amr": {"pwd"}, "acr": {sso.ACR(1)},
				"isFromNewLogin": {"true"}, "longTermAuthenticationRequestTokenUsed": {"false"},
				"credentialType":       {"UsernamePasswordCredential"},
				"authenticationMethod": {"PasswordAuthenticationHandler"},
				"authenticationDate":   {e.clock.Now().Format("2006-01-02T15:04:05.000Z")},
			}
			for k, v := range want {
				if !slices.Equal(a[k], v) {
					t.Errorf("attribute %s = %q, want %q", k, a[k], v)
				}
			}
			if _, ok := a["authnContextClass"]; ok {
				t.Errorf("a password session released authnContextClass: %q", a["authnContextClass"])
			}

			// Later, the SSO session gives tickets without a form, by redirect.
			e.clock.Advance(time.Minute)
			st := e.ticket(e.browser, e.service)
			j := e.validateJSON(cas.P3ServiceValidatePath, e.service, st)
			s := j.ServiceResponse.Success
			if s == nil || s.User != "zoe.martin" || !slices.Contains(s.Attributes["amr"], "pwd") ||
				!slices.Equal(s.Attributes["ENTPersonProfils"], []string{"National_ELV"}) ||
				!slices.Equal(s.Attributes["isFromNewLogin"], []string{"false"}) {
				t.Fatalf("p3 JSON validation: %+v", j.ServiceResponse)
			}
			// CAS 2 releases no attributes.
			r = e.validateXML(cas.ServiceValidatePath, e.service, e.ticket(e.browser, e.service))
			if r.Success == nil || r.Success.User != "zoe.martin" || len(r.attrs()) != 0 {
				t.Fatalf("CAS 2 validation: %+v", r)
			}
			// proxyValidate accepts service tickets and ignores pgtUrl.
			r = e.validateXML(cas.P3ProxyValidatePath, e.service, e.ticket(e.browser, e.service),
				"pgtUrl", "https://elsewhere.example/pgt")
			if r.Success == nil || r.Success.User != "zoe.martin" {
				t.Fatalf("proxyValidate: %+v", r)
			}
			// CAS 1.
			st = e.ticket(e.browser, e.service)
			if got := e.validate(cas.ValidatePath, url.Values{"service": {e.service}, "ticket": {st}}); got != "yes\nzoe.martin\n" {
				t.Fatalf("CAS 1: %q", got)
			}
			if got := e.validate(cas.ValidatePath, url.Values{"service": {e.service}, "ticket": {st}}); got != "no\n\n" {
				t.Fatalf("CAS 1 replay: %q", got)
			}

			var issued []*journal.Entry
			for _, en := range e.journal("auth.sso.cas") {
				if en.Action == "auth.sso.cas" {
					issued = append(issued, en)
				}
			}
			if len(issued) != 5 || issued[0].TargetName != "Pronote" || issued[0].ActorLogin != "zoe.martin" ||
				issued[0].Chain != e.est.ID || issued[0].Result != journal.Done || issued[0].Reason != "new login" ||
				issued[1].Reason != "" {
				t.Fatalf("ticket journal: %d entries, first %+v", len(issued), issued)
			}
		})
	}
}

// CARINE: INF-AUT-3 — renew=true sends even a logged-in person back to the
// login form; the ticket given after the new proof says isFromNewLogin,
// and validation with renew=true refuses a ticket from the SSO session.
func TestCASRenewForcesNewLogin_INF_AUT_3(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	e.login(e.browser, "/")
	e.clock.Advance(time.Minute)
	old := e.ticket(e.browser, e.service)
	r := e.validateXML(cas.P3ServiceValidatePath, e.service, old, "renew", "true")
	if r.Failure == nil || r.Failure.Code != "INVALID_TICKET" {
		t.Fatalf("renew validation of an SSO ticket: %+v", r)
	}

	resp, _ := e.get(e.browser, loginURL(e.service, "renew", "true"))
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/login?reauth=1&next=") {
		t.Fatalf("renew=true: %d %s", resp.StatusCode, loc)
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/login?reauth=1&next="))
	nu, _ := url.Parse(next)
	if nu.Path != cas.LoginPath || nu.Query().Has("renew") || nu.Query().Get("fresh") == "" ||
		nu.Query().Get("service") != e.service {
		t.Fatalf("the login page would come back to %s", next)
	}
	// Skipping the form does not help: the session is older than the mark.
	if resp, _ := e.get(e.browser, next); !strings.HasPrefix(resp.Header.Get("Location"), "/login?reauth=1&") {
		t.Fatalf("the fresh mark was honoured without a new login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := e.get(e.browser, loc)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("the re-authentication form: %d", resp.StatusCode)
	}
	// A logged-in browser posts the form with the session's CSRF token.
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatalf("no CSRF token on the re-authentication page:\n%s", body)
	}
	e.clock.Advance(time.Minute)
	resp, body = e.post(e.browser, "/login", url.Values{"login": {e.pupil.Login}, "password": {password},
		"next": {next}, "csrf": {csrf[1]}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next {
		t.Fatalf("re-authentication: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	resp, _ = e.get(e.browser, next)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("after the new login: %d", resp.StatusCode)
	}
	st := ticketOf(t, resp.Header.Get("Location"))
	r = e.validateXML(cas.P3ServiceValidatePath, e.service, st, "renew", "true")
	if r.Success == nil || !slices.Equal(r.attrs()["isFromNewLogin"], []string{"true"}) {
		t.Fatalf("renew validation after a new login: %+v %+v", r.Success, r.Failure)
	}
}

// CARINE: INF-AUT-13 — a replayed ticket, a ticket shown by another
// service, an expired ticket and malformed requests are refused with the
// protocol's codes and journaled, without the ticket.
func TestCASRefusedValidations_INF_AUT_13(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	e.login(e.browser, "/")
	st := e.ticket(e.browser, e.service)
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, st); r.Success == nil {
		t.Fatalf("first validation: %+v", r.Failure)
	}
	code := func(r *casResponse) string {
		if r.Failure == nil {
			return "success"
		}
		return r.Failure.Code
	}
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, st); code(r) != "INVALID_TICKET" ||
		!strings.Contains(r.Failure.Msg, "not recognized") {
		t.Fatalf("replay: %s", code(r))
	}
	other := e.app.URL + "/autre"
	st = e.ticket(e.browser, e.service)
	if r := e.validateXML(cas.ServiceValidatePath, other, st); code(r) != "INVALID_SERVICE" {
		t.Fatalf("another service: %s", code(r))
	}
	if r := e.validateXML(cas.ServiceValidatePath, e.service, st); code(r) != "INVALID_TICKET" {
		t.Fatalf("a ticket shown to the wrong service must be consumed: %s", code(r))
	}
	st = e.ticket(e.browser, e.service)
	e.clock.Advance(31 * time.Second)
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, st); code(r) != "INVALID_TICKET" {
		t.Fatalf("expired: %s", code(r))
	}
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, ""); code(r) != "INVALID_REQUEST" {
		t.Fatalf("no ticket: %s", code(r))
	}
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, "PT-123"); code(r) != "INVALID_TICKET_SPEC" {
		t.Fatalf("proxy ticket: %s", code(r))
	}
	j := e.validateJSON(cas.P3ServiceValidatePath, e.service, st)
	if f := j.ServiceResponse.Failure; f == nil || f.Code != "INVALID_TICKET" {
		t.Fatalf("JSON failure: %+v", j.ServiceResponse)
	}

	var reasons []string
	for _, en := range e.journal("auth.sso.cas.validate") {
		if en.Result != journal.Refused || en.Channel != "api" {
			t.Errorf("entry %+v", en)
		}
		for _, f := range append([]string{en.Reason, en.TargetName, en.TargetID}, en.Attributes...) {
			if strings.Contains(f, "ST-") {
				t.Errorf("a journal entry holds a ticket: %+v", en)
			}
		}
		reasons = append(reasons, en.Reason)
	}
	want := []string{"INVALID_TICKET", "INVALID_SERVICE", "INVALID_TICKET", "INVALID_TICKET", "INVALID_REQUEST",
		"INVALID_TICKET_SPEC", "INVALID_TICKET"}
	if !slices.Equal(reasons, want) {
		t.Fatalf("journaled reasons %q, want %q", reasons, want)
	}
}

// CARINE: INF-AUT-13 — an unregistered or disabled application is refused
// with a French page that names it, and the refusal is journaled. A
// pattern never matches a look-alike host.
func TestCASUnregisteredService_INF_AUT_13(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	e.register("ENT", []string{"https://ent.example.fr*"})
	e.register("Vieux GRR", []string{"https://grr.example.fr/*"}, func(c *sso.Client) { c.DisabledAt = e.clock.Now() })
	e.login(e.browser, "/")
	for _, tc := range []struct{ service, want string }{
		{"https://evil.example/steal", "https://evil.example/steal"},
		{"https://ent.example.fr.evil.org/", "https://ent.example.fr.evil.org/"},
		{"https://grr.example.fr/login", "Vieux GRR"},
		{"javascript:alert(1)", "javascript:alert(1)"},
	} {
		resp, body := e.get(e.browser, loginURL(tc.service))
		if resp.StatusCode == http.StatusFound || resp.StatusCode < 400 ||
			!strings.Contains(html.UnescapeString(body), tc.want) || !strings.Contains(body, "Préau") ||
			!strings.Contains(body, `lang="fr"`) {
			t.Errorf("%s: %d %s\n%s", tc.service, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	if resp, _ := e.get(e.browser, loginURL("https://ent.example.fr/accueil")); resp.StatusCode != http.StatusFound {
		t.Fatalf("a registered pattern: %d", resp.StatusCode)
	}
	var refused []string
	for _, en := range e.journal("auth.sso.cas") {
		if en.Result == journal.Refused {
			refused = append(refused, en.Reason+": "+en.TargetName)
		}
	}
	want := []string{"unregistered service: https://evil.example/steal",
		"unregistered service: https://ent.example.fr.evil.org/", "application disabled: Vieux GRR",
		"malformed service URL: javascript:alert(1)"}
	if !slices.Equal(refused, want) {
		t.Fatalf("refusals journaled: %q", refused)
	}
}

// CARINE: INF-AUT-3 — gateway=true never shows a login form: without a
// session the browser goes back to the application without a ticket; with
// one it gets a ticket as usual.
func TestCASGateway_INF_AUT_3(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	resp, _ := e.get(e.browser, loginURL(e.service, "gateway", "true"))
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != e.service {
		t.Fatalf("gateway without session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.login(e.browser, "/")
	resp, _ = e.get(e.browser, loginURL(e.service, "gateway", "true"))
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "ticket=ST-") {
		t.Fatalf("gateway with a session: %d %s", resp.StatusCode, loc)
	}
}

// CARINE: INF-AUT-3 — an application that requires strong authentication
// gets no ticket from a password session; method=POST posts the ticket
// with a form that the page's CSP allows.
func TestCASStrongLevelAndPostMethod_INF_AUT_3(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	strong := e.register("Vie scolaire", []string{"https://vs.example.fr/*"}, func(c *sso.Client) { c.MinLevel = 2 })
	e.login(e.browser, "/")
	resp, body := e.get(e.browser, loginURL("https://vs.example.fr/cas"))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "authentification forte") ||
		!strings.Contains(body, "Vie scolaire") {
		t.Fatalf("strong application: %d\n%s", resp.StatusCode, body)
	}
	es := e.journal("auth.sso.cas")
	if last := es[len(es)-1]; last.TargetID != strong.ID || last.Result != journal.Refused {
		t.Fatalf("strong refusal journal: %+v", last)
	}

	resp, body = e.get(e.browser, loginURL(e.service, "method", "POST"))
	m := regexp.MustCompile(`<form method="post" action="([^"]+)" data-cas-submit>\s*<input type="hidden" name="ticket" value="(ST-[^"]+)">`).
		FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil || html.UnescapeString(m[1]) != e.service ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action 'self' "+e.app.URL) ||
		!strings.Contains(body, `<script src="/cas/post.js" defer>`) {
		t.Fatalf("method=POST: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), body)
	}
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, m[2]); r.Success == nil {
		t.Fatalf("posted ticket: %+v", r.Failure)
	}
	if resp, body := e.get(e.browser, "/cas/post.js"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "submit") {
		t.Fatalf("post.js: %d", resp.StatusCode)
	}
}

// An application that lists its attributes receives only those of the
// identity, and always those of the authentication.
func TestCASAttributeRelease(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	e.register("Cantine", []string{"https://cantine.example.fr/*"},
		func(c *sso.Client) { c.Attributes = []string{"uid", "entpersonprofils"} })
	e.login(e.browser, "/")
	service := "https://cantine.example.fr/?a=1"
	a := e.validateXML(cas.P3ServiceValidatePath, service, e.ticket(e.browser, service)).attrs()
	if !slices.Equal(a["uid"], []string{"zoe.martin"}) || a["ENTPersonProfils"] == nil || a["amr"] == nil ||
		a["authenticationDate"] == nil || a["mail"] != nil || a["memberOf"] != nil || a["ESCOUAI"] != nil {
		t.Fatalf("restricted release: %q", a)
	}
}

// CARINE: INF-AUT-3 — logging out at /cas/logout, or through the portal,
// ends the Préau session and POSTs a SAML LogoutRequest whose SessionIndex
// is the ticket to each application that asked for single logout.
func TestCASSingleLogout_INF_AUT_3(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	e.login(e.browser, "/")
	st := e.ticket(e.browser, e.service)
	if r := e.validateXML(cas.P3ServiceValidatePath, e.service, st); r.Success == nil {
		t.Fatalf("validation: %+v", r.Failure)
	}
	resp, _ := e.get(e.browser, cas.LogoutPath+"?service="+url.QueryEscape(e.app.URL+"/"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != e.app.URL+"/" {
		t.Fatalf("/cas/logout?service=: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := e.received()
	if len(got) != 1 {
		t.Fatalf("the application got %d logout requests", len(got))
	}
	var lr struct {
		XMLName      xml.Name `xml:"urn:oasis:names:tc:SAML:2.0:protocol LogoutRequest"`
		ID           string   `xml:"ID,attr"`
		Version      string   `xml:"Version,attr"`
		NameID       string   `xml:"urn:oasis:names:tc:SAML:2.0:assertion NameID"`
		SessionIndex string   `xml:"urn:oasis:names:tc:SAML:2.0:protocol SessionIndex"`
	}
	if err := xml.Unmarshal([]byte(got[0]), &lr); err != nil || lr.SessionIndex != st || lr.NameID != "@NOT_USED@" ||
		lr.Version != "2.0" || lr.ID == "" {
		t.Fatalf("logout request %v: %+v\n%s", err, lr, got[0])
	}
	if resp, _ := e.get(e.browser, loginURL(e.service)); !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("the session survived /cas/logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The portal's logout button does the same.
	e.login(e.browser, "/")
	st = e.ticket(e.browser, e.service)
	if r := e.validateXML(cas.ServiceValidatePath, e.service, st); r.Success == nil {
		t.Fatalf("validation: %+v", r.Failure)
	}
	_, body := e.get(e.browser, "/login?reauth=1")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the layout:\n%s", body)
	}
	if resp, body := e.post(e.browser, "/logout", url.Values{"csrf": {m[1]}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("portal logout: %d\n%s", resp.StatusCode, body)
	}
	if got := e.received(); len(got) != 2 || !strings.Contains(got[1], "<samlp:SessionIndex>"+st+"</samlp:SessionIndex>") {
		t.Fatalf("portal logout did not log the application out: %q", got)
	}

	// Without a registered service to return to, a page says so.
	resp, body = e.get(e.browser, cas.LogoutPath+"?url="+url.QueryEscape("https://evil.example/"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Vous êtes déconnecté") {
		t.Fatalf("/cas/logout page: %d\n%s", resp.StatusCode, body)
	}
}

// CARINE: INF-AUT-7 — a person who must change their password gets no
// ticket: the browser goes to the password page.
func TestCASMustChangePassword(t *testing.T) {
	e := newEnv(t, backends(t)[0])
	must(t, e.db.ExecForTest(t.Context(), `UPDATE people SET must_change = true WHERE id = $1`, e.pupil.ID))
	if back := e.login(e.browser, loginURL(e.service)); back != "/password" {
		t.Fatalf("must-change login went to %s", back)
	}
	resp, _ := e.get(e.browser, loginURL(e.service))
	if loc := resp.Header.Get("Location"); loc != "/password" {
		t.Fatalf("must-change /cas/login: %d %s", resp.StatusCode, loc)
	}
	for _, en := range e.journal("auth.sso.cas") {
		if en.Result == journal.Done {
			t.Fatalf("a ticket was issued: %+v", en)
		}
	}
}
