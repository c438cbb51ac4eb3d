// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/proxyd"
	"github.com/preau/preau/internal/logs"
)

// originPKI makes a CA and a server certificate for names, as a public
// site's would be.
func originPKI(t *testing.T, names ...string) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Origin Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, lt, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type interceptEnv struct {
	*env
	ic       *proxyd.Interceptor
	caFile   string
	port     string // the TLS origin's port
	untruste string // port of an origin whose certificate nobody trusts
}

func startIntercept(t *testing.T) *interceptEnv {
	roots, cert := originPKI(t, "secure.example", "files.example", "casino.example", "bank.example")
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls origin %s %s via=%q", r.Host, r.URL.RequestURI(), r.Header.Get("Via"))
	}))
	origin.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	origin.StartTLS()
	t.Cleanup(origin.Close)
	_, other := originPKI(t, "secure.example")
	untrusted := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "untrusted") }))
	untrusted.TLS = &tls.Config{Certificates: []tls.Certificate{other}}
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)
	dir := t.TempDir()
	ic, err := proxyd.LoadOrCreateInterceptCA(dir, "Collège test", roots)
	if err != nil {
		t.Fatal(err)
	}
	e := startWith(t, func(c *proxyd.Config) { c.Intercept = ic })
	st := filter.DefaultSettings()
	st.Profiles[0].Intercept = true // pupils only
	st.Profiles[0].InterceptSkip = []string{"bank"}
	e.eng.SetSettings("est1", st)
	ie := &interceptEnv{env: e, ic: ic, caFile: filepath.Join(dir, "intercept-ca.crt")}
	_, ie.port, _ = net.SplitHostPort(origin.Listener.Addr().String())
	_, ie.untruste, _ = net.SplitHostPort(untrusted.Listener.Addr().String())
	return ie
}

