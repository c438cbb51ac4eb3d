// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/proxyd"
	"github.com/preau/preau/internal/logs"
)

type clock struct{ t atomic.Pointer[time.Time] }

func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

type sink struct {
	mu   sync.Mutex
	recs []logs.Record
}

func (s *sink) Append(r logs.Record) { s.mu.Lock(); s.recs = append(s.recs, r); s.mu.Unlock() }
func (s *sink) last() logs.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recs) == 0 {
		return logs.Record{}
	}
	return s.recs[len(s.recs)-1]
}

// wait returns the first record ok accepts, waiting for the end of a
// tunnel (its record is written when it closes, with the bytes carried).
func (s *sink) wait(t *testing.T, ok func(logs.Record) bool) logs.Record {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		s.mu.Lock()
		for _, r := range s.recs {
			if ok(r) {
				s.mu.Unlock()
				return r
			}
		}
		s.mu.Unlock()
	}
	t.Fatal("no such access record")
	return logs.Record{}
}

type users struct {
	calls atomic.Int64
	m     map[string]struct {
		pw string
		id proxyd.Identity
	}
}

func (u *users) ProxyAuthenticate(ctx context.Context, login, pw, src string) (proxyd.Identity, error) {
	u.calls.Add(1)
	e, ok := u.m[login]
	if !ok || e.pw != pw {
		return proxyd.Identity{}, core.E("test", core.Unauthenticated, "wrong login or password")
	}
	return e.id, nil
}

type env struct {
	proxy  string // host:port
	origin string // port of the plain origin
	tlsO   string // port of the TLS origin
	eng    *filter.Engine
	clk    *clock
	sink   *sink
	users  *users
	srv    *proxyd.Server
}

// monday10 is a school day, 10:00 in Paris.
var monday10 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func writeTree(t testing.TB, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func start(t testing.TB) *env { t.Helper(); return startWith(t, nil) }

// startWith starts the proxy with the test configuration, changed by edit:
// the origins listen on loopback, which the test proxy opens
// (AllowDestinations); production never does.
func startWith(t testing.TB, edit func(*proxyd.Config)) *env {
	t.Helper()
	lists, err := filter.Load(writeTree(t, map[string]string{
		"gambling/domains":        "casino.example\n",
		"gambling/usage":          "black\n",
		"social_networks/domains": "social.example\n",
		"social_networks/usage":   "black\n",
		"malware/urls":            "files.example/evil\n",
		"malware/usage":           "black\n",
		"illegal/domains":         "illegal.example\n",
		"illegal/usage":           "black\n",
		"bank/domains":            "bank.example\n",
		"bank/usage":              "white\n",
		"global_usage":            "NAME:\tgambling\nDEFAULT_TYPE: black\nNAME FR: Jeux d'argent\nNAME EN: Gambling\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "origin %s %s via=%q auth=%q", r.Host, r.URL.RequestURI(), r.Header.Get("Via"), r.Header.Get("Proxy-Authorization"))
	}))
	t.Cleanup(origin.Close)
	tlsOrigin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "secure origin %s", r.Host)
	}))
	t.Cleanup(tlsOrigin.Close)
	e := &env{eng: filter.NewEngine(), clk: &clock{}, sink: &sink{}}
	e.clk.set(monday10)
	e.eng.SetLists(lists)
	e.users = &users{m: map[string]struct {
		pw string
		id proxyd.Identity
	}{
		"eleve6a": {"pw6a", proxyd.Identity{PersonID: "p1", Login: "eleve6a", Establishment: "est1", Profile: core.ProfilePupil, Groups: []string{"6A"}}},
		"eleve5b": {"pw5b", proxyd.Identity{PersonID: "p2", Login: "eleve5b", Establishment: "est1", Profile: core.ProfilePupil, Groups: []string{"5B"}}},
		"prof":    {"pwprof", proxyd.Identity{PersonID: "p3", Login: "prof", Establishment: "est1", Profile: core.ProfileTeacher}},
	}}
	hosts := map[string]string{}
	for _, h := range []string{"allowed.example", "www.casino.example", "casino.example", "files.example", "illegal.example",
		"social.example", "exam.example", "secure.example", "blocked.example", "bank.example"} {
		hosts[h] = "127.0.0.1"
	}
	cfg := proxyd.Config{Engine: e.eng, Auth: e.users, Sink: e.sink, Hosts: hosts, Now: e.clk.now,
		Via: true, AskURL: "https://preau.example/filter/ask", AllowDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	if edit != nil {
		edit(&cfg)
	}
	srv := proxyd.New(cfg, nil)
	e.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	e.proxy = ln.Addr().String()
	_, e.origin, _ = net.SplitHostPort(origin.Listener.Addr().String())
	_, e.tlsO, _ = net.SplitHostPort(tlsOrigin.Listener.Addr().String())
	return e
}

