// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// loadOperator loads and checks the certificate files named in cfg.
// Every problem is a core.Invalid error naming the file.
func loadOperator(cfg Config, now time.Time) (*state, error) {
	certPEM, err := readConfigured(cfg.CertFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := readConfigured(cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	kp, err := parseKeyPair(cfg.CertFile, certPEM, cfg.KeyFile, keyPEM)
	if err != nil {
		return nil, invalid("Load", "%v", err)
	}
	if err := checkOperatorLeaf(cfg, kp.chain[0], now); err != nil {
		return nil, err
	}
	st := &state{cert: kp.tlsCertificate()}
	if last := kp.chain[len(kp.chain)-1]; selfSigned(last) {
		st.ca = last
		if err := verifyChain(kp.chain, now); err != nil {
			return nil, invalid("Load", "%s: the certificate chain does not verify: %v", cfg.CertFile, err)
		}
	}
	return st, nil
}

// readConfigured reads a file named in the configuration; a missing or
// unreadable file is the operator's mistake, hence core.Invalid.
func readConfigured(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, invalid("Load", "cannot read %s: %v", name, err)
	}
	return b, nil
}

// checkOperatorLeaf checks the validity period, usage and names of leaf.
func checkOperatorLeaf(cfg Config, leaf *x509.Certificate, now time.Time) error {
	const day = "2006-01-02 15:04 MST"
	switch {
	case now.Before(leaf.NotBefore):
		return invalid("Load", "%s: the certificate is not valid before %s (check the clock)",
			cfg.CertFile, leaf.NotBefore.UTC().Format(day))
	case now.After(leaf.NotAfter):
		return invalid("Load", "%s: the certificate expired on %s",
			cfg.CertFile, leaf.NotAfter.UTC().Format(day))
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) &&
		!slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return invalid("Load", "%s: the certificate is not for TLS servers (no serverAuth usage)", cfg.CertFile)
	}
	for _, h := range cfg.Hosts {
		if err := leaf.VerifyHostname(h); err != nil {
			names := append(slices.Clone(leaf.DNSNames), ipStrings(leaf)...)
			return invalid("Load", "%s: the certificate does not cover host %q from tls.hosts (it covers: %s)",
				cfg.CertFile, h, strings.Join(names, ", "))
		}
	}
	return nil
}

// verifyChain checks that chain[0] chains up to the self-signed last
// certificate through the ones in between, at time now.
func verifyChain(chain []*x509.Certificate, now time.Time) error {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(chain[len(chain)-1])
	if len(chain) > 2 {
		for _, c := range chain[1 : len(chain)-1] {
			inter.AddCert(c)
		}
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

// ipStrings lists the IP SANs of c as text.
func ipStrings(c *x509.Certificate) []string {
	var s []string
	for _, ip := range c.IPAddresses {
		s = append(s, ip.String())
	}
	return s
}
