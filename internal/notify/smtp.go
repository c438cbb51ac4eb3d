// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// deliver runs one SMTP exchange with the relay: connect (TLS from the start
// in TLSImplicit mode), EHLO, STARTTLS (required in TLSStartTLS mode), AUTH
// PLAIN when a user is configured, MAIL, RCPT for each recipient, DATA, QUIT.
// The whole exchange is bounded by the configured timeout and by ctx.
func (m *Mailer) deliver(ctx context.Context, env *envelope) error {
	budget := m.cfg.timeout()
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < budget {
		budget = time.Until(dl).Round(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.timeout())
	defer cancel()
	host, _, _ := net.SplitHostPort(m.cfg.Relay)
	tlsConf := &tls.Config{
		ServerName:         host,
		RootCAs:            m.roots,
		InsecureSkipVerify: m.cfg.InsecureSkipVerify, //nolint:gosec // explicit operator choice
		MinVersion:         tls.VersionTLS12,
	}
	x := &exchange{m: m, ctx: ctx, budget: budget}

	var conn net.Conn
	var err error
	if m.cfg.tlsMode() == TLSImplicit {
		d := &tls.Dialer{Config: tlsConf}
		conn, err = d.DialContext(ctx, "tcp", m.cfg.Relay)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", m.cfg.Relay)
	}
	if err != nil {
		return x.fail(stepConnect, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	// Cancelling ctx interrupts any pending read or write.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return x.fail("reading the greeting", err)
	}
	defer c.Close()
	if err := c.Hello(m.helo); err != nil {
		return x.fail("EHLO", err)
	}
	if m.cfg.tlsMode() == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return core.E("notify.Send", core.Unavailable, "mail relay %s does not offer STARTTLS "+
				"(mail.tls = %q requires it)", m.cfg.Relay, TLSStartTLS)
		}
		if err := c.StartTLS(tlsConf); err != nil {
			return x.fail("STARTTLS", err)
		}
	}
	if err := x.auth(c); err != nil {
		return err
	}
	return x.transfer(c, env)
}

// exchange holds what error reporting needs during one delivery.
type exchange struct {
	m      *Mailer
	ctx    context.Context
	budget time.Duration // time allowed for the exchange, for messages
}

// auth authenticates with AUTH PLAIN when a user is configured.
func (x *exchange) auth(c *smtp.Client) error {
	if x.m.cfg.Username == "" {
		return nil
	}
	ok, mechs := c.Extension("AUTH")
	if !ok || !slices.Contains(strings.Fields(strings.ToUpper(mechs)), "PLAIN") {
		return core.E("notify.Send", core.Invalid, "mail relay %s does not offer AUTH PLAIN "+
			"(offered: %q); remove mail.username or use another relay", x.m.cfg.Relay, mechs)
	}
	if err := c.Auth(plainAuth{user: x.m.cfg.Username, pass: x.m.cfg.Password}); err != nil {
		return x.fail("AUTH", err)
	}
	return nil
}

// transfer sends the envelope and the message, then quits.
func (x *exchange) transfer(c *smtp.Client, env *envelope) error {
	if err := c.Mail(env.from); err != nil {
		return x.fail("MAIL FROM "+env.from, err)
	}
	for _, r := range env.rcpt {
		if err := c.Rcpt(r); err != nil {
			return x.fail("recipient "+r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return x.fail("DATA", err)
	}
	if _, err := w.Write(env.data); err != nil {
		return x.fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return x.fail("the message", err)
	}
	// The message is accepted: a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// fail classifies an error met at the given step: an SMTP reply 4xx is
// core.Unavailable and 5xx core.Invalid, both quoting the reply; network,
// TLS and timeout failures are core.Unavailable.
func (x *exchange) fail(step string, err error) error {
	const op = "notify.Send"
	relay := x.m.cfg.Relay
	var te *textproto.Error
	if errors.As(err, &te) {
		reply := fmt.Sprintf("%d %s", te.Code, te.Msg)
		if te.Code >= 400 && te.Code < 500 {
			return &core.Error{Op: op, Kind: core.Unavailable, Err: err,
				Msg: fmt.Sprintf("mail relay %s temporarily refused %s: %s", relay, step, reply)}
		}
		return &core.Error{Op: op, Kind: core.Invalid, Err: err,
			Msg: fmt.Sprintf("mail relay %s refused %s: %s", relay, step, reply)}
	}
	if errors.Is(x.ctx.Err(), context.Canceled) {
		return &core.Error{Op: op, Kind: core.Unavailable, Err: err,
			Msg: fmt.Sprintf("sending through mail relay %s was cancelled (%s)", relay, step)}
	}
	// The connection's deadline is the exchange's, so a network timeout is
	// the exchange timing out, even if ctx has not noticed yet.
	var ne net.Error
	if x.ctx.Err() != nil || errors.As(err, &ne) && ne.Timeout() {
		return &core.Error{Op: op, Kind: core.Unavailable, Err: err,
			Msg: fmt.Sprintf("mail relay %s did not complete the exchange within %v (%s)",
				relay, x.budget, step)}
	}
	if step == stepConnect {
		return &core.Error{Op: op, Kind: core.Unavailable, Err: err,
			Msg: fmt.Sprintf("cannot reach mail relay %s: %v", relay, err)}
	}
	return &core.Error{Op: op, Kind: core.Unavailable, Err: err,
		Msg: fmt.Sprintf("mail relay %s: %s failed: %v", relay, step, err)}
}

// stepConnect names the connection step in errors.
const stepConnect = "connecting"

// plainAuth is SASL PLAIN (RFC 4616) that refuses to run without TLS, even
// towards localhost (net/smtp.PlainAuth allows that).
type plainAuth struct{ user, pass string }

// Start implements smtp.Auth.
func (a plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("refusing AUTH PLAIN over an unencrypted connection")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

// Next implements smtp.Auth; PLAIN has no challenge.
func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}
