// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/preau/preau/internal/app"
)

// ut1Snapshot is the real UT1 snapshot of the project's shared data, in
// ../shared/data/ut1/ beside the repository (the module root is two
// folders above this package).
var ut1Snapshot = filepath.Join("..", "..", "..", "shared", "data", "ut1", "ut1-blacklists-2026-08-17-partial.tar.gz")

// TestFilterEndToEnd: the lists imported by the CLI while the node runs
// are in force within seconds; a pupil reaches an allowed origin through
// the proxy, a gambling site gets the block page, no credentials get 407;
// the PAC file points at the proxy; the proxy login is journaled.
// CARINE: INF-SEC-1, INF-SEC-8, INF-AUT-1
func TestFilterEndToEnd_INF_SEC_8(t *testing.T) {
	src := os.Getenv("PREAU_UT1_SNAPSHOT")
	if src == "" {
		src = ut1Snapshot
	}
	if _, err := os.Stat(src); err != nil {
		if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatalf("the UT1 snapshot %s is missing (PREAU_TEST_STRICT=1; set PREAU_UT1_SNAPSHOT)", src)
		}
		t.Skipf("UT1 snapshot %s missing", src)
	}
	n := startNode(t)
	out := n.cli("filter", "import-lists", src)
	if !strings.Contains(out, "Imported") || !strings.Contains(out, "categories") {
		t.Fatalf("import-lists: %s", out)
	}
	// The compliance report states the import (INF-SEC-8 met, with its counts).
	rows, err := csv.NewReader(strings.NewReader(n.cli("compliance", "--format", "csv", "--lang", "en"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r[0] == "INF-SEC-8" && (r[5] != "met" || !strings.Contains(r[6], "Last import on") || !strings.Contains(r[6], "categories")) {
			t.Fatalf("compliance INF-SEC-8 after the import: %v", r)
		}
	}
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello pupil") }))
	defer origin.Close()
	proxyAddr := n.app.Addr("proxy")
	client := func(user *url.Userinfo) *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: proxyAddr, User: user})}}
	}
	pupil := client(url.UserPassword("zoe.martin", "Bonjour-Zoe-2026"))
	get := func(c *http.Client, u string) (int, string) {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(pupil, origin.URL); code != 200 || body != "hello pupil" {
		t.Fatalf("allowed origin: %d %s", code, body)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := get(pupil, "http://www.0-casino.info/")
		if code == 403 && strings.Contains(body, "Site bloqué") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the imported lists are not in force: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The same proxy over TLS (the port PAC files can point to).
	tlsProxy := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy:           http.ProxyURL(&url.URL{Scheme: "https", Host: n.app.Addr("proxy_tls"), User: url.UserPassword("zoe.martin", "Bonjour-Zoe-2026")}),
		TLSClientConfig: n.client.Transport.(*http.Transport).TLSClientConfig}}
	if code, body := get(tlsProxy, origin.URL); code != 200 || body != "hello pupil" {
		t.Fatalf("TLS proxy: %d %s", code, body)
	}
	if code, _ := get(client(nil), origin.URL); code != http.StatusProxyAuthRequired {
		t.Fatalf("no credentials: %d", code)
	}
	// INF-AUT-10: a password reset ends the proxy's verified credentials on
	// every node within seconds (the credentials counter), not at the end of
	// the cache's five minutes.
	n.cli("user", "reset-password", "zoe.martin", "--password", "Cartable-Neuf-Bleu-77")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if code, _ := get(pupil, origin.URL); code == http.StatusProxyAuthRequired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old password still opens the proxy 10 s after a reset")
		}
	}
	resp, err := http.Get("http://" + n.app.Addr("http") + "/proxy.pac")
	if err != nil {
		t.Fatal(err)
	}
	pac, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(pac), "PROXY "+proxyAddr) || !strings.Contains(resp.Header.Get("Content-Type"), "proxy-autoconfig") {
		t.Fatalf("PAC: %s", pac)
	}
	// The DNS filter answers a blocked name with NXDOMAIN (no block address configured).
	q := new(dns.Msg)
	q.SetQuestion("www.0-casino.info.", dns.TypeA)
	if r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, n.app.Addr("dns")); err != nil || r.Rcode != dns.RcodeNameError {
		t.Fatalf("DNS filter: %v %v", r, err)
	}
	if out := n.cli("filter", "check", "http://www.0-casino.info/", "--user", "zoe.martin"); !strings.Contains(out, "BLOCKED") ||
		!strings.Contains(out, "gambling") || !strings.Contains(out, "profile:pupil") {
		t.Fatalf("filter check: %s", out)
	}
	if out := n.cli("filter", "status"); !strings.Contains(out, "categories") {
		t.Fatalf("filter status: %s", out)
	}
	if out := n.cli("journal", "export"); !strings.Contains(out, "filter.lists.import") || !strings.Contains(out, "channel:proxy") {
		t.Fatalf("journal lacks the import or the proxy login")
	}
}

// TestFilterFetchChecksMD5: `preau filter fetch` imports an archive whose
// MD5 matches MD5SUM.LST and refuses one that does not, changing nothing.
// CARINE: INF-SEC-8
func TestFilterFetchChecksMD5_INF_SEC_8(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	body := "casino.example\n"
	tw.WriteHeader(&tar.Header{Name: "blacklists/gambling/domains", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	zw.Close()
	archive := buf.Bytes()
	sum := md5.Sum(archive)
	sums := hex.EncodeToString(sum[:]) + "  blacklists.tar.gz\n" + strings.Repeat("0", 32) + "  broken.tar.gz\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/dl/MD5SUM.LST":
			io.WriteString(w, sums)
		case "/dl/blacklists.tar.gz", "/dl/broken.tar.gz":
			w.Write(archive)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	data := t.TempDir()
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := app.Run(context.Background(), append(args, "--data", data), app.Env{Getenv: func(string) string { return "" },
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
		return out.String() + errb.String(), err
	}
	if out, err := run("init", "--uai", "0999001W", "--type", "college", "--name", "Collège Jean Moulin", "--academie", "Démo",
		"--domain", "clg.demo.test", "--head", "m.dupont", "--head-given", "Marie", "--head-family", "Dupont",
		"--admin", "admin", "--hosts", "localhost"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := run("filter", "fetch", srv.URL+"/dl/broken.tar.gz")
	if err == nil || !strings.Contains(err.Error(), "MD5") {
		t.Fatalf("a download with the wrong checksum: %v\n%s", err, out)
	}
	if out, _ := run("filter", "status"); !strings.Contains(out, "No lists imported yet") {
		t.Fatalf("a refused download changed the lists: %s", out)
	}
	if out, err := run("filter", "fetch", srv.URL+"/dl/blacklists.tar.gz"); err != nil || !strings.Contains(out, "MD5 checked") {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	if out, _ := run("filter", "check", "http://www.casino.example/"); !strings.Contains(out, "BLOCKED") {
		t.Fatalf("the fetched lists are not in force: %s", out)
	}
}
