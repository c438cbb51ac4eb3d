// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// casResponse reads the attributes of a CAS 3 success as name → values.
type casResponse struct {
	User    string `xml:"authenticationSuccess>user"`
	Failure string `xml:"authenticationFailure"`
	Attrs   struct {
		Values []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"authenticationSuccess>attributes"`
}

func (c casResponse) attr(name string) []string {
	var out []string
	for _, v := range c.Attrs.Values {
		if v.XMLName.Local == name {
			out = append(out, v.Value)
		}
	}
	return out
}

// CARINE: INF-AUT-3, INF-AUT-2 — on a running node, a CAS service that
// requires strong authentication (registered with --min-level 2) makes an
// admin step up with the authenticator app, and the ticket's attributes
// say so (amr otp, authnContextClass mfa-gauth, acr loa:2).
func TestCASStepUpEndToEnd_INF_AUT_2(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("sso", "add", "cas", "GLPI", "--service", "https://glpi.example.test/*", "--min-level", "2")
	secret := n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	_, page := n.get("/")
	n.post("/logout", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}})
	if r := n.login("tech", "Un-Mot-De-Passe-Solide"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	service := "https://glpi.example.test/front/login.php"
	r, _ := n.get("/cas/login?service=" + url.QueryEscape(service))
	loc, _ := url.Parse(r.Header.Get("Location"))
	if loc == nil || loc.Path != "/login/second-factor" {
		t.Fatalf("a strong CAS service did not ask for a second factor: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page = n.get(loc.RequestURI())
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	r, _ = n.post("/login/second-factor", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "code": {code},
		"next": {loc.Query().Get("next")}})
	r, _ = n.get(r.Header.Get("Location"))
	back, _ := url.Parse(r.Header.Get("Location"))
	ticket := back.Query().Get("ticket")
	if !strings.HasPrefix(back.String(), service) || !strings.HasPrefix(ticket, "ST-") {
		t.Fatalf("after the step-up: %d %s", r.StatusCode, back)
	}
	// The service validates server-to-server, without cookies.
	resp, err := (&http.Client{Transport: n.client.Transport}).Get(n.base + "/cas/p3/serviceValidate?" +
		url.Values{"service": {service}, "ticket": {ticket}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var cr casResponse
	if err := xml.Unmarshal(body, &cr); err != nil || cr.User != "tech" {
		t.Fatalf("validation: %v\n%s", err, body)
	}
	if amr := cr.attr("amr"); !slices.Contains(amr, "otp") || !slices.Contains(amr, "pwd") ||
		!slices.Equal(cr.attr("authnContextClass"), []string{"mfa-gauth"}) || !slices.Equal(cr.attr("acr"), []string{"urn:preau:loa:2"}) {
		t.Fatalf("attributes after step-up:\n%s", body)
	}
}
