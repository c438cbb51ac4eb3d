// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/proxyd"
)

// binder stands for the store's bindings: address → identity.
type binder struct {
	mu sync.Mutex
	m  map[string]filter.Identity
}

func (b *binder) lookup(ctx context.Context, ip string) (filter.Identity, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.m[ip]
	return id, ok, nil
}

func (b *binder) set(ip string, id *filter.Identity) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if id == nil {
		delete(b.m, ip)
	} else {
		b.m[ip] = *id
	}
}

func noRedirect(c *http.Client) *http.Client {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// TestBoundAddressNeedsNoCredentials: a request without credentials from an
// address a portal login bound gets the bound person's policy (a pupil's:
// gambling blocked; the access record names the user and "binding"); once
// unbound, the address gets 407 again; credentials still win over the
// binding.
// CARINE: INF-AUT-1, INF-SEC-10
func TestBoundAddressNeedsNoCredentials_INF_AUT_1(t *testing.T) {
	b := &binder{m: map[string]filter.Identity{}}
	bindings := filter.NewBindings(b.lookup, time.Minute, nil, nil)
	e := startWith(t, func(c *proxyd.Config) { c.Bindings = bindings })
	anon := e.client("", "")
	if code, _ := e.get(t, anon, "allowed.example", "/"); code != 407 {
		t.Fatalf("unbound address: %d", code)
	}
	zoe := filter.Identity{PersonID: "p9", Login: "zoe.bound", Establishment: "est1", Profile: core.ProfilePupil, Groups: []string{"6A"}}
	b.set("127.0.0.1", &zoe)
	bindings.Forget("127.0.0.1") // a login on this node
	code, body := e.get(t, anon, "allowed.example", "/bound")
	if code != 200 || !strings.Contains(body, "origin allowed.example") {
		t.Fatalf("bound address: %d %s", code, body)
	}
	if r := e.sink.last(); r.User != "zoe.bound" || r.Fields["auth"] != "binding" || r.Action != "allow" {
		t.Fatalf("record %+v", r)
	}
	if code, body := e.get(t, anon, "casino.example", "/"); code != 403 || !strings.Contains(body, "Site bloqué") {
		t.Fatalf("the bound pupil's profile does not apply: %d %s", code, body)
	}
	// Credentials win: the teacher on the same device.
	if code, _ := e.get(t, e.client("prof", "pwprof"), "allowed.example", "/"); code != 200 {
		t.Fatalf("credentials on a bound address: %d", code)
	}
	if r := e.sink.last(); r.User != "prof" || r.Fields["auth"] != "basic" {
		t.Fatalf("record %+v", r)
	}
	// CONNECT without credentials from the bound address passes too.
	if code, body := e.connect(t, "", "", "secure.example"); code != 200 || !strings.Contains(body, "secure origin") {
		t.Fatalf("bound CONNECT: %d %s", code, body)
	}
	b.set("127.0.0.1", nil)
	bindings.Forget("127.0.0.1") // the logout
	if code, _ := e.get(t, anon, "allowed.example", "/"); code != 407 {
		t.Fatalf("after logout: %d", code)
	}
}

// TestCaptivePortalRedirect: where the establishment (or the zone) has the
// captive portal on, a plain-HTTP request without credentials from an
// unbound address is sent to the portal's login page with its URL; a form
// POST gets 511 with the link; CONNECT gets 407 (no page inside TLS);
// credentials are still accepted; elsewhere the proxy answers 407.
// CARINE: INF-AUT-1, INF-SEC-1
func TestCaptivePortalRedirect_INF_AUT_1(t *testing.T) {
	zone := "salle-101"
	e := startWith(t, func(c *proxyd.Config) {
		c.LoginURL = "https://portail.example/internet"
		c.Client = func(ip string) (string, string) { return "est1", zone }
	})
	st := filter.DefaultSettings()
	st.CaptiveZones = []string{"wifi-eleves"}
	e.eng.SetSettings("est1", st)
	anon := noRedirect(e.client("", ""))
	if code, _ := e.get(t, anon, "allowed.example", "/"); code != 407 {
		t.Fatalf("zone without the captive portal: %d", code)
	}
	zone = "wifi-eleves"
	resp, err := anon.Get("http://allowed.example:" + e.origin + "/lesson?q=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "https://portail.example/internet?return=" + url.QueryEscape("http://allowed.example:"+e.origin+"/lesson?q=1")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != want || !strings.Contains(string(body), "Se connecter au portail") ||
		resp.Header.Get("Proxy-Authenticate") != "" {
		t.Fatalf("captive redirect: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if r := e.sink.last(); r.Result != "unauthenticated" || r.Fields["status"] != "302" || r.Establishment != "est1" {
		t.Fatalf("record %+v", r)
	}
	resp, err = anon.Post("http://allowed.example:"+e.origin+"/form", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 511 || !strings.Contains(string(body), `href="https://portail.example/internet?return=`) {
		t.Fatalf("captive POST: %d %s", resp.StatusCode, body)
	}
	if code, _ := e.connect(t, "", "", "secure.example"); code != 407 {
		t.Fatalf("captive CONNECT: %d", code)
	}
	if code, _ := e.get(t, e.client("eleve6a", "pw6a"), "allowed.example", "/"); code != 200 {
		t.Fatalf("credentials in a captive zone: %d", code)
	}
	// The whole establishment.
	zone = ""
	st.Captive = true
	e.eng.SetSettings("est1", st)
	if code, _ := e.get(t, anon, "allowed.example", "/"); code != 302 {
		t.Fatalf("captive establishment: %d", code)
	}
}

// TestInternalDestinationsRefused: the proxy does not reach the server
// itself, link-local addresses (the metadata service) nor the private
// networks, checked on the resolved address — a name that resolves to
// loopback (DNS rebinding) is refused too — for plain HTTP (a 403 page
// naming the reason) and CONNECT; an address range the deployment allows
// is reached.
// CARINE: INF-SEC-1, INF-SEC-n1
func TestInternalDestinationsRefused_INF_SEC_1(t *testing.T) {
	e := startWith(t, func(c *proxyd.Config) {
		c.AllowDestinations = []netip.Prefix{netip.MustParsePrefix("10.99.0.0/16")}
		c.Hosts["rebind.example"] = "127.0.0.1"
		c.Hosts["intranet.example"] = "192.168.1.10"
		c.Hosts["mapped.example"] = "::ffff:127.0.0.1"
		c.Hosts["allowed-lan.example"] = "10.99.0.7"
		c.UpstreamTimeout = 300 * time.Millisecond
	})
	c := e.client("eleve6a", "pw6a")
	for host, want := range map[string]string{
		"rebind.example": "adresse de bouclage 127.0.0.1", "allowed.example": "adresse de bouclage 127.0.0.1",
		"intranet.example": "réseau interne (192.168.1.10)", "169.254.169.254": "métadonnées",
		"[::1]": "adresse de bouclage ::1", "mapped.example": "127.0.0.1", "[fe80::1]": "locale au lien",
		"10.1.2.3": "réseau interne", "0.0.0.0": "non spécifiée"} {
		code, body := e.get(t, c, host, "/")
		if code != 403 || !strings.Contains(body, want) || strings.Contains(body, "origin") {
			t.Errorf("%s: %d %s", host, code, body)
		}
	}
	if r := e.sink.last(); r.Action != "block" || !strings.HasPrefix(r.Fields["rule"], "destination:") {
		t.Fatalf("record %+v", r)
	}
	if code, msg := e.connect(t, "eleve6a", "pw6a", "rebind.example"); code != 403 {
		t.Fatalf("CONNECT to loopback: %d %s", code, msg)
	}
	// An allowed range is dialled (nothing listens there: 502/504, not 403).
	if code, body := e.get(t, c, "allowed-lan.example", "/"); code == 403 {
		t.Fatalf("allowed range refused: %s", body)
	}
}

func TestCheckDestination(t *testing.T) {
	allow := []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}
	for ip, want := range map[string]string{"127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
		"169.254.169.254": "metadata", "169.254.1.1": "link-local", "fe80::1": "link-local", "10.0.0.1": "private",
		"10.20.3.4": "", "172.16.5.5": "private", "172.32.0.1": "", "192.168.0.1": "private", "100.64.1.1": "private",
		"fd12::1": "private", "224.0.0.1": "multicast", "ff02::1": "multicast", "0.0.0.0": "unspecified", "::": "unspecified",
		"::ffff:10.0.0.1": "private", "::ffff:8.8.8.8": "", "8.8.8.8": "", "2001:4860::8888": "", "255.255.255.255": "reserved"} {
		if got := proxyd.CheckDestination(netip.MustParseAddr(ip), allow); got != want {
			t.Errorf("%s: %q, want %q", ip, got, want)
		}
	}
}

// TestCurlBindingAndCaptive uses curl as the real client: without
// credentials, a bound address passes and an unbound one in a captive
// establishment is redirected to the portal.
// CARINE: INF-AUT-1
func TestCurlBindingAndCaptive_INF_AUT_1(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("curl is not installed (Debian package curl)")
		}
		t.Skip("curl is not installed (Debian package curl)")
	}
	b := &binder{m: map[string]filter.Identity{}}
	bindings := filter.NewBindings(b.lookup, time.Minute, nil, nil)
	e := startWith(t, func(c *proxyd.Config) {
		c.Bindings, c.LoginURL = bindings, "https://portail.example/internet"
		c.Client = func(string) (string, string) { return "est1", "" }
	})
	st := filter.DefaultSettings()
	st.Captive = true
	e.eng.SetSettings("est1", st)
	run := func(args ...string) string {
		out, _ := exec.Command(curl, append([]string{"-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "--max-time", "10"}, args...)...).CombinedOutput()
		return string(out)
	}
	if out := run("-x", "http://"+e.proxy, "http://allowed.example:"+e.origin+"/x"); !strings.HasPrefix(out, "302 https://portail.example/internet?return=http") {
		t.Fatalf("curl, unbound: %s", out)
	}
	b.set("127.0.0.1", &filter.Identity{Login: "zoe.bound", Establishment: "est1", Profile: core.ProfilePupil})
	bindings.Forget("127.0.0.1")
	if out := run("-x", "http://"+e.proxy, "http://allowed.example:"+e.origin+"/x"); !strings.HasPrefix(out, "200") {
		t.Fatalf("curl, bound: %s", out)
	}
	if out := run("-x", "http://"+e.proxy, "http://casino.example:"+e.origin+"/"); !strings.HasPrefix(out, "403") {
		t.Fatalf("curl, bound pupil to a gambling site: %s", out)
	}
}

// TestKeepAliveRemembersCredentialsUntilForget: on a keep-alive
// connection the verified credentials are remembered, but a directory
// change (Forget) makes the next request on the same connection check
// them again: a changed password stops working at once.
// CARINE: INF-AUT-1
func TestKeepAliveRemembersCredentialsUntilForget_INF_AUT_1(t *testing.T) {
	e := start(t)
	c := e.client("eleve6a", "pw6a")
	for range 3 {
		if code, _ := e.get(t, c, "allowed.example", "/"); code != 200 {
			t.Fatalf("keep-alive request: %d", code)
		}
	}
	if n := e.users.calls.Load(); n != 1 {
		t.Fatalf("the authenticator ran %d times for one pair", n)
	}
	u := e.users.m["eleve6a"]
	u.pw = "changed"
	e.users.m["eleve6a"] = u
	e.srv.Forget()
	if code, _ := e.get(t, c, "allowed.example", "/"); code != 407 {
		t.Fatalf("old password on the same connection after Forget: %d", code)
	}
}
