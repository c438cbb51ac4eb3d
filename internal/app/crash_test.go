// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// buildPreau compiles the preau binary into a temporary folder.
func buildPreau(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "preau")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/preau/preau/cmd/preau")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type readyz struct {
	Ready  bool   `json:"ready"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Failed string `json:"failed"`
}

// pollReady polls /readyz until cond holds or the deadline passes.
func pollReady(t *testing.T, addr string, deadline time.Duration, cond func(readyz) bool) readyz {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	end := time.Now().Add(deadline)
	var last readyz
	for time.Now().Before(end) {
		resp, err := c.Get("https://" + addr + "/readyz")
		if err == nil {
			last = readyz{}
			_ = json.NewDecoder(resp.Body).Decode(&last)
			resp.Body.Close()
			if last.Failed != "" {
				t.Fatalf("demo failed: %s", last.Failed)
			}
			if cond(last) {
				return last
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("readiness not reached in %s; last status %+v", deadline, last)
	return last
}

// TestDemoSurvivesKill9 kills `preau demo` with SIGKILL in the middle of the
// generation, restarts it, and checks that the database opens, the journal
// verifies and the generation completed without duplicates or holes.
func TestDemoSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes ~2,400 passwords twice; skipped with -short")
	}
	bin := buildPreau(t)
	data := t.TempDir()
	addr := freePort(t)
	ldapAddr := ""
	start := func() *exec.Cmd {
		ldapAddr = freePort(t)
		cmd := exec.Command(bin, "demo", "--data", data, "--https", addr, "--http", "off", "--ldap", ldapAddr, "--ldaps", "off",
			"--syslog", "off", "--syslog-tls", "off", "--proxy", "off", "--proxy-tls", "off", "--dns", "off")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	mid := pollReady(t, addr, 3*time.Minute, func(r readyz) bool { return r.Done >= 300 })
	if mid.Ready {
		t.Fatal("generation finished before the kill: the test proves nothing")
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	if _, err := os.Stat(filepath.Join(data, "demo-accounts.csv")); !os.IsNotExist(err) {
		t.Fatalf("demo-accounts.csv exists after a killed generation: %v", err)
	}
	second := start()
	done := pollReady(t, addr, 8*time.Minute, func(r readyz) bool { return r.Ready })
	pagedSearchOfTheLycee(t, data, ldapAddr)
	_ = second.Process.Signal(syscall.SIGTERM)
	_ = second.Wait()
	t.Logf("killed at %d of %d accounts; restart completed", mid.Done, done.Total)

	verify := exec.Command(bin, "journal", "verify", "--data", data)
	out, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "journal OK") {
		t.Fatalf("journal verify after kill -9: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(data, "demo-accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "uai,establishment_type,login,password,profile,class,must_change" {
		t.Fatalf("header: %v", rows[0])
	}
	list, err := exec.Command(bin, "user", "list", "--data", data, "--format", "csv", "--limit", "100000").Output()
	if err != nil {
		t.Fatal(err)
	}
	stored := strings.Count(string(list), "\n") - 1
	if stored != len(rows)-1 {
		t.Fatalf("%d accounts stored, %d in demo-accounts.csv", stored, len(rows)-1)
	}
	if stored != done.Total {
		t.Fatalf("%d accounts stored, %d generated", stored, done.Total)
	}
	// The école's young pupils have picture logins (design §4).
	pics, err := os.ReadFile(filepath.Join(data, "demo-pictures.csv"))
	if err != nil {
		t.Fatal(err)
	}
	picRows, err := csv.NewReader(strings.NewReader(string(pics))).ReadAll()
	if err != nil || len(picRows) < 40 || strings.Join(picRows[0], ",") != "uai,class,board,login,avatar,pictures" {
		t.Fatalf("demo-pictures.csv: %v, %d rows, header %v", err, len(picRows), picRows[0])
	}
	fmt.Fprintf(os.Stderr, "demo: %d accounts after kill and restart, %d picture logins\n", stored, len(picRows)-1)
}

// pagedSearchOfTheLycee binds as the demo lycée's head (from
// demo-accounts.csv) and reads every pupil of the lycée with a paged
// subtree search (CARINE INF-ANN-2 over realistic data).
func pagedSearchOfTheLycee(t *testing.T, data, ldapAddr string) {
	t.Helper()
	f, err := os.Open(filepath.Join(data, "demo-accounts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(f).ReadAll()
	f.Close()
	var uai, head, pw string
	pupils := 0
	for _, r := range rows[1:] {
		if r[1] == "lycee" && r[4] == "head" {
			uai, head, pw = r[0], r[2], r[3]
		}
		if r[1] == "lycee" && r[4] == "pupil" {
			pupils++
		}
	}
	c, err := ldap.DialURL("ldap://" + ldapAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(head, pw); err != nil {
		t.Fatalf("bind as %s: %v", head, err)
	}
	res, err := c.SearchWithPaging(ldap.NewSearchRequest("ou="+uai+",dc=preau", ldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(objectClass=ENTEleve)", []string{"uid", "ENTEleveClasses"}, nil), 200)
	if err != nil || len(res.Entries) != pupils {
		t.Fatalf("paged search of the lycée: %v; %d entries, %d pupils in demo-accounts.csv", err, len(res.Entries), pupils)
	}
}
