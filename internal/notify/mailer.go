// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package notify sends Préau's outbound mail (notifications, alerts, quota
// warnings) through the configured relay (design §5). Services call a
// Mailer rather than speaking SMTP themselves.
//
// Any service may import notify; it imports only internal/core and the
// standard library. Package notifytest provides an SMTP sink for tests.
package notify

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"

	"github.com/preau/preau/internal/core"
)

// Mailer sends messages through the relay of its MailConfig. It is safe for
// concurrent use; each Send opens its own connection.
type Mailer struct {
	cfg     MailConfig
	clock   core.Clock
	log     *slog.Logger
	from    *mail.Address
	helo    string
	roots   *x509.CertPool // nil: system roots
	initErr error          // a configuration problem, returned by every Send
}

// New returns a Mailer for cfg. cfg should have passed Validate: if it is
// invalid, or its CAFile cannot be loaded, New still returns a Mailer whose
// Send reports the problem as core.Invalid. log may be nil.
func New(cfg MailConfig, clock core.Clock, log *slog.Logger) *Mailer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Mailer{cfg: cfg, clock: clock, log: log, helo: cfg.HeloName}
	if !m.Enabled() {
		return m
	}
	if err := cfg.Validate(); err != nil {
		m.initErr = err
		return m
	}
	m.from, _ = parseAddress(cfg.From) // valid: checked by Validate
	if m.helo == "" {
		m.helo = defaultHelo()
	}
	if cfg.CAFile != "" {
		m.roots, m.initErr = loadRoots(cfg.CAFile)
	}
	return m
}

// Enabled reports whether a relay is configured. When it is not, Send
// returns a core.Unavailable error and callers fall back to portal notices.
func (m *Mailer) Enabled() bool { return m.cfg.Relay != "" }

// Send validates, builds and delivers msg, and returns its Message-ID
// (with angle brackets, as in the header) so that callers can journal it.
//
// The error is a *core.Error:
//   - core.Invalid when msg is wrong (the message names the field: an
//     address, a header with a line break …), when the configuration is
//     wrong, or when the relay refuses permanently (5xx; the message quotes
//     the relay's reply);
//   - core.Unavailable when mail is disabled, the relay cannot be reached,
//     times out, fails TLS, or refuses temporarily (4xx): retry later.
//
// Send gives up when ctx ends or after MailConfig.Timeout, whichever comes
// first. A message is delivered to all its recipients or to none.
func (m *Mailer) Send(ctx context.Context, msg Message) (string, error) {
	const op = "notify.Send"
	if !m.Enabled() {
		return "", core.E(op, core.Unavailable, "outbound mail is disabled (no relay configured)")
	}
	if m.initErr != nil {
		return "", &core.Error{Op: op, Kind: core.Invalid,
			Msg: "outbound mail is misconfigured: " + core.MessageOf(m.initErr), Err: m.initErr}
	}
	id := newMessageID(m.from.Address)
	env, err := build(msg, m.from, m.clock.Now(), id)
	if err != nil {
		return "", core.E(op, core.Invalid, "%v", err)
	}
	if err := m.deliver(ctx, env); err != nil {
		return "", err
	}
	m.log.Info("mail sent", "message_id", id, "recipients", len(env.rcpt), "relay", m.cfg.Relay)
	return id, nil
}

// newMessageID returns a unique "<id@domain>" for a sender address.
func newMessageID(from string) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return "<" + core.NewID() + "@" + domain + ">"
}

// defaultHelo returns the host name if it is usable in EHLO.
func defaultHelo() string {
	if h, err := os.Hostname(); err == nil && validHelo(h) {
		return h
	}
	return "localhost"
}

// loadRoots returns the system roots plus the certificates of file.
func loadRoots(file string) (*x509.CertPool, error) {
	const op = "notify.New"
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, core.E(op, core.Invalid, "mail.ca_file: %v", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, core.E(op, core.Invalid, "mail.ca_file %s: no PEM certificate found", file)
	}
	return pool, nil
}

// String describes the mailer for logs, without secrets.
func (m *Mailer) String() string {
	if !m.Enabled() {
		return "mail disabled"
	}
	return fmt.Sprintf("mail via %s (%s)", m.cfg.Relay, m.cfg.tlsMode())
}
