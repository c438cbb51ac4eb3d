// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package notifytest provides Sink, a local SMTP server that records what it
// receives, for testing code that sends mail through notify.Mailer (or any
// SMTP client). Only tests import it.
package notifytest

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"sync"
	"time"
)

// Config configures a Sink. The zero value is a plain SMTP sink that accepts
// everything without authentication.
type Config struct {
	// TLS, when set, makes the sink offer STARTTLS with this configuration.
	TLS *tls.Config
	// ImplicitTLS makes the sink speak TLS from the first byte (SMTPS, port
	// 465 style) with the TLS configuration, which must then be set.
	ImplicitTLS bool
	// RequireTLS refuses MAIL before STARTTLS with 530.
	RequireTLS bool
	// Users, when non-nil, makes the sink offer AUTH PLAIN (once the
	// connection is encrypted, unless AuthInClear) and refuse MAIL from
	// unauthenticated clients. It maps user names to passwords.
	Users map[string]string
	// AuthInClear offers AUTH PLAIN on unencrypted connections too.
	AuthInClear bool
	// Hostname is the name in the greeting; default "sink.test".
	Hostname string
	// MaxSize is the largest message accepted, in bytes; default 10 MiB.
	MaxSize int
}

// Message is one message received by the sink.
type Message struct {
	Helo string   // name given in EHLO or HELO
	From string   // envelope sender (MAIL FROM), "" for the null sender
	To   []string // envelope recipients (RCPT TO), in order
	Data []byte   // the message as sent, dot-unstuffed, CRLF line ends
	TLS  bool     // the message travelled encrypted
	User string   // the authenticated user, "" if none
}

// Parse parses Data as an RFC 5322 message.
func (m Message) Parse() (*mail.Message, error) { return mail.ReadMessage(bytes.NewReader(m.Data)) }

// Sink is a running SMTP sink listening on 127.0.0.1. It is safe for
// concurrent use; each connection is served by its own goroutine.
type Sink struct {
	cfg Config
	ln  net.Listener
	wg  sync.WaitGroup

	mu       sync.Mutex
	msgs     []Message
	changed  chan struct{} // closed and replaced when a message arrives
	conns    map[net.Conn]struct{}
	failRCPT reply
	failDATA reply
	closed   bool
}

// reply is a forced SMTP reply; code 0 means none.
type reply struct {
	code int
	text string
}

// NewSink starts a sink on 127.0.0.1 with a free port. Stop it with Close.
func NewSink(cfg Config) (*Sink, error) {
	if cfg.ImplicitTLS && cfg.TLS == nil {
		return nil, fmt.Errorf("notifytest: ImplicitTLS needs a TLS configuration")
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "sink.test"
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = 10 << 20
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if cfg.ImplicitTLS {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	s := &Sink{cfg: cfg, ln: ln, changed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr returns the "host:port" the sink listens on.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// FailRCPT makes every following RCPT command get the reply "code text"
// (e.g. 450 or 550). A code of 0 restores normal replies.
func (s *Sink) FailRCPT(code int, text string) {
	s.mu.Lock()
	s.failRCPT = reply{code, text}
	s.mu.Unlock()
}

// FailDATA makes every following message get the reply "code text" after
// its final dot, instead of being recorded. A code of 0 restores normal
// replies.
func (s *Sink) FailDATA(code int, text string) {
	s.mu.Lock()
	s.failDATA = reply{code, text}
	s.mu.Unlock()
}

// Messages returns a copy of the messages received so far, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages have been received and returns
// them, or returns an error after timeout. It never sleeps: it wakes up on
// each arrival.
func (s *Sink) WaitFor(n int, timeout time.Duration) ([]Message, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.changed
		if got >= n {
			msgs := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return msgs, nil
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			return s.Messages(), fmt.Errorf("notifytest: got %d messages after %v, want %d", got, timeout, n)
		}
	}
}

// Close stops the sink, closes open connections and waits for their
// goroutines. It may be called more than once.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// acceptLoop serves connections until the listener closes.
func (s *Sink) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			newSession(s, c).serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// record stores a received message and wakes WaitFor.
func (s *Sink) record(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// forced returns the forced replies.
func (s *Sink) forced() (rcpt, data reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failRCPT, s.failDATA
}
