// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/notify/notifytest"
)

// TestFilesDAVProxyAndCharter: on a node behind a trusted reverse proxy,
// WebDAV journals the client address the proxy names (X-Forwarded-For),
// not the proxy's; once the head publishes a charter, a pupil who has not
// accepted it gets 403 over WebDAV naming it and the portal page, and her
// files once she accepted it on the portal.
// CARINE: UTI-ESF-1, INF-AUT-5, MCO-JAL-1
func TestFilesDAVProxyAndCharter(t *testing.T) {
	n := startNode(t, trustLoopback)
	n.cli("user", "add", "h.chef", "--uai", "0999001W", "--profile", "head", "--given", "Hélène", "--family", "Chef",
		"--password", "Chef-Etablissement-2026", "--must-change=false")
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--password", "Bonjour-Zoe-2026", "--must-change=false")
	dav := func(method, path, pw, from string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, n.base+path, nil)
		req.SetBasicAuth("zoe.martin", pw)
		req.Header.Set("X-Forwarded-For", from)
		res, err := n.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := dav("PROPFIND", "/dav/home/", "faux", "203.0.113.7"); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	n.client.Jar, _ = cookiejar.New(nil)
	n.adminLogin("h.chef", "Chef-Etablissement-2026")
	n.publishCharter("Charte du collège", "## Règles\n\nRespecter les autres.", 1)
	st, b := dav("GET", "/dav/home/", "Bonjour-Zoe-2026", "198.51.100.9")
	if st != http.StatusForbidden || !strings.Contains(b, "Charte du collège") || !strings.Contains(b, "/charter/accept") {
		t.Fatalf("WebDAV before accepting the charter: %d %q", st, b)
	}
	var refused, verified bool
	for _, line := range strings.Split(n.cli("journal", "export"), "\n") {
		if !strings.Contains(line, `"action":"auth.login"`) || !strings.Contains(line, `"channel":"dav"`) {
			continue
		}
		refused = refused || strings.Contains(line, "203.0.113.7") && strings.Contains(line, "refused")
		verified = verified || strings.Contains(line, "198.51.100.9")
		if strings.Contains(line, "127.0.0.1") {
			t.Fatalf("a WebDAV login journaled with the proxy's address: %s", line)
		}
	}
	if !refused || !verified {
		t.Fatalf("WebDAV logins journaled without the forwarded client address (refused %v, verified %v)", refused, verified)
	}
	n.as("zoe.martin", "Bonjour-Zoe-2026", "/")
	n.accept("/")
	if st, b := dav("PROPFIND", "/dav/home/", "Bonjour-Zoe-2026", "198.51.100.9"); st != http.StatusMultiStatus {
		t.Fatalf("WebDAV once the charter is accepted: %d %.300s", st, b)
	}
}

// TestFilesQuotaWarningMailed: with a mail relay configured, a person with a
// mail address whose WebDAV uploads cross 80% then 95% of her quota gets
// one mail per threshold (beside the portal notice), journaled.
// CARINE: UTI-ESF-4
func TestFilesQuotaWarningMailed(t *testing.T) {
	sink, err := notifytest.NewSink(notifytest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	n := startNode(t, func(c *config.File) {
		c.Mail.Relay, c.Mail.From, c.Mail.TLS = sink.Addr(), "preau@clg.demo.test", "none"
	})
	n.cli("user", "add", "zoe.martin", "--uai", "0999001W", "--profile", "pupil", "--given", "Zoé", "--family", "Martin",
		"--mail", "zoe.martin@clg.demo.test", "--password", "Bonjour-Zoe-2026", "--must-change=false")
	n.cli("files", "quota", "zoe.martin", "1000")
	put := func(name string, size int) {
		t.Helper()
		req, _ := http.NewRequest("PUT", n.base+"/dav/home/"+name, bytes.NewReader(make([]byte, size)))
		req.SetBasicAuth("zoe.martin", "Bonjour-Zoe-2026")
		res, err := n.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("PUT %s: %d", name, res.StatusCode)
		}
	}
	put("a.bin", 850) // 85 %
	msgs, err := sink.WaitFor(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	put("b.bin", 20)  // 87 %: no new mail
	put("c.bin", 100) // 97 %
	if msgs, err = sink.WaitFor(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range msgs {
		msg, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		if to := msg.Header.Get("To"); !strings.Contains(to, "zoe.martin@clg.demo.test") {
			t.Fatalf("quota mail sent to %q", to)
		}
		subjects = append(subjects, msg.Header.Get("Subject"))
	}
	if len(msgs) != 2 || !strings.Contains(mailText(t, msgs[0]), "85 %") || !strings.Contains(mailText(t, msgs[1]), "97 %") {
		t.Fatalf("quota mails: %d, subjects %q", len(msgs), subjects)
	}
	// The mail goes out after the upload has answered, and its entry is
	// journaled once the relay took it: wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		j := n.cli("journal", "export")
		if c := strings.Count(j, `"action":"notify.mail.send"`); c == 2 {
			break
		} else if c > 2 || time.Now().After(deadline) {
			t.Fatalf("quota mails journaled %d times, want 2", c)
		}
	}
}
