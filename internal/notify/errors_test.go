// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/notify/notifytest"
)

// okMessage is a valid message that tests spoil one field at a time.
func okMessage() notify.Message {
	return notify.Message{To: []string{"eleve@lycee-exemple.fr"}, Subject: subject, Text: text}
}

func TestSendRefusesBadMessages(t *testing.T) {
	t.Parallel()
	sink := startSink(t, notifytest.Config{})
	m := notify.New(plainConfig(sink.Addr()), core.NewFakeClock(t0), nil)
	tests := []struct {
		name   string
		change func(*notify.Message)
		want   []string
	}{
		{"subject with CRLF", func(m *notify.Message) { m.Subject = "Bonjour\r\nBcc: espion@example.com" },
			[]string{"Subject", "line break"}},
		{"subject with LF", func(m *notify.Message) { m.Subject = "Bonjour\nBcc: espion@example.com" },
			[]string{"Subject", "line break"}},
		{"recipient with CRLF", func(m *notify.Message) { m.To = []string{"a@b.fr\r\nBcc: espion@example.com"} },
			[]string{"To[0]", "line break"}},
		{"second recipient invalid", func(m *notify.Message) { m.To = []string{"a@b.fr", "pas une adresse"} },
			[]string{"To[1]", "not a valid address"}},
		{"address list in one entry", func(m *notify.Message) { m.To = []string{"a@b.fr, c@d.fr"} },
			[]string{"To[0]"}},
		{"non-ASCII address", func(m *notify.Message) { m.To = []string{"élève@lycée.fr"} },
			[]string{"To[0]", "non-ASCII"}},
		{"no recipient", func(m *notify.Message) { m.To = nil }, []string{"To", "no recipient"}},
		{"empty text", func(m *notify.Message) { m.Text = "" }, []string{"Text", "empty"}},
		{"invalid UTF-8", func(m *notify.Message) { m.Subject = "caf\xe9" }, []string{"Subject", "UTF-8"}},
		{"control character", func(m *notify.Message) { m.Subject = "a\x00b" }, []string{"Subject", "control"}},
		{"header value with LF", func(m *notify.Message) { m.Headers = map[string]string{"X-Event": "a\nBcc: x@y.fr"} },
			[]string{`Headers["X-Event"]`, "line break"}},
		{"header name with colon", func(m *notify.Message) { m.Headers = map[string]string{"Bcc: x@y.fr\r\nX": "v"} },
			[]string{"Headers", "invalid header name"}},
		{"reserved header", func(m *notify.Message) { m.Headers = map[string]string{"bcc": "x@y.fr"} },
			[]string{`Headers["bcc"]`, "set by the mailer"}},
		{"bad Reply-To", func(m *notify.Message) { m.Headers = map[string]string{"Reply-To": "nobody"} },
			[]string{`Headers["Reply-To"]`, "not a valid address"}},
		{"overlong subject", func(m *notify.Message) { m.Subject = strings.Repeat("a", 901) },
			[]string{"Subject", "longer than"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := okMessage()
			tc.change(&msg)
			id, err := m.Send(context.Background(), msg)
			wantKind(t, err, core.Invalid, tc.want...)
			if id != "" {
				t.Errorf("Send returned Message-ID %q with an error", id)
			}
		})
	}
	t.Cleanup(func() {
		if n := len(sink.Messages()); n != 0 {
			t.Errorf("the relay received %d messages", n)
		}
	})
}

