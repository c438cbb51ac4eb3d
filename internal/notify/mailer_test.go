// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/notify/notifytest"
)

const (
	subject = "Réinitialisation du mot de passe"
	text    = "Bonjour Élodie,\n\nVotre mot de passe a été réinitialisé à 8 h 30.\n.\n..points de suspension\n" +
		"Une ligne très longue " + "qui dépasse soixante-seize caractères, pour vérifier le quoted-printable.\n"
	html = "<p>Bonjour <b>Élodie</b>,</p>\n<p>Votre mot de passe a été réinitialisé.</p>\n"
)

func TestSend(t *testing.T) {
	t.Parallel()
	tlsConf, _ := relayCert()
	transports := []struct {
		name string
		sink notifytest.Config
		cfg  func(t *testing.T, c *notify.MailConfig)
		tls  bool
		user string
	}{
		{"plain", notifytest.Config{}, func(*testing.T, *notify.MailConfig) {}, false, ""},
		{"starttls with auth", notifytest.Config{TLS: tlsConf, RequireTLS: true,
			Users: map[string]string{"preau": "s3cret"}},
			func(t *testing.T, c *notify.MailConfig) {
				c.TLS, c.CAFile, c.Username, c.Password = "", caFile(t), "preau", "s3cret"
			}, true, "preau"},
		{"implicit tls with auth", notifytest.Config{TLS: tlsConf, ImplicitTLS: true,
			Users: map[string]string{"preau": "s3cret"}},
			func(t *testing.T, c *notify.MailConfig) {
				c.TLS, c.CAFile, c.Username, c.Password = notify.TLSImplicit, caFile(t), "preau", "s3cret"
			}, true, "preau"},
	}
	for _, tr := range transports {
		for _, withHTML := range []bool{false, true} {
			name := tr.name + "/text"
			if withHTML {
				name = tr.name + "/html"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				sink := startSink(t, tr.sink)
				cfg := plainConfig(sink.Addr())
				tr.cfg(t, &cfg)
				m := notify.New(cfg, core.NewFakeClock(t0), nil)
				msg := notify.Message{
					To:      []string{"Élodie Martin <elodie.martin@eleves.lycee-exemple.fr>", "vie-scolaire@lycee-exemple.fr"},
					Subject: subject,
					Text:    text,
					Headers: map[string]string{"Reply-To": "Vie scolaire <vie-scolaire@lycee-exemple.fr>",
						"X-Preau-Event": "auth.password.reset"},
				}
				if withHTML {
					msg.HTML = html
				}
				id, err := m.Send(context.Background(), msg)
				if err != nil {
					t.Fatal(err)
				}
				got, err := sink.WaitFor(1, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				rec := got[0]
				if rec.TLS != tr.tls || rec.User != tr.user || rec.Helo != "preau.lycee-exemple.fr" {
					t.Errorf("TLS %v, user %q, helo %q", rec.TLS, rec.User, rec.Helo)
				}
				if rec.From != "ne-pas-repondre@lycee-exemple.fr" ||
					!slices.Equal(rec.To, []string{"elodie.martin@eleves.lycee-exemple.fr", "vie-scolaire@lycee-exemple.fr"}) {
					t.Errorf("envelope %q → %q", rec.From, rec.To)
				}
				checkMessage(t, rec, id, withHTML)
			})
		}
	}
}

// checkMessage parses a received message and checks its headers and body.
func checkMessage(t *testing.T, rec notifytest.Message, id string, withHTML bool) {
	t.Helper()
	pm, err := rec.Parse()
	if err != nil {
		t.Fatal(err)
	}
	h := pm.Header
	if d, err := h.Date(); err != nil || !d.Equal(t0) {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(h.Get("Subject")); err != nil || s != subject {
		t.Errorf("Subject %q decodes to %q (%v)", h.Get("Subject"), s, err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Préau – Lycée Exemple" {
		t.Errorf("From %q: %v", h.Get("From"), err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 2 || to[0].Name != "Élodie Martin" || to[1].Address != "vie-scolaire@lycee-exemple.fr" {
		t.Errorf("To %q: %v", h.Get("To"), err)
	}
	if h.Get("Message-Id") != id || !strings.HasSuffix(id, "@lycee-exemple.fr>") {
		t.Errorf("Message-ID %q, Send returned %q", h.Get("Message-Id"), id)
	}
	for k, want := range map[string]string{"Mime-Version": "1.0", "Auto-Submitted": "auto-generated",
		"X-Preau-Event": "auth.password.reset"} {
		if h.Get(k) != want {
			t.Errorf("%s %q, want %q", k, h.Get(k), want)
		}
	}
	if rt, err := h.AddressList("Reply-To"); err != nil || len(rt) != 1 || rt[0].Name != "Vie scolaire" {
		t.Errorf("Reply-To %q: %v", h.Get("Reply-To"), err)
	}
	for _, line := range strings.Split(string(rec.Data), "\r\n") {
		if len(line) > 998 || strings.Contains(line, "\n") {
			t.Errorf("bad line %q", line)
		}
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	if !withHTML {
		if mt != "text/plain" || params["charset"] != "utf-8" {
			t.Errorf("Content-Type %q", h.Get("Content-Type"))
		}
		checkPart(t, h.Get("Content-Transfer-Encoding"), pm.Body, text)
		return
	}
	if mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q", h.Get("Content-Type"))
	}
	mr := multipart.NewReader(pm.Body, params["boundary"])
	for _, want := range []struct{ ct, body string }{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html}} {
		p, err := mr.NextRawPart()
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") != want.ct {
			t.Errorf("part Content-Type %q, want %q", p.Header.Get("Content-Type"), want.ct)
		}
		checkPart(t, p.Header.Get("Content-Transfer-Encoding"), p, want.body)
	}
	if _, err := mr.NextRawPart(); err != io.EOF {
		t.Errorf("more than two parts: %v", err)
	}
}

// checkPart decodes a quoted-printable body and compares it with want.
func checkPart(t *testing.T, cte string, r io.Reader, want string) {
	t.Helper()
	if cte != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(b), "\r\n", "\n"); strings.TrimRight(got, "\n") != strings.TrimRight(want, "\n") {
		t.Errorf("body\n%q\nwant\n%q", got, want)
	}
}
