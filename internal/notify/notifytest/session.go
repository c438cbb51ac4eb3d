// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notifytest

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// idleTimeout bounds the wait for each client command.
const idleTimeout = time.Minute

// session is one SMTP connection.
type session struct {
	s    *Sink
	conn net.Conn
	tp   *textproto.Conn
	tls  bool
	helo string
	user string
	// envelope of the message in progress
	inMail bool
	from   string
	rcpt   []string
}

func newSession(s *Sink, c net.Conn) *session {
	_, isTLS := c.(*tls.Conn)
	return &session{s: s, conn: c, tp: textproto.NewConn(c), tls: isTLS}
}

// serve runs the command loop until QUIT, an error or the sink's Close.
func (ss *session) serve() {
	if ss.reply(220, ss.s.cfg.Hostname+" ESMTP notifytest") != nil {
		return
	}
	for {
		_ = ss.conn.SetDeadline(time.Now().Add(idleTimeout))
		line, err := ss.tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if quit, err := ss.command(strings.ToUpper(verb), strings.TrimSpace(arg)); quit || err != nil {
			return
		}
	}
}

// command runs one command; quit reports the end of the session.
func (ss *session) command(verb, arg string) (quit bool, err error) {
	switch verb {
	case "EHLO", "HELO":
		return false, ss.hello(verb, arg)
	case "STARTTLS":
		return false, ss.startTLS()
	case "AUTH":
		return false, ss.auth(arg)
	case "MAIL":
		return false, ss.mail(arg)
	case "RCPT":
		return false, ss.rcptTo(arg)
	case "DATA":
		return false, ss.data()
	case "RSET":
		ss.reset()
		return false, ss.reply(250, "2.0.0 OK")
	case "NOOP":
		return false, ss.reply(250, "2.0.0 OK")
	case "QUIT":
		_ = ss.reply(221, "2.0.0 Bye")
		return true, nil
	}
	return false, ss.reply(500, "5.5.2 Command not recognized")
}

// reply sends a reply; a text with newlines becomes a multi-line reply.
func (ss *session) reply(code int, text string) error {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		if err := ss.tp.PrintfLine("%d%s%s", code, sep, l); err != nil {
			return err
		}
	}
	return nil
}

func (ss *session) reset() { ss.inMail, ss.from, ss.rcpt = false, "", nil }

func (ss *session) authOffered() bool {
	return ss.s.cfg.Users != nil && ss.user == "" && (ss.tls || ss.s.cfg.AuthInClear)
}

func (ss *session) hello(verb, arg string) error {
	if arg == "" {
		return ss.reply(501, "5.5.4 Syntax: "+verb+" hostname")
	}
	ss.helo = arg
	ss.reset()
	if verb == "HELO" {
		return ss.reply(250, ss.s.cfg.Hostname)
	}
	ext := []string{ss.s.cfg.Hostname, "8BITMIME", fmt.Sprintf("SIZE %d", ss.s.cfg.MaxSize)}
	if ss.s.cfg.TLS != nil && !ss.tls {
		ext = append(ext, "STARTTLS")
	}
	if ss.authOffered() {
		ext = append(ext, "AUTH PLAIN")
	}
	return ss.reply(250, strings.Join(ext, "\n"))
}

func (ss *session) startTLS() error {
	if ss.s.cfg.TLS == nil || ss.tls {
		return ss.reply(502, "5.5.1 STARTTLS not available")
	}
	if err := ss.reply(220, "2.0.0 Ready to start TLS"); err != nil {
		return err
	}
	tc := tls.Server(ss.conn, ss.s.cfg.TLS)
	if err := tc.Handshake(); err != nil {
		return err
	}
	// RFC 3207: forget everything learnt before TLS.
	ss.conn, ss.tp, ss.tls, ss.helo = tc, textproto.NewConn(tc), true, ""
	ss.reset()
	return nil
}

func (ss *session) auth(arg string) error {
	mech, initial, _ := strings.Cut(arg, " ")
	switch {
	case !ss.authOffered():
		return ss.reply(503, "5.5.1 AUTH not available")
	case !strings.EqualFold(mech, "PLAIN"):
		return ss.reply(504, "5.5.4 Unrecognized authentication type")
	}
	if initial == "" {
		if err := ss.reply(334, ""); err != nil {
			return err
		}
		line, err := ss.tp.ReadLine()
		if err != nil {
			return err
		}
		initial = line
	}
	if initial == "*" {
		return ss.reply(501, "5.0.0 Authentication cancelled")
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 3 {
		return ss.reply(501, "5.5.2 Malformed PLAIN response")
	}
	if pw, ok := ss.s.cfg.Users[parts[1]]; !ok || pw != parts[2] {
		return ss.reply(535, "5.7.8 Authentication credentials invalid")
	}
	ss.user = parts[1]
	return ss.reply(235, "2.7.0 Authentication successful")
}

func (ss *session) mail(arg string) error {
	switch {
	case ss.helo == "":
		return ss.reply(503, "5.5.1 Send EHLO first")
	case ss.inMail:
		return ss.reply(503, "5.5.1 Nested MAIL command")
	case ss.s.cfg.RequireTLS && !ss.tls:
		return ss.reply(530, "5.7.0 Must issue a STARTTLS command first")
	case ss.s.cfg.Users != nil && ss.user == "":
		return ss.reply(530, "5.7.0 Authentication required")
	}
	addr, err := ParsePath(arg, "FROM:")
	if err != nil {
		return ss.reply(501, "5.1.7 "+err.Error())
	}
	ss.inMail, ss.from = true, addr
	return ss.reply(250, "2.1.0 OK")
}

func (ss *session) rcptTo(arg string) error {
	if !ss.inMail {
		return ss.reply(503, "5.5.1 Send MAIL first")
	}
	addr, err := ParsePath(arg, "TO:")
	if err == nil && addr == "" {
		err = errors.New("empty recipient")
	}
	if err != nil {
		return ss.reply(501, "5.1.3 "+err.Error())
	}
	if r, _ := ss.s.forced(); r.code != 0 {
		return ss.reply(r.code, r.text)
	}
	ss.rcpt = append(ss.rcpt, addr)
	return ss.reply(250, "2.1.5 OK")
}

func (ss *session) data() error {
	if !ss.inMail || len(ss.rcpt) == 0 {
		return ss.reply(503, "5.5.1 Send MAIL and RCPT first")
	}
	if err := ss.reply(354, "End data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	var b strings.Builder
	tooBig := false
	for {
		line, err := ss.tp.ReadLine()
		if err != nil {
			return err
		}
		if line == "." {
			break
		}
		line = strings.TrimPrefix(line, ".") // dot-unstuffing (RFC 5321 §4.5.2)
		if b.Len()+len(line)+2 > ss.s.cfg.MaxSize {
			tooBig = true
			continue
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	m := Message{Helo: ss.helo, From: ss.from, To: ss.rcpt, Data: []byte(b.String()), TLS: ss.tls, User: ss.user}
	ss.reset()
	if tooBig {
		return ss.reply(552, "5.3.4 Message too big")
	}
	if _, r := ss.s.forced(); r.code != 0 {
		return ss.reply(r.code, r.text)
	}
	ss.s.record(m)
	return ss.reply(250, "2.0.0 OK queued")
}