func TestSendRelayReplies(t *testing.T) {
	t.Parallel()
	tlsConf, _ := relayCert()
	tests := []struct {
		name  string
		sink  notifytest.Config
		setup func(*notifytest.Sink)
		cfg   func(t *testing.T, c *notify.MailConfig)
		kind  core.Kind
		want  []string
	}{
		{"RCPT 450", notifytest.Config{}, func(s *notifytest.Sink) { s.FailRCPT(450, "4.2.1 Boîte pleine, réessayez") },
			nil, core.Unavailable, []string{"temporarily", "eleve@lycee-exemple.fr", "450 4.2.1 Boîte pleine"}},
		{"RCPT 550", notifytest.Config{}, func(s *notifytest.Sink) { s.FailRCPT(550, "5.1.1 Utilisateur inconnu") },
			nil, core.Invalid, []string{"refused recipient eleve@lycee-exemple.fr", "550 5.1.1 Utilisateur inconnu"}},
		{"DATA 451", notifytest.Config{}, func(s *notifytest.Sink) { s.FailDATA(451, "4.3.0 Erreur locale") },
			nil, core.Unavailable, []string{"451 4.3.0 Erreur locale"}},
		{"DATA 554", notifytest.Config{}, func(s *notifytest.Sink) { s.FailDATA(554, "5.7.1 Refusé comme spam") },
			nil, core.Invalid, []string{"554 5.7.1 Refusé comme spam"}},
		{"wrong password", notifytest.Config{TLS: tlsConf, Users: map[string]string{"preau": "s3cret"}}, nil,
			func(t *testing.T, c *notify.MailConfig) {
				c.TLS, c.CAFile, c.Username, c.Password = notify.TLSStartTLS, caFile(t), "preau", "faux"
			}, core.Invalid, []string{"AUTH", "535"}},
		{"no STARTTLS offered", notifytest.Config{}, nil,
			func(_ *testing.T, c *notify.MailConfig) { c.TLS = notify.TLSStartTLS },
			core.Unavailable, []string{"does not offer STARTTLS"}},
		{"untrusted certificate", notifytest.Config{TLS: tlsConf}, nil,
			func(_ *testing.T, c *notify.MailConfig) { c.TLS = notify.TLSStartTLS },
			core.Unavailable, []string{"STARTTLS", "certificate"}},
		{"no AUTH PLAIN offered", notifytest.Config{TLS: tlsConf}, nil,
			func(_ *testing.T, c *notify.MailConfig) {
				c.TLS, c.InsecureSkipVerify, c.Username, c.Password = notify.TLSStartTLS, true, "preau", "s3cret"
			}, core.Invalid, []string{"does not offer AUTH PLAIN"}},
		{"relay requires TLS", notifytest.Config{TLS: tlsConf, RequireTLS: true}, nil, nil,
			core.Invalid, []string{"MAIL FROM", "530"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := startSink(t, tc.sink)
			if tc.setup != nil {
				tc.setup(sink)
			}
			cfg := plainConfig(sink.Addr())
			if tc.cfg != nil {
				tc.cfg(t, &cfg)
			}
			_, err := notify.New(cfg, core.NewFakeClock(t0), nil).Send(context.Background(), okMessage())
			wantKind(t, err, tc.kind, tc.want...)
			if n := len(sink.Messages()); n != 0 {
				t.Errorf("the sink recorded %d messages", n)
			}
		})
	}
	t.Run("insecure skip verify", func(t *testing.T) {
		t.Parallel()
		sink := startSink(t, notifytest.Config{TLS: tlsConf})
		cfg := plainConfig(sink.Addr())
		cfg.TLS, cfg.InsecureSkipVerify = notify.TLSStartTLS, true
		if _, err := notify.New(cfg, core.NewFakeClock(t0), nil).Send(context.Background(), okMessage()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSendRelayDown(t *testing.T) {
	t.Parallel()
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		_, err = notify.New(plainConfig(addr), core.NewFakeClock(t0), nil).Send(context.Background(), okMessage())
		wantKind(t, err, core.Unavailable, "cannot reach mail relay "+addr)
	})
	// silent starts a relay that accepts connections and never speaks.
	silent := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		t.Cleanup(func() {
			_ = ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				_ = c.Close()
			}
		})
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		return ln.Addr().String()
	}
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		cfg := plainConfig(silent(t))
		cfg.Timeout = 100 * time.Millisecond
		_, err := notify.New(cfg, core.NewFakeClock(t0), nil).Send(context.Background(), okMessage())
		wantKind(t, err, core.Unavailable, "did not complete the exchange within 100ms", "greeting")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		m := notify.New(plainConfig(silent(t)), core.NewFakeClock(t0), nil)
		done := make(chan error, 1)
		go func() { _, err := m.Send(ctx, okMessage()); done <- err }()
		cancel()
		wantKind(t, <-done, core.Unavailable, "cancelled")
	})
}

func TestSendDisabledOrMisconfigured(t *testing.T) {
	t.Parallel()
	m := notify.New(notify.MailConfig{}, core.SystemClock{}, nil)
	if m.Enabled() {
		t.Error("a mailer without relay is enabled")
	}
	_, err := m.Send(context.Background(), okMessage())
	wantKind(t, err, core.Unavailable, "disabled")

	bad := notify.New(notify.MailConfig{Relay: "smtp.example.fr:587", From: "pas une adresse"}, core.SystemClock{}, nil)
	if !bad.Enabled() {
		t.Error("a mailer with a relay is disabled")
	}
	_, err = bad.Send(context.Background(), okMessage())
	wantKind(t, err, core.Invalid, "misconfigured", "mail.from")

	cfg := plainConfig("127.0.0.1:25")
	cfg.CAFile = "/nonexistent/ca.pem"
	_, err = notify.New(cfg, core.SystemClock{}, nil).Send(context.Background(), okMessage())
	wantKind(t, err, core.Invalid, "mail.ca_file")
}

func TestMailConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  notify.MailConfig
		want []string // nil: valid
	}{
		{"disabled", notify.MailConfig{}, nil},
		{"disabled ignores the rest", notify.MailConfig{From: "x", TLS: "bogus"}, nil},
		{"minimal", notify.MailConfig{Relay: "smtp.ac-exemple.fr:587", From: "preau@lycee.fr"}, nil},
		{"full", notify.MailConfig{Relay: "[2001:db8::1]:465", From: "Préau <preau@lycee.fr>", TLS: "tls",
			Username: "u", Password: "p", HeloName: "preau.lycee.fr", Timeout: time.Minute}, nil},
		{"every problem", notify.MailConfig{Relay: "smtp.ac-exemple.fr", From: "a@b\r\nBcc: c@d", TLS: "ssl",
			Password: "p\n", HeloName: "bad name", Timeout: -1},
			[]string{"mail.relay", "mail.from", "line break", "mail.tls", "mail.password is set without",
				"NUL or line breaks", "mail.helo_name", "mail.timeout"}},
		{"bad port", notify.MailConfig{Relay: "smtp:0", From: "a@b.fr"}, []string{"invalid port"}},
		{"missing from", notify.MailConfig{Relay: "smtp:25"}, []string{"mail.from is required"}},
		{"password in clear", notify.MailConfig{Relay: "smtp:25", From: "a@b.fr", TLS: "none", Username: "u"},
			[]string{"in clear"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if core.KindOf(err) != core.Invalid {
				t.Fatalf("got %v, want core.Invalid", err)
			}
			for _, f := range tc.want {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("%q does not mention %q", err, f)
				}
			}
		})
	}
}
