// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/app"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/web/webtest"
)

func (n *node) cliErr(args ...string) (string, error) {
	var out, errb bytes.Buffer
	args = append(args, "--data", n.data)
	err := app.Run(context.Background(), args, app.Env{Getenv: func(string) string { return "" },
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	return out.String() + errb.String(), err
}

// TestLogsSyslogSearchJustifiedAndVerified: a syslog message sent to the
// node is found by `preau logs search` only with a justification, the
// refusal and the answer are journaled, and `preau logs verify` and an
// archive verify.
// CARINE: MCO-JAL-1, MCO-JAL-6, MCO-JAL-7, MCO-JAL-3
func TestLogsSyslogSearchJustifiedAndVerified(t *testing.T) {
	n := startNode(t)
	if n.app.LogSink() == nil || n.app.LogStore() == nil {
		t.Fatal("no log store")
	}
	c, err := net.Dial("udp", n.app.Addr("syslog"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(c, "<86>Nov 29 10:00:00 fw01 sshd[42]: Accepted password for jdupont from 10.9.8.7")
	c.Close()
	tc, err := net.Dial("tcp", n.app.Addr("syslog"))
	if err != nil {
		t.Fatal(err)
	}
	msg := "<14>1 2026-11-29T10:00:01Z sw01 kernel - - - link up"
	fmt.Fprintf(tc, "%d %s", len(msg), msg)
	tc.Close()
	st := n.app.LogStore()
	var found string
	for i := 0; i < 100 && !strings.Contains(found, "jdupont"); i++ {
		if err := st.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		found, _ = n.cliErr("logs", "search", "--text", "jdupont", "--justification", "incident:INC-2026-042")
	}
	if !strings.Contains(found, "Accepted password for jdupont") || !strings.Contains(found, "fw01") {
		t.Fatalf("search: %s", found)
	}
	out, err := n.cliErr("logs", "search", "--text", "jdupont")
	if !core.IsKind(err, core.Permission) || !strings.Contains(err.Error(), "justification") {
		t.Fatalf("unjustified search answered: %v\n%s", err, out)
	}
	var answered, refused bool
	for _, l := range strings.Split(n.cli("journal", "export"), "\n") {
		if !strings.Contains(l, `"action":"logs.search"`) || !strings.Contains(l, `"target_name":"text=jdupont"`) {
			continue
		}
		answered = answered || strings.Contains(l, `"result":"done"`) && strings.Contains(l, `"reason":"incident:INC-2026-042 records=1"`)
		refused = refused || strings.Contains(l, `"result":"refused"`)
	}
	if !answered || !refused {
		t.Fatalf("journal lacks the answer or the refusal:\n%s", n.cli("journal", "export"))
	}
	if out, err := n.cliErr("logs", "verify"); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify: %v %s", err, out)
	}
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	if _, err := n.cliErr("logs", "search", "--class", "system", "--as", "lou.petit"); !core.IsKind(err, core.Permission) {
		t.Fatalf("a teacher searched the logs from the command line: %v", err)
	}
	if out, err := n.cliErr("logs", "stats"); err != nil || !strings.Contains(out, "local/security/_") || !strings.Contains(out, "365 d") {
		t.Fatalf("stats: %v %s", err, out)
	}
	arch := filepath.Join(t.TempDir(), "a.tar")
	if out, err := n.cliErr("logs", "archive", "--since", "2026-01-01", "--until", "2030-01-01", "--out", arch); err != nil {
		t.Fatalf("archive: %v %s", err, out)
	}
	if out, err := n.cliErr("logs", "verify", "--archive", arch); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify --archive: %v %s", err, out)
	}
	b, _ := os.ReadFile(arch)
	if !bytes.Contains(b, []byte("public-key.pem")) {
		t.Fatal("archive without the public key")
	}
	// Encrypted for an age recipient: verified with the identity only.
	id, _ := age.GenerateX25519Identity()
	idFile := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	enc := filepath.Join(t.TempDir(), "a.tar.age")
	if out, err := n.cliErr("logs", "archive", "--since", "2026-01-01", "--until", "2030-01-01", "--out", enc,
		"--recipient", id.Recipient().String()); err != nil || !strings.Contains(out, "--identity") {
		t.Fatalf("encrypted archive: %v %s", err, out)
	}
	if eb, _ := os.ReadFile(enc); !bytes.HasPrefix(eb, []byte("age-encryption.org/v1")) || bytes.Contains(eb, []byte("public-key.pem")) {
		t.Fatal("the archive is not encrypted")
	}
	if out, err := n.cliErr("logs", "verify", "--archive", enc); err == nil || !strings.Contains(err.Error()+out, "encrypted") {
		t.Fatalf("encrypted archive verified without identity: %v %s", err, out)
	}
	if out, err := n.cliErr("logs", "verify", "--archive", enc, "--identity", idFile); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify --archive --identity: %v %s", err, out)
	}
	// One flipped byte in a sealed segment: verify fails and names it.
	var segs []string
	filepath.WalkDir(n.data, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "000000000001.seg" {
			segs = append(segs, p)
		}
		return nil
	})
	if len(segs) == 0 {
		t.Fatal("no sealed segment in the data folder")
	}
	sb, _ := os.ReadFile(segs[0])
	sb[len(sb)/2] ^= 0x20
	os.WriteFile(segs[0], sb, 0o600)
	out, err = n.cliErr("logs", "verify")
	if err == nil || !strings.Contains(out, "segment 000000000001") || !strings.Contains(out, "altered") {
		t.Fatalf("verify after tampering: %v\n%s", err, out)
	}
}

