// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notifytest_test

import (
	"encoding/base64"
	"net/textproto"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/notify/notifytest"
)

// dial opens a line-oriented client to s and reads the greeting.
func dial(t *testing.T, s *notifytest.Sink) *textproto.Conn {
	t.Helper()
	c, err := textproto.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	expect(t, c, "", 220)
	return c
}

// expect sends cmd (unless empty) and checks the reply code.
func expect(t *testing.T, c *textproto.Conn, cmd string, code int) string {
	t.Helper()
	if cmd != "" {
		if err := c.PrintfLine("%s", cmd); err != nil {
			t.Fatal(err)
		}
	}
	got, msg, err := c.ReadResponse(0)
	if got != code {
		t.Fatalf("%q: got %d %s (%v), want %d", cmd, got, msg, err, code)
	}
	return msg
}

func newSink(t *testing.T, cfg notifytest.Config) *notifytest.Sink {
	t.Helper()
	s, err := notifytest.NewSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestSinkDialogue(t *testing.T) {
	t.Parallel()
	s := newSink(t, notifytest.Config{Users: map[string]string{"u": "p"}, AuthInClear: true, MaxSize: 200})
	c := dial(t, s)
	expect(t, c, "MAIL FROM:<a@b.fr>", 503) // before EHLO
	if ext := expect(t, c, "EHLO client.test", 250); !strings.Contains(ext, "AUTH PLAIN") ||
		strings.Contains(ext, "STARTTLS") {
		t.Errorf("EHLO reply %q", ext)
	}
	expect(t, c, "NOOP", 250)
	expect(t, c, "VRFY x", 500)
	expect(t, c, "MAIL FROM:<a@b.fr>", 530) // not authenticated
	expect(t, c, "AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00u\x00wrong")), 535)
	expect(t, c, "AUTH PLAIN", 334)
	expect(t, c, base64.StdEncoding.EncodeToString([]byte("\x00u\x00p")), 235)
	expect(t, c, "RCPT TO:<x@y.fr>", 503) // before MAIL
	expect(t, c, "MAIL FROM:<a@b.fr> BODY=8BITMIME", 250)
	expect(t, c, "RSET", 250)
	expect(t, c, "DATA", 503) // RSET forgot the envelope
	expect(t, c, "MAIL FROM:<>", 250)
	expect(t, c, "RCPT TO:<>", 501)
	expect(t, c, "RCPT TO:<x@y.fr>", 250)
	expect(t, c, "RCPT TO:<z@y.fr>", 250)
	expect(t, c, "DATA", 354)
	expect(t, c, "Subject: test\r\n\r\n..ligne\r\n..\r\n...\r\nfin\r\n.", 250)
	expect(t, c, "MAIL FROM:<a@b.fr>", 250)
	expect(t, c, "RCPT TO:<x@y.fr>", 250)
	expect(t, c, "DATA", 354)
	expect(t, c, strings.Repeat("trop long\r\n", 30)+".", 552)
	expect(t, c, "QUIT", 221)

	msgs, err := s.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.From != "" || !slices.Equal(m.To, []string{"x@y.fr", "z@y.fr"}) || m.User != "u" || m.Helo != "client.test" || m.TLS {
		t.Errorf("recorded %+v", m)
	}
	if want := "Subject: test\r\n\r\n.ligne\r\n.\r\n..\r\nfin\r\n"; string(m.Data) != want {
		t.Errorf("data %q, want %q", m.Data, want)
	}
	if _, err := s.WaitFor(2, 10*time.Millisecond); err == nil {
		t.Error("WaitFor(2) succeeded with one message")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSinkForcedReplies(t *testing.T) {
	t.Parallel()
	s := newSink(t, notifytest.Config{})
	c := dial(t, s)
	expect(t, c, "HELO client.test", 250)
	s.FailRCPT(452, "4.5.3 Too many recipients")
	expect(t, c, "MAIL FROM:<a@b.fr>", 250)
	expect(t, c, "RCPT TO:<x@y.fr>", 452)
	s.FailRCPT(0, "")
	expect(t, c, "RCPT TO:<x@y.fr>", 250)
	s.FailDATA(554, "5.6.0 No")
	expect(t, c, "DATA", 354)
	expect(t, c, "x\r\n.", 554)
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages recorded", n)
	}
}

func TestParsePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg, kw, want string
		ok            bool
	}{
		{"FROM:<a@b.fr>", "FROM:", "a@b.fr", true},
		{"from: <a@b.fr> SIZE=10", "FROM:", "a@b.fr", true},
		{"FROM:<>", "FROM:", "", true},
		{"TO:<a@b.fr>", "TO:", "a@b.fr", true},
		{"TO:a@b.fr", "TO:", "", false},
		{"TO:<a@b.fr", "TO:", "", false},
		{"TO:<a@b.fr>x", "TO:", "", false},
		{"TO:<a b@c.fr>", "TO:", "", false},
		{"TO:<ab>", "TO:", "", false},
		{"FROM:<a@b.fr>", "TO:", "", false},
		{"", "TO:", "", false},
	}
	for _, tc := range tests {
		got, err := notifytest.ParsePath(tc.arg, tc.kw)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePath(%q, %q) = %q, %v", tc.arg, tc.kw, got, err)
		}
	}
}

// FuzzParsePath checks that ParsePath never panics and that what it accepts
// is free of the characters that would break an SMTP command.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"FROM:<a@b.fr>", "TO: <x@y.fr> NOTIFY=NEVER", "FROM:<>", "TO:<a\r\nb@c>",
		"TO:<<a@b>>", "to:<@a@b>", "FROM:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		for _, kw := range []string{"FROM:", "TO:"} {
			addr, err := notifytest.ParsePath(arg, kw)
			if err != nil {
				continue
			}
			if strings.ContainsAny(addr, "<> \t\r\n\x00") {
				t.Fatalf("ParsePath(%q) accepted %q", arg, addr)
			}
			if addr != "" && !strings.Contains(addr, "@") {
				t.Fatalf("ParsePath(%q) accepted %q without @", arg, addr)
			}
		}
	})
}
