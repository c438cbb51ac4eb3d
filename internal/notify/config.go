// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// TLS modes of MailConfig.TLS.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the relay must offer (default)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: only for a relay on a trusted network, and never with a password
)

// DefaultTimeout bounds a whole SMTP exchange when MailConfig.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// MailConfig is the outbound mail section of the configuration: the relay
// (smart host) through which every notification leaves Préau.
type MailConfig struct {
	// Relay is the relay's "host:port". Empty disables outbound mail.
	Relay string
	// From is the sender of notifications, e.g.
	// "Préau – Lycée Exemple <ne-pas-repondre@lycee-exemple.fr>". Required
	// when Relay is set. Its domain names the Message-IDs.
	From string
	// Username and Password authenticate to the relay with AUTH PLAIN, only
	// over TLS. Empty Username means no authentication.
	Username string
	Password string
	// TLS is one of TLSStartTLS (when empty), TLSImplicit or TLSNone.
	TLS string
	// CAFile is an optional PEM file of CA certificates trusted for the relay
	// in addition to the system ones (e.g. an académie's internal CA).
	CAFile string
	// InsecureSkipVerify accepts any relay certificate. Avoid it.
	InsecureSkipVerify bool
	// HeloName is the name given in EHLO; empty means the machine's host name.
	HeloName string
	// Timeout bounds a whole exchange (connect to QUIT); 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// Validate reports every problem of c at once, joined with errors.Join, each
// a *core.Error of kind core.Invalid naming the key. A config with an empty
// Relay (mail disabled) is valid whatever its other fields.
func (c *MailConfig) Validate() error {
	if c.Relay == "" {
		return nil
	}
	var errs []error
	bad := func(msg string, args ...any) {
		errs = append(errs, core.E("notify.MailConfig.Validate", core.Invalid, msg, args...))
	}
	if host, port, err := net.SplitHostPort(c.Relay); err != nil || host == "" {
		bad("mail.relay %q: want host:port, e.g. smtp.ac-exemple.fr:587", c.Relay)
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		bad("mail.relay %q: invalid port %q", c.Relay, port)
	}
	if c.From == "" {
		bad("mail.from is required when mail.relay is set")
	} else if _, err := parseAddress(c.From); err != nil {
		bad("mail.from: %v", err)
	}
	switch c.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if c.Username != "" {
			bad("mail.username is set with mail.tls = %q: the password would travel in clear", TLSNone)
		}
	default:
		bad("mail.tls %q: want %q, %q or %q", c.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if c.Password != "" && c.Username == "" {
		bad("mail.password is set without mail.username")
	}
	if strings.ContainsAny(c.Username+c.Password, "\x00\r\n") {
		bad("mail.username and mail.password cannot contain NUL or line breaks")
	}
	if c.HeloName != "" && !validHelo(c.HeloName) {
		bad("mail.helo_name %q: want a host name", c.HeloName)
	}
	if c.Timeout < 0 {
		bad("mail.timeout cannot be negative")
	}
	return errors.Join(errs...)
}

// tlsMode returns c.TLS with its default applied.
func (c *MailConfig) tlsMode() string {
	if c.TLS == "" {
		return TLSStartTLS
	}
	return c.TLS
}

// timeout returns c.Timeout with its default applied.
func (c *MailConfig) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// validHelo accepts a host name or an address literal such as [192.0.2.1].
func validHelo(s string) bool {
	if len(s) > 255 || s == "" {
		return false
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return net.ParseIP(strings.TrimPrefix(s[1:len(s)-1], "IPv6:")) != nil
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