// TestLogsPages: the console's log search refuses an unjustified search on
// personal data and answers a justified one (both journaled), exports CSV,
// is closed to a teacher, and passes axe in French and English.
// CARINE: MCO-JAL-6, MCO-JAL-7
func TestLogsPages(t *testing.T) {
	n := startNode(t)
	n.cli("user", "add", "tech", "--uai", "0999001W", "--profile", "admin", "--given", "Sam", "--family", "Tech",
		"--password", "Un-Mot-De-Passe-Solide", "--must-change=false")
	n.cli("user", "add", "lou.petit", "--uai", "0999001W", "--profile", "teacher", "--given", "Lou", "--family", "Petit",
		"--password", "Lou-Petit-Classe-2026", "--must-change=false")
	est := ""
	for _, l := range strings.Split(n.cli("journal", "export"), "\n") {
		if strings.Contains(l, `"target_name":"0999001W"`) {
			var e struct{ Chain string }
			json.Unmarshal([]byte(l), &e)
			est = e.Chain
		}
	}
	n.app.LogSink().Append(logs.Record{Establishment: est, Class: logs.ClassConnection, Service: "proxy", User: "jdupont", Source: "10.1.2.3",
		Action: "block", Object: "https://jeux.example/", Result: "refused", Message: "category games"})
	if err := n.app.LogStore().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := n.login("lou.petit", "Lou-Petit-Classe-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", r.StatusCode)
	}
	if resp, _ := n.get("/admin/logs"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a teacher opens the logs: %d", resp.StatusCode)
	}
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("tech", "Un-Mot-De-Passe-Solide")
	resp, body := n.get("/admin/logs?go=1&user=jdupont")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "peut identifier des personnes") || strings.Contains(body, "jeux.example") {
		t.Fatalf("unjustified search: %d\n%s", resp.StatusCode, body)
	}
	resp, body = n.get("/admin/logs?go=1&user=jdupont&basis=judicial&reference=PV+2026%2F77")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "jeux.example") || !strings.Contains(body, "judicial:PV 2026/77") {
		t.Fatalf("justified search: %d\n%s", resp.StatusCode, body)
	}
	resp, body = n.get("/admin/logs/export?format=csv&go=1&user=jdupont&basis=judicial&reference=PV+2026%2F77")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "jdupont") || !strings.HasPrefix(body, "time,establishment") {
		t.Fatalf("export: %d\n%s", resp.StatusCode, body)
	}
	j := n.cli("journal", "export")
	if !strings.Contains(j, `"action":"logs.export"`) || !strings.Contains(j, `"reason":"judicial:PV 2026/77 format=csv records=1"`) ||
		!strings.Contains(j, `"action":"logs.search","target_type":"logs","target_name":"user=jdupont establishment=`+est+`","result":"refused"`) {
		t.Fatalf("journal:\n%s", j)
	}
	// Retention: refused outside the legal bounds, saved and journaled within.
	tok := n.csrf("/admin/logs")
	resp, _ = n.post("/admin/logs/retention", url.Values{"csrf": {tok}, "est": {est}, "class": {"connection"}, "days": {"90"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retention post: %d", resp.StatusCode)
	}
	if _, body := n.get("/admin/logs"); !strings.Contains(body, "entre 365 et 730 jours") {
		t.Fatalf("no refusal shown:\n%s", body)
	}
	n.post("/admin/logs/retention", url.Values{"csrf": {tok}, "est": {est}, "class": {"connection"}, "days": {"400"}})
	if _, body := n.get("/admin/logs"); !strings.Contains(body, "Données de connexion conservées 400 jours") {
		t.Fatalf("override not shown:\n%s", body)
	}
	if j := n.cli("journal", "export"); !strings.Contains(j, `"action":"logs.retention.set"`) || !strings.Contains(j, `"reason":"days=400"`) {
		t.Fatal("retention change not journaled")
	}
	if testing.Short() {
		return
	}
	front := proxyWithCookies(t, n)
	defer front.Close()
	webtest.Axe(t, front.URL, "/admin/logs", "/admin/logs?lang=en", "/admin/logs?go=1&user=jdupont",
		"/admin/logs?go=1&class=connection&basis=incident&reference=INC-42&lang=en")
}

// testCA writes a CA certificate to dir and returns a client certificate it
// signed, and one it did not.
func testCA(t *testing.T, dir string) (caFile string, good, stranger tls.Certificate) {
	mk := func(parent *x509.Certificate, parentKey *ecdsa.PrivateKey, ca bool, cn string) (*x509.Certificate, *ecdsa.PrivateKey, tls.Certificate) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: ca, BasicConstraintsValid: ca,
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		if parent == nil {
			parent, parentKey = tpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tpl, parent, &k.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, k, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
	}
	ca, caKey, _ := mk(nil, nil, true, "académie CA")
	_, _, good = mk(ca, caKey, false, "0999001W")
	other, otherKey, _ := mk(nil, nil, true, "other CA")
	_, _, stranger = mk(other, otherKey, false, "intruder")
	caFile = filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o600)
	return caFile, good, stranger
}