func (e *env) client(login, pw string) *http.Client {
	pu := &url.URL{Scheme: "http", Host: e.proxy}
	if login != "" {
		pu.User = url.UserPassword(login, pw)
	}
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu),
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
}

func (e *env) get(t *testing.T, c *http.Client, host, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+host+":"+e.origin+path, nil)
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// CARINE: INF-SEC-1
func TestAllowedRequestIsForwardedAndRecorded_INF_SEC_1(t *testing.T) {
	e := start(t)
	c := e.client("eleve6a", "pw6a")
	code, body := e.get(t, c, "allowed.example", "/page?x=1")
	if code != 200 || !strings.Contains(body, "origin allowed.example:"+e.origin+" /page?x=1") || !strings.Contains(body, `via="1.1 preau"`) {
		t.Fatalf("%d %s", code, body)
	}
	if strings.Contains(body, "pw6a") || !strings.Contains(body, `auth=""`) {
		t.Fatalf("proxy credentials leaked upstream: %s", body)
	}
	r := e.sink.wait(t, func(r logs.Record) bool { return r.Object == "http://allowed.example:"+e.origin+"/page?x=1" })
	if r.Class != logs.ClassConnection || r.User != "eleve6a" || r.Action != "allow" || r.Source != "127.0.0.1" ||
		r.Fields["bytes"] == "0" || r.Fields["rule"] != "default" ||
		r.Establishment != "est1" {
		t.Fatalf("access record %+v", r)
	}
	// Keep-alive: the same client, many requests, one credential check.
	for range 5 {
		e.get(t, c, "allowed.example", "/")
	}
	if n := e.users.calls.Load(); n != 1 {
		t.Fatalf("the password was verified %d times, want once (cache)", n)
	}
}

// CARINE: INF-SEC-4
func TestCategoryBlockShowsFrenchPage_INF_SEC_4(t *testing.T) {
	e := start(t)
	code, body := e.get(t, e.client("eleve6a", "pw6a"), "www.casino.example", "/")
	if code != 403 {
		t.Fatalf("%d %s", code, body)
	}
	for _, want := range []string{"Site bloqué", "www.casino.example", "Jeux d&#39;argent", "Profil de filtrage « pupil »",
		"Demander l&#39;ouverture de ce site", "https://preau.example/filter/ask?site=www.casino.example", `lang="fr"`} {
		if !strings.Contains(body, want) {
			t.Errorf("block page lacks %q:\n%s", want, body)
		}
	}
	r := e.sink.last()
	if r.Action != "block" || r.Fields["category"] != "gambling" || r.Fields["rule"] != "profile:pupil" {
		t.Fatalf("record %+v", r)
	}
	if code, _ := e.get(t, e.client("prof", "pwprof"), "casino.example", "/"); code != 200 {
		t.Fatalf("teacher: %d", code)
	}
}

func TestURLPrefixBlock(t *testing.T) {
	e := start(t)
	c := e.client("eleve6a", "pw6a")
	if code, _ := e.get(t, c, "files.example", "/evil/payload.exe"); code != 403 {
		t.Fatalf("url prefix not blocked: %d", code)
	}
	if code, _ := e.get(t, c, "files.example", "/evilness"); code != 200 {
		t.Fatalf("a path merely starting like the entry is blocked: %d", code)
	}
}

// CARINE: INF-SEC-5, INF-SEC-7
func TestNationalBlockNotLiftable_INF_SEC_5(t *testing.T) {
	e := start(t)
	s := filter.DefaultSettings()
	s.Profiles[0].AllowSites = []string{"illegal.example"}
	e.eng.Update(nil, filter.National{Categories: []string{"illegal"}}, map[string]filter.Settings{"est1": s},
		[]filter.Override{{ID: "d", Establishment: "est1", Kind: filter.KindDelegation, Target: "6A", Allow: true,
			Site: "illegal.example", From: monday10, Until: monday10.Add(time.Hour)}})
	code, body := e.get(t, e.client("eleve6a", "pw6a"), "illegal.example", "/")
	if code != 403 || !strings.Contains(body, "Liste nationale") || strings.Contains(body, "Demander") {
		t.Fatalf("%d %s", code, body)
	}
}

