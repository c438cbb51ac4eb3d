// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/notify/notifytest"
)

// TestPasswordResetNotifies: an admin's reset of a password reaches the
// person as a portal notice and, since they have an address and a relay is
// set, as a French mail through the relay — never with the password in it.
func TestPasswordResetNotifies(t *testing.T) {
	sink, err := notifytest.NewSink(notifytest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	n := startNode(t, func(c *config.File) {
		c.Mail.Relay, c.Mail.From, c.Mail.TLS = sink.Addr(), "preau@clg.demo.test", "none"
	})
	// The CLI reads the relay from the data folder's config, as in production.
	conf := "schema_version = 1\n[mail]\nrelay = \"" + sink.Addr() + "\"\nfrom = \"preau@clg.demo.test\"\ntls = \"none\"\n"
	if err := os.WriteFile(filepath.Join(n.data, "preau.toml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cli("user", "add", "ines.roux", "--uai", "0999001W", "--profile", "teacher", "--given", "Inès", "--family", "Roux",
		"--mail", "ines.roux@clg.demo.test", "--password", "Premier-Mot-2026", "--must-change=false")
	n.cli("user", "reset-password", "ines.roux", "--password", "Nouveau-Mot-2026")
	msgs, err := sink.WaitFor(1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(m.Body)
	if msgs[0].To[0] != "ines.roux@clg.demo.test" || strings.Contains(string(msgs[0].Data), "Nouveau-Mot-2026") ||
		!strings.Contains(m.Header.Get("Subject"), "=?") {
		t.Fatalf("mail: to %v, subject %q\n%s", msgs[0].To, m.Header.Get("Subject"), body)
	}
	if r := n.login("ines.roux", "Nouveau-Mot-2026"); r.Header.Get("Location") != "/password" {
		t.Fatalf("login after reset: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	_, page := n.get("/password")
	csrf := csrfRE.FindStringSubmatch(page)[1]
	n.post("/password", url.Values{"csrf": {csrf}, "current": {"Nouveau-Mot-2026"}, "new": {"Une autre phrase 2026"},
		"confirm": {"Une autre phrase 2026"}})
	_, home := n.get("/")
	if !strings.Contains(home, "Votre mot de passe a été réinitialisé") {
		t.Fatalf("no portal notice:\n%s", home)
	}
	id := regexp.MustCompile(`/notices/([0-9a-f-]{36})/read`).FindStringSubmatch(home)
	csrf = csrfRE.FindStringSubmatch(home)[1]
	if r, _ := n.post("/notices/"+id[1]+"/read", url.Values{"csrf": {csrf}}); r.StatusCode != 303 {
		t.Fatalf("mark read: %d", r.StatusCode)
	}
	if _, home = n.get("/"); strings.Contains(home, "Votre mot de passe a été réinitialisé") {
		t.Fatal("a read notice is still shown")
	}
	if out := n.cli("journal", "export"); !strings.Contains(out, `"action":"notify.mail.send"`) {
		t.Fatal("the mail send is not journaled")
	}
}
