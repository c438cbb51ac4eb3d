// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package pki provides the TLS certificates of every Préau listener (design
// §4, "TLS everywhere").
//
// By default Préau is its own certificate authority: at first start Load
// creates an ECDSA P-256 CA and a server certificate signed by it in the TLS
// folder of the data directory, and later starts reuse them, reissuing the
// server certificate when it nears expiry or no longer covers the configured
// host names. The CA certificate is what the portal offers for download so
// that school devices trust Préau. Alternatively the operator configures a
// certificate and key, which are loaded and checked.
//
// Any package that opens a listener may import pki; pki imports only
// internal/core and the standard library.
package pki

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
)

// File names in the TLS folder of a self-managed PKI.
const (
	CACertFile     = "ca.crt"     // CA certificate, PEM, mode 0644
	CAKeyFile      = "ca.key"     // CA private key, PKCS#8 PEM, mode 0600
	ServerCertFile = "server.crt" // server certificate, PEM, mode 0644
	ServerKeyFile  = "server.key" // server private key, PKCS#8 PEM, mode 0600
	lockFile       = ".lock"      // flock(2) target serialising concurrent starts
)

// Validity periods and renewal margin of self-managed certificates.
const (
	CAValidity     = 10 * 365 * 24 * time.Hour // lifetime of a new CA
	ServerValidity = 397 * 24 * time.Hour      // lifetime of a server certificate (browsers' maximum)
	RenewBefore    = 30 * 24 * time.Hour       // a server certificate expiring sooner is reissued at Load or Reload
)

// PKI holds the certificates Préau serves. It is safe for concurrent use:
// Reload swaps the certificates atomically under live listeners.
type PKI struct {
	cfg   Config
	dir   string
	clock core.Clock

	mu  sync.Mutex // serialises Reload
	cur atomic.Pointer[state]
}

// state is one immutable generation of certificates.
type state struct {
	cert *tls.Certificate  // server certificate, chain and key; Leaf is set
	ca   *x509.Certificate // nil when unknown (operator files without a root)
}

// Load returns the PKI described by cfg. dir is the TLS folder of the data
// directory (e.g. "<data>/tls"); it is used only when cfg names no files.
//
// Errors are *core.Error: core.Invalid for a bad cfg or bad certificate files
// (the message names the file and the problem), core.Internal for I/O
// failures.
func Load(cfg Config, dir string, clock core.Clock) (*PKI, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.operatorProvided() && dir == "" {
		return nil, invalid("Load", "no TLS folder given for the built-in CA")
	}
	p := &PKI{cfg: cfg, dir: dir, clock: clock}
	if err := p.Reload(); err != nil {
		return nil, err
	}
	return p, nil
}

// Reload reads the certificate files again (operator files), or renews the
// server certificate when needed (self-managed), and makes new connections
// use the result. On error the certificates in use are kept. Errors are as
// for Load.
func (p *PKI) Reload() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var (
		st  *state
		err error
	)
	if p.cfg.operatorProvided() {
		st, err = loadOperator(p.cfg, p.clock.Now())
	} else {
		st, err = loadSelfManaged(p.dir, p.cfg.Hosts, p.clock.Now())
	}
	if err != nil {
		return err
	}
	p.cur.Store(st)
	return nil
}

// TLSConfig returns a new server configuration with TLS 1.2 as the minimum
// version. The certificate is chosen per handshake by GetCertificate, so a
// Reload applies to listeners already running. Callers may modify the
// returned value (NextProtos, ClientAuth …).
func (p *PKI) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return p.cur.Load().cert, nil
		},
	}
}

// CACertDER returns the CA certificate in DER form, or nil when the operator
// provided the certificate and its chain includes no root CA.
func (p *PKI) CACertDER() []byte {
	ca := p.cur.Load().ca
	if ca == nil {
		return nil
	}
	return ca.Raw
}

// CACertPEM returns the CA certificate in PEM form for download by school
// devices, or nil (the portal then hides the download) as for CACertDER.
func (p *PKI) CACertPEM() []byte {
	der := p.CACertDER()
	if der == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Fingerprint returns the SHA-256 fingerprint of the CA certificate as
// upper-case hex pairs separated by colons ("AB:CD:…"), for technicians to
// compare with what a device shows, or "" when there is no known CA.
func (p *PKI) Fingerprint() string {
	der := p.CACertDER()
	if der == nil {
		return ""
	}
	return fingerprint(der)
}

// ServerCertNotAfter returns the expiry time of the server certificate in use.
func (p *PKI) ServerCertNotAfter() time.Time { return p.cur.Load().cert.Leaf.NotAfter }

// fingerprint formats the SHA-256 of der as AA:BB:….
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// invalid returns a core.Invalid error for operation pki.<op>.
func invalid(op, msg string, args ...any) error {
	return core.E("pki."+op, core.Invalid, msg, args...)
}

// internal wraps an I/O failure as core.Internal for operation pki.<op>.
func internal(op string, err error) error { return core.Wrap("pki."+op, core.Internal, err) }