// CARINE: INF-SEC-6, INF-SEC-9
func TestDelegationForOneClassUntilItExpires_INF_SEC_6(t *testing.T) {
	e := start(t)
	e.eng.SetOverrides([]filter.Override{{ID: "d1", Establishment: "est1", Kind: filter.KindDelegation, Target: "6A",
		Allow: true, Category: "gambling", From: monday10, Until: monday10.Add(55 * time.Minute)}})
	if code, _ := e.get(t, e.client("eleve6a", "pw6a"), "casino.example", "/"); code != 200 {
		t.Fatalf("6A during the lesson: %d", code)
	}
	if code, _ := e.get(t, e.client("eleve5b", "pw5b"), "casino.example", "/"); code != 403 {
		t.Fatalf("5B during 6A's lesson: %d", code)
	}
	e.clk.add(time.Hour)
	if code, _ := e.get(t, e.client("eleve6a", "pw6a"), "casino.example", "/"); code != 403 {
		t.Fatalf("6A after the lesson: %d", code)
	}
}

// CARINE: INF-SEC-4, INF-SEC-5
func TestExamModeThenReverts_INF_SEC_4(t *testing.T) {
	e := start(t)
	e.eng.SetOverrides([]filter.Override{{ID: "bac", Establishment: "est1", Kind: filter.KindExam, Target: "6A",
		Sites: []string{"exam.example"}, From: monday10, Until: monday10.Add(2 * time.Hour)}})
	c := e.client("eleve6a", "pw6a")
	if code, _ := e.get(t, c, "exam.example", "/"); code != 200 {
		t.Fatalf("listed site: %d", code)
	}
	code, body := e.get(t, c, "allowed.example", "/")
	if code != 403 || !strings.Contains(body, "Mode examen") {
		t.Fatalf("unlisted site during the exam: %d %s", code, body)
	}
	if code, _ := e.get(t, e.client("eleve5b", "pw5b"), "allowed.example", "/"); code != 200 {
		t.Fatalf("another class during 6A's exam: %d", code)
	}
	e.clk.add(2*time.Hour + time.Second)
	if code, _ := e.get(t, c, "allowed.example", "/"); code != 200 {
		t.Fatalf("after the exam: %d", code)
	}
}

func TestSchedule(t *testing.T) {
	e := start(t)
	s := filter.DefaultSettings()
	s.Schedules = []filter.Schedule{{Name: "cours", Profile: "pupil", Days: []int{1, 2, 3, 4, 5}, From: "08:00", To: "17:00",
		BlockCategories: []string{"social_networks"}}}
	e.eng.SetSettings("est1", s)
	c := e.client("eleve6a", "pw6a")
	code, body := e.get(t, c, "social.example", "/")
	if code != 403 || !strings.Contains(body, "Plage horaire « cours »") {
		t.Fatalf("during lessons: %d %s", code, body)
	}
	e.clk.add(9 * time.Hour)
	if code, _ := e.get(t, c, "social.example", "/"); code != 200 {
		t.Fatalf("in the evening: %d", code)
	}
}

