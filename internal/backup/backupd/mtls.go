// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backupd

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/preau/preau/internal/core"
)

// SenderCA is the receiver's certificate authority for senders (mutual
// TLS, MCO-SVG-12): it issues each school a client certificate whose
// common name is the sender's name, and the receiver requires one it
// signed. Its key never leaves the receiver's data folder.
type SenderCA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// SenderCA files in a folder (the receiver's keys/).
const (
	senderCACert = "backup-sender-ca.pem"
	senderCAKey  = "backup-sender-ca.key"
)

// LoadOrCreateSenderCA opens the sender CA kept in dir, creating it on
// first use (the key mode 0600, written through a temporary file).
func LoadOrCreateSenderCA(dir string, now time.Time) (*SenderCA, error) {
	const op = "backupd.SenderCA"
	certPEM, err1 := os.ReadFile(filepath.Join(dir, senderCACert))
	keyPEM, err2 := os.ReadFile(filepath.Join(dir, senderCAKey))
	if errors.Is(err1, fs.ErrNotExist) && errors.Is(err2, fs.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "Préau backup senders CA"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(20, 0, 0), IsCA: true, BasicConstraintsValid: true,
			MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			return nil, err
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := writeAtomic(filepath.Join(dir, senderCAKey), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			return nil, err
		}
		if err := writeAtomic(filepath.Join(dir, senderCACert), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return nil, err
		}
		return LoadOrCreateSenderCA(dir, now)
	}
	if err1 != nil || err2 != nil {
		return nil, core.E(op, core.Invalid, "the sender CA in %s is incomplete (need %s and %s)", dir, senderCACert, senderCAKey)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, core.E(op, core.Invalid, "the sender CA in %s is not PEM", dir)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, core.E(op, core.Invalid, "sender CA certificate: %v", err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, core.E(op, core.Invalid, "sender CA key: %v", err)
	}
	return &SenderCA{Cert: cert, key: key}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func writeAtomic(p string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Pool returns the pool a receiver verifies client certificates with.
func (ca *SenderCA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue returns a client certificate and its key, in one PEM file, for the
// sender called name, valid for the given duration.
func (ca *SenderCA) Issue(name string, now time.Time, valid time.Duration) ([]byte, error) {
	if !validSender(name) {
		return nil, core.E("backupd.Issue", core.Invalid, "sender name %q: use lowercase letters, digits and hyphens", name)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{"preau-backup-sender"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(valid), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})...)
	return out, nil
}

// RequireClientCerts makes cfg (the receiver's TLS configuration) ask for
// a client certificate signed by ca: required, or only verified when
// given (senders still using a token).
func RequireClientCerts(cfg *tls.Config, ca *SenderCA, required bool) *tls.Config {
	c := cfg.Clone()
	c.ClientCAs = ca.Pool()
	c.ClientAuth = tls.VerifyClientCertIfGiven
	if required {
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c
}
