// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify

import (
	"bytes"
	"mime"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzBuild feeds arbitrary recipients, subject, header and bodies to the
// message builder. Whatever the input, it must either refuse it or produce a
// message that net/mail parses with exactly the expected header fields (no
// injected one), lines within RFC 5322 limits, the recipients as envelope,
// and the subject back after MIME decoding.
func FuzzBuild(f *testing.F) {
	f.Add("Élodie Martin <elodie@lycee.fr>", "Réinitialisation du mot de passe", "X-Preau-Event", "auth.reset",
		"Bonjour,\n.\n", "")
	f.Add("a@b.fr", "Bonjour\r\nBcc: x@y.fr", "Reply-To", "Vie scolaire <vs@lycee.fr>", "texte", "<p>html</p>")
	f.Add("a@b.fr\r\nBcc: x@y.fr", "s", "Bcc", "x@y.fr", "t", "")
	f.Add("=?utf-8?q?=0D=0ABcc:_x@y.fr?= <a@b.fr>", "=?utf-8?q?a?=", "X-A", "v\nBcc: x@y.fr", "t", "h")
	f.Add(`"Dupont, Jean" <jean.dupont@lycee.fr>`, strings.Repeat("é", 300), "Auto-Submitted", "no", "t", "")
	f.Add("<a@[192.0.2.1]>", "\x00", "X:Y", "v", "\xff", "")
	from := &mail.Address{Name: "Préau", Address: "preau@lycee.fr"}
	date := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, to, subject, hname, hvalue, text, html string) {
		m := Message{To: []string{to, "b@c.fr"}, Subject: subject, Text: text, HTML: html,
			Headers: map[string]string{hname: hvalue}}
		env, err := build(m, from, date, "<id@lycee.fr>")
		if err != nil {
			return
		}
		pm, err := mail.ReadMessage(bytes.NewReader(env.data))
		if err != nil {
			t.Fatalf("unparsable message: %v\n%q", err, env.data)
		}
		want := []string{"Auto-Submitted", "Content-Transfer-Encoding", "Content-Type", "Date", "From",
			"Message-Id", "Mime-Version", "Subject", "To", textproto.CanonicalMIMEHeaderKey(hname)}
		for k, v := range pm.Header {
			if !slices.Contains(want, k) || len(v) != 1 {
				t.Fatalf("unexpected header %q: %q", k, v)
			}
		}
		if html != "" && pm.Header.Get("Content-Transfer-Encoding") != "" {
			t.Fatal("Content-Transfer-Encoding at top level of a multipart message")
		}
		head, _, _ := bytes.Cut(env.data, []byte("\r\n\r\n"))
		for line := range strings.SplitSeq(string(head), "\r\n") {
			if len(line) > 998 || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad header line %q", line)
			}
		}
		addrs, err := pm.Header.AddressList("To")
		if err != nil || len(addrs) != 2 || addrs[0].Address != env.rcpt[0] || env.rcpt[1] != "b@c.fr" {
			t.Fatalf("To %q parses to %v (%v), envelope %q", pm.Header.Get("To"), addrs, err, env.rcpt)
		}
		if want := strings.Trim(subject, " \t"); !strings.Contains(subject, "=?") {
			got, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
			if err != nil || got != want {
				t.Fatalf("Subject %q decodes to %q (%v)", subject, got, err)
			}
		}
	})
}