// CARINE: INF-AUT-1, INF-SEC-1
func TestUnauthenticatedIsRefused_INF_AUT_1(t *testing.T) {
	e := start(t)
	for _, c := range []*http.Client{e.client("", ""), e.client("eleve6a", "wrong"), e.client("nobody", "x")} {
		resp, err := c.Get("http://allowed.example:" + e.origin + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 407 || !strings.Contains(resp.Header.Get("Proxy-Authenticate"), `Basic realm="Préau"`) ||
			strings.Contains(string(b), "origin") {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
		}
	}
	if r := e.sink.last(); r.Result != "unauthenticated" || r.Action != "block" {
		t.Fatalf("record %+v", r)
	}
	// A wrong password is never served from the cache.
	before := e.users.calls.Load()
	e.client("eleve6a", "wrong").Get("http://allowed.example:" + e.origin + "/")
	if e.users.calls.Load() != before+1 {
		t.Fatal("a wrong password did not reach the authenticator")
	}
}

func (e *env) connect(t *testing.T, login, pw, host string) (int, string) {
	t.Helper()
	c := e.client(login, pw)
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + host + ":" + e.tlsO + "/")
	if err != nil {
		// Go's transport reports a refused CONNECT as an error naming the status.
		msg := err.Error()
		for code, text := range map[int]string{403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway"} {
			if strings.Contains(msg, text) {
				return code, msg
			}
		}
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestConnectBlockedByHost(t *testing.T) {
	e := start(t)
	if code, body := e.connect(t, "eleve6a", "pw6a", "secure.example"); code != 200 || !strings.Contains(body, "secure origin") {
		t.Fatalf("allowed tunnel: %d %s", code, body)
	}
	r := e.sink.wait(t, func(r logs.Record) bool { return r.Object == "secure.example" })
	if r.Action != "allow" || r.Fields["bytes"] == "0" || r.Fields["bytes"] == "" {
		t.Fatalf("tunnel record %+v", r)
	}
	if code, msg := e.connect(t, "eleve6a", "pw6a", "casino.example"); code != 403 {
		t.Fatalf("blocked tunnel: %d %s", code, msg)
	}
	if code, _ := e.connect(t, "", "", "secure.example"); code != 407 {
		t.Fatalf("unauthenticated tunnel: %d", code)
	}
}

func TestOriginFormIsRefused(t *testing.T) {
	e := start(t)
	conn, err := net.Dial("tcp", e.proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 {
		t.Fatalf("origin-form request: %d", resp.StatusCode)
	}
}

// TestCurlThroughProxy uses curl, a real client, through the proxy.
// CARINE: INF-SEC-1, INF-AUT-1
func TestCurlThroughProxy_INF_SEC_1(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("curl is not installed (Debian package curl)")
		}
		t.Skip("curl is not installed (Debian package curl)")
	}
	e := start(t)
	run := func(args ...string) (string, int) {
		cmd := exec.Command(curl, append([]string{"-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"}, args...)...)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return string(out), code
	}
	out, _ := run("-x", "http://eleve6a:pw6a@"+e.proxy, "http://allowed.example:"+e.origin+"/curl")
	if !strings.HasSuffix(out, "\n200") || !strings.Contains(out, "origin allowed.example") {
		t.Fatalf("curl allowed: %s", out)
	}
	out, _ = run("-x", "http://eleve6a:pw6a@"+e.proxy, "http://casino.example:"+e.origin+"/")
	if !strings.HasSuffix(out, "\n403") || !strings.Contains(out, "Site bloqué") {
		t.Fatalf("curl blocked: %s", out)
	}
	out, _ = run("-x", "http://"+e.proxy, "http://allowed.example:"+e.origin+"/")
	if !strings.HasSuffix(out, "\n407") {
		t.Fatalf("curl without credentials: %s", out)
	}
	out, code := run("-k", "-x", "http://eleve6a:pw6a@"+e.proxy, "https://casino.example:"+e.tlsO+"/")
	if code == 0 || !strings.Contains(out, "403") {
		t.Fatalf("curl CONNECT to a blocked host: exit %d, %s", code, out)
	}
	out, _ = run("-k", "-x", "http://eleve6a:pw6a@"+e.proxy, "https://secure.example:"+e.tlsO+"/")
	if !strings.Contains(out, "secure origin") {
		t.Fatalf("curl CONNECT allowed: %s", out)
	}
}

func TestParseProxyAuth(t *testing.T) {
	for h, want := range map[string]string{"Basic ZWxldmU6cHc=": "eleve/pw", "basic ZWxldmU6cDp3": "eleve/p:w",
		"Bearer x": "", "Basic !!!": "", "Basic OnB3": ""} {
		l, p, ok := proxyd.ParseProxyAuth(h)
		got := ""
		if ok {
			got = l + "/" + p
		}
		if got != want {
			t.Errorf("ParseProxyAuth(%q) = %q, want %q", h, got, want)
		}
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\nProxy-Authorization: Basic ZWxldmU6cHc=\r\n\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		"CONNECT [::1]:443 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET ftp://x/ HTTP/1.1\r\n\r\n",
		"GET http://0x7f.1:80/ HTTP/1.0\r\n\r\n",
		"POST http://bücher.de/ HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, tg, err := proxyd.ReadRequest(bufio.NewReader(strings.NewReader(string(data))))
		if err != nil {
			return
		}
		if tg.Host == "" || tg.Port == "" {
			t.Fatalf("target without host or port: %+v", tg)
		}
		if again, err := filter.NormalizeHost(tg.Host); err != nil || again != tg.Host {
			t.Fatalf("target host %q not normal", tg.Host)
		}
		if !tg.Connect && (tg.Path == "" || tg.Path[0] != '/') {
			t.Fatalf("path %q", tg.Path)
		}
		proxyd.ParseProxyAuth(r.Header.Get("Proxy-Authorization"))
	})
}

// TestStreamingIsNotBuffered: the first part of a response reaches the
// client while the origin is still sending.
func TestStreamingIsNotBuffered(t *testing.T) {
	e := start(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first part\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "rest\n")
	}))
	defer slow.Close()
	defer close(release)
	_, port, _ := net.SplitHostPort(slow.Listener.Addr().String())
	resp, err := e.client("eleve6a", "pw6a").Get("http://allowed.example:" + port + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(resp.Body).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if s != "first part\n" {
			t.Fatalf("first line %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the proxy held the response back")
	}
}