func (e *interceptEnv) client(t *testing.T, login, pw string, trustCA bool) *http.Client {
	pool := x509.NewCertPool()
	if trustCA && !pool.AppendCertsFromPEM(e.ic.CACertPEM()) {
		t.Fatal("CA PEM")
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(&url.URL{Scheme: "http", Host: e.proxy, User: url.UserPassword(login, pw)}),
		TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestInterceptionAppliesURLRules: for a profile with interception on, a
// client that trusts Préau's interception CA gets a certificate for the
// host signed by it; URL rules apply inside HTTPS (a malware URL prefix is
// blocked, the rest of the site is not), blocked hosts show the French
// block page inside HTTPS, each decrypted request is recorded with its
// URL; an origin whose certificate is not trusted is refused (502); a
// profile without interception keeps a plain tunnel (the origin's own
// certificate), and so does a category the profile never intercepts (a
// bank); a device that does not trust the CA fails its handshake.
// CARINE: INF-SEC-1, INF-SEC-4
func TestInterceptionAppliesURLRules_INF_SEC_1(t *testing.T) {
	e := startIntercept(t)
	pupil := e.client(t, "eleve6a", "pw6a", true)
	get := func(c *http.Client, host, port, path string) (int, string, *http.Response) {
		t.Helper()
		resp, err := c.Get("https://" + host + ":" + port + path)
		if err != nil {
			t.Fatalf("%s%s: %v", host, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp
	}
	code, body, resp := get(pupil, "secure.example", e.port, "/page?q=1")
	if code != 200 || !strings.Contains(body, "tls origin secure.example:"+e.port+" /page?q=1") || !strings.Contains(body, `via="1.1 preau"`) {
		t.Fatalf("intercepted allowed request: %d %s", code, body)
	}
	if iss := resp.TLS.PeerCertificates[0].Issuer.CommonName; !strings.Contains(iss, "autorité d'interception") ||
		resp.TLS.PeerCertificates[0].Subject.CommonName != "secure.example" {
		t.Fatalf("leaf certificate: issuer %q subject %q", iss, resp.TLS.PeerCertificates[0].Subject.CommonName)
	}
	if code, body, _ := get(pupil, "files.example", e.port, "/evil/payload.exe"); code != 403 || !strings.Contains(body, "Site bloqué") {
		t.Fatalf("URL rule inside HTTPS: %d %s", code, body)
	}
	r := e.sink.wait(t, func(r logs.Record) bool { return strings.HasSuffix(r.Object, "/evil/payload.exe") })
	if r.Object != "https://files.example:"+e.port+"/evil/payload.exe" || r.Action != "block" || r.Fields["intercept"] != "1" ||
		r.User != "eleve6a" {
		t.Fatalf("record %+v", r)
	}
	if code, _, _ := get(pupil, "files.example", e.port, "/docs/cours.pdf"); code != 200 {
		t.Fatalf("the rest of the site: %d", code)
	}
	if code, body, _ := get(pupil, "casino.example", e.port, "/"); code != 403 || !strings.Contains(body, "Jeux d&#39;argent") {
		t.Fatalf("blocked host inside HTTPS: %d %s", code, body)
	}
	if code, body, _ := get(pupil, "secure.example", e.untruste, "/"); code != 502 || strings.Contains(body, "untrusted") {
		t.Fatalf("origin with an untrusted certificate: %d %s", code, body)
	}
	// The teacher's profile has no interception: a plain tunnel, so the
	// client sees the origin's certificate (which it does not trust here).
	if _, err := e.client(t, "prof", "pwprof", true).Get("https://secure.example:" + e.port + "/"); err == nil ||
		!strings.Contains(err.Error(), "Origin Test CA") && !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("teacher through a plain tunnel: %v", err)
	}
	// Banks are never decrypted: a plain tunnel, the bank's own certificate.
	if _, err := pupil.Get("https://bank.example:" + e.port + "/"); err == nil ||
		!strings.Contains(err.Error(), "Origin Test CA") && !strings.Contains(err.Error(), "unknown authority") {
		t.Fatalf("bank through interception: %v", err)
	}
	// A device without the CA cannot be intercepted silently.
	if _, err := e.client(t, "eleve6a", "pw6a", false).Get("https://secure.example:" + e.port + "/"); err == nil {
		t.Fatal("a device that does not trust the CA got through")
	}
}

// TestInterceptionCAIsKept: the interception CA is created once in the
// data folder (key readable by the owner only) and read back the same.
func TestInterceptionCAIsKept(t *testing.T) {
	dir := t.TempDir()
	a, err := proxyd.LoadOrCreateInterceptCA(dir, "X", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := proxyd.LoadOrCreateInterceptCA(dir, "X", nil)
	if err != nil || a.Fingerprint() != b.Fingerprint() {
		t.Fatalf("CA not kept: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "intercept-ca.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	os.Remove(filepath.Join(dir, "intercept-ca.key"))
	if _, err := proxyd.LoadOrCreateInterceptCA(dir, "X", nil); err == nil {
		t.Fatal("a CA without its key was accepted")
	}
}

// TestCurlThroughInterception uses curl, trusting the interception CA
// (--cacert), against a local TLS origin.
// CARINE: INF-SEC-1
func TestCurlThroughInterception_INF_SEC_1(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("curl is not installed (Debian package curl)")
		}
		t.Skip("curl is not installed (Debian package curl)")
	}
	e := startIntercept(t)
	run := func(u string) string {
		out, _ := exec.Command(curl, "-sS", "--max-time", "10", "-w", "\n%{http_code}", "-x", "http://eleve6a:pw6a@"+e.proxy,
			"--cacert", e.caFile, u).CombinedOutput()
		return string(out)
	}
	if out := run("https://secure.example:" + e.port + "/curl"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, "tls origin secure.example") {
		t.Fatalf("curl allowed: %s", out)
	}
	if out := run("https://casino.example:" + e.port + "/"); !strings.HasSuffix(out, "\n403") || !strings.Contains(out, "Site bloqué") {
		t.Fatalf("curl blocked: %s", out)
	}
	if out := run("https://files.example:" + e.port + "/evil/x"); !strings.HasSuffix(out, "\n403") {
		t.Fatalf("curl URL rule: %s", out)
	}
}