// TestLogsForwardToCentralNodeMutualTLS: an establishment's sealed
// segments reach a central Préau whose syslog-TLS listener requires a
// client certificate from the académie CA; a stranger's certificate is
// refused.
// CARINE: MCO-JAL-8
func TestLogsForwardToCentralNodeMutualTLS(t *testing.T) {
	caFile, good, stranger := testCA(t, t.TempDir())
	central := startNode(t, func(c *config.File) { c.Logs.SyslogClientCA = caFile })
	dir := t.TempDir()
	bs, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	school, err := logs.Open(context.Background(), logs.Config{Blobs: bs, Key: key, Spool: filepath.Join(dir, "spool"), Node: "clg-moulin"})
	if err != nil {
		t.Fatal(err)
	}
	defer school.Close()
	for i := 0; i < 20; i++ {
		school.Append(logs.Record{Class: logs.ClassSystem, Source: "sw-cdi", Service: "switch", Message: fmt.Sprintf("port %d up", i)})
	}
	school.Flush(context.Background())
	fw := func(cert tls.Certificate) *logs.Forwarder {
		return &logs.Forwarder{Store: school, Cursor: filepath.Join(dir, cert.Leaf.Subject.CommonName+".json"),
			Dial: func(ctx context.Context) (net.Conn, error) {
				c, err := (&tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}}}).DialContext(ctx, "tcp", central.app.Addr("syslog-tls"))
				if err == nil {
					err = c.(*tls.Conn).HandshakeContext(ctx)
				}
				return c, err
			}}
	}
	good.Leaf, _ = x509.ParseCertificate(good.Certificate[0])
	stranger.Leaf, _ = x509.ParseCertificate(stranger.Certificate[0])
	if n, err := fw(good).Once(context.Background()); err != nil || n != 1 {
		t.Fatalf("forward: %d %v", n, err)
	}
	var got int
	for i := 0; i < 100 && got < 20; i++ {
		central.app.LogStore().Flush(context.Background())
		res, _ := central.app.LogStore().Search(context.Background(), logs.Query{Host: "sw-cdi", Limit: 100})
		got = len(res.Records)
		if got == 20 && res.Records[0].Fields["sd.forward@32473.stream"] != "clg-moulin/system/_" {
			t.Fatalf("forwarding fields lost: %+v", res.Records[0].Fields)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got != 20 {
		t.Fatalf("%d of 20 records reached the central node", got)
	}
	// The intruder's records are refused at the handshake (TLS 1.3 reports
	// it on the first read or write: nothing is stored either way).
	fw(stranger).Once(context.Background())
	time.Sleep(100 * time.Millisecond)
	central.app.LogStore().Flush(context.Background())
	if res, _ := central.app.LogStore().Search(context.Background(), logs.Query{Host: "sw-cdi", Limit: 100}); len(res.Records) != 20 {
		t.Fatalf("a stranger's forward was stored: %d records", len(res.Records))
	}
}
