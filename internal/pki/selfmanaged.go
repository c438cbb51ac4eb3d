// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// loadSelfManaged loads, creates or renews the CA and server certificate in
// dir for the configured hosts.
//
// Concurrent starts (two processes, or two goroutines) are serialised by an
// exclusive flock(2) on dir/.lock held for the whole check-and-write, so the
// second one finds and reuses what the first created. Each file is replaced
// atomically (temporary file, fsync, rename), and a certificate is written
// after its key: a crash can leave at worst a key without its certificate,
// which the next start repairs (server) or reports (CA).
func loadSelfManaged(dir string, hosts []string, now time.Time) (*state, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, internal("Load", fmt.Errorf("creating TLS folder: %w", err))
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return nil, internal("Load", fmt.Errorf("locking TLS folder: %w", err))
	}
	defer unlock()

	ca, caKey, err := loadOrCreateCA(dir, firstHost(hosts), now)
	if err != nil {
		return nil, err
	}
	want := splitHosts(append(slices.Clone(hosts), defaultHosts...))
	cert, err := loadOrIssueServer(dir, ca, caKey, want, now)
	if err != nil {
		return nil, err
	}
	return &state{cert: cert, ca: ca}, nil
}

// firstHost returns the first configured host, normalised, or "localhost".
func firstHost(hosts []string) string {
	if len(hosts) == 0 {
		return "localhost"
	}
	name, ip, _ := parseHost(hosts[0])
	if ip.IsValid() {
		return ip.String()
	}
	return name
}

// loadOrCreateCA returns the CA of dir, creating it when there is none.
// A CA that exists but cannot be used is an error, never silently replaced:
// devices trust it.
func loadOrCreateCA(dir, first string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	certPEM, err := readOptional(certPath)
	if err != nil {
		return nil, nil, internal("Load", err)
	}
	if certPEM == nil {
		ca, err := newCA(first, now)
		if err == nil {
			err = writePair(dir, CACertFile, CAKeyFile, ca)
		}
		if err != nil {
			return nil, nil, internal("Load", fmt.Errorf("creating the CA: %w", err))
		}
		return ca.cert, ca.key, nil
	}
	keyPEM, err := readOptional(keyPath)
	if err != nil {
		return nil, nil, internal("Load", err)
	}
	if keyPEM == nil {
		return nil, nil, invalid("Load", "%s exists but %s is missing: restore it from a backup, "+
			"or move the folder %s aside to create a new CA (devices must then trust the new one)",
			certPath, keyPath, dir)
	}
	kp, err := parseKeyPair(certPath, certPEM, keyPath, keyPEM)
	if err != nil {
		return nil, nil, invalid("Load", "%v", err)
	}
	ca := kp.chain[0]
	switch {
	case !ca.IsCA:
		return nil, nil, invalid("Load", "%s: not a CA certificate", certPath)
	case now.After(ca.NotAfter):
		return nil, nil, invalid("Load", "%s: the CA expired on %s; move the folder %s aside "+
			"to create a new one (devices must then trust the new one)",
			certPath, ca.NotAfter.Format(time.DateOnly), dir)
	}
	return ca, kp.key, nil
}

// loadOrIssueServer returns the server certificate of dir, issuing a new one
// when it is missing, unreadable, not from ca, not valid from now until
// RenewBefore ahead, or not covering hosts. These files are Préau's own, so
// any defect is repaired rather than reported.
func loadOrIssueServer(dir string, ca *x509.Certificate, caKey crypto.Signer, hosts hostSet,
	now time.Time) (*tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile)
	if kp := readServer(certPath, keyPath); kp != nil {
		leaf := kp.chain[0]
		if leaf.CheckSignatureFrom(ca) == nil && !now.Before(leaf.NotBefore) &&
			now.Add(RenewBefore).Before(leaf.NotAfter) && covers(leaf, hosts) {
			return (&keyPair{chain: []*x509.Certificate{leaf}, key: kp.key}).tlsCertificate(), nil
		}
	}
	is, err := newServerCert(ca, caKey, hosts, now)
	if err == nil {
		err = writePair(dir, ServerCertFile, ServerKeyFile, is)
	}
	if err != nil {
		return nil, internal("Load", fmt.Errorf("issuing the server certificate: %w", err))
	}
	return (&keyPair{chain: []*x509.Certificate{is.cert}, key: is.key}).tlsCertificate(), nil
}

// readServer returns the server key pair of dir, or nil if it is missing or
// unusable.
func readServer(certPath, keyPath string) *keyPair {
	certPEM, err1 := os.ReadFile(certPath)
	keyPEM, err2 := os.ReadFile(keyPath)
	if err1 != nil || err2 != nil {
		return nil
	}
	kp, err := parseKeyPair(certPath, certPEM, keyPath, keyPEM)
	if err != nil {
		return nil
	}
	return kp
}
