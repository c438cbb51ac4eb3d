// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"path/filepath"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/pki"
)

func TestLoadOperatorFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTestCA(t, t0)
	leaf := newTestLeaf(t, ca, t0.Add(-time.Hour), t0.Add(90*24*time.Hour), "preau.ac-test.fr", "*.ac-test.fr")
	clk := core.NewFakeClock(t0)
	hosts := []string{"preau.ac-test.fr", "ent.ac-test.fr"}

	t.Run("chain with root", func(t *testing.T) {
		cfg := pki.Config{
			CertFile: writeFile(t, t.TempDir(), "chain.pem", append(leaf.pem(), ca.pem()...)),
			KeyFile:  writeFile(t, t.TempDir(), "key.pem", leaf.keyPEM(t)),
			Hosts:    hosts,
		}
		p, err := pki.Load(cfg, "", clk)
		if err != nil {
			t.Fatal(err)
		}
		if string(p.CACertDER()) != string(ca.cert.Raw) || p.Fingerprint() == "" {
			t.Error("the root of the chain is not offered as CA")
		}
		got, _ := p.TLSConfig().GetCertificate(nil)
		if len(got.Certificate) != 1 {
			t.Errorf("served chain has %d certificates, want the leaf only", len(got.Certificate))
		}
	})
	t.Run("leaf only", func(t *testing.T) {
		cfg := pki.Config{
			CertFile: writeFile(t, dir, "leaf.pem", leaf.pem()),
			KeyFile:  writeFile(t, dir, "leaf.key", leaf.keyPEM(t)),
		}
		p, err := pki.Load(cfg, "", clk)
		if err != nil {
			t.Fatal(err)
		}
		if p.CACertPEM() != nil || p.CACertDER() != nil || p.Fingerprint() != "" {
			t.Error("a CA is offered though none is known")
		}
		if !p.ServerCertNotAfter().Equal(leaf.cert.NotAfter) {
			t.Errorf("ServerCertNotAfter %v", p.ServerCertNotAfter())
		}
	})
	t.Run("PKCS#1 RSA key", func(t *testing.T) {
		key, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour),
			DNSNames: []string{"rsa.test"}}
		tmpl.SerialNumber = leaf.cert.SerialNumber
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg := pki.Config{
			CertFile: writeFile(t, t.TempDir(), "rsa.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			KeyFile: writeFile(t, t.TempDir(), "rsa.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
				Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		}
		if _, err := pki.Load(cfg, "", clk); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoadOperatorFilesErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newTestCA(t, t0)
	good := newTestLeaf(t, ca, t0.Add(-time.Hour), t0.Add(90*24*time.Hour), "preau.test")
	other := newTestLeaf(t, ca, t0.Add(-time.Hour), t0.Add(90*24*time.Hour), "preau.test")
	expired := newTestLeaf(t, ca, t0.Add(-90*24*time.Hour), t0.Add(-24*time.Hour), "preau.test")
	future := newTestLeaf(t, ca, t0.Add(24*time.Hour), t0.Add(90*24*time.Hour), "preau.test")
	otherCA := newTestCA(t, t0)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1, 2, 3}})

	tests := []struct {
		name      string
		cert, key []byte
		hosts     []string
		want      []string
	}{
		{"mismatched key", good.pem(), other.keyPEM(t), nil, []string{"key.pem", "does not match", "cert.pem"}},
		{"expired", expired.pem(), expired.keyPEM(t), nil, []string{"cert.pem", "expired on"}},
		{"not yet valid", future.pem(), future.keyPEM(t), nil, []string{"cert.pem", "not valid before"}},
		{"garbage certificate", []byte("hello"), good.keyPEM(t), nil, []string{"cert.pem", "no PEM data"}},
		{"garbage key", good.pem(), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
			nil, []string{"key.pem", "cannot be parsed"}},
		{"key in cert file", good.keyPEM(t), good.keyPEM(t), nil, []string{"cert.pem", "no CERTIFICATE block"}},
		{"corrupt certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")}),
			good.keyPEM(t), nil, []string{"cert.pem", "certificate 1 cannot be parsed"}},
		{"encrypted key", good.pem(), encrypted, nil, []string{"key.pem", "encrypted"}},
		{"host not covered", good.pem(), good.keyPEM(t), []string{"autre.test"},
			[]string{"cert.pem", `"autre.test"`, "preau.test"}},
		{"broken chain", append(good.pem(), otherCA.pem()...), good.keyPEM(t), nil,
			[]string{"cert.pem", "chain does not verify"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := t.TempDir()
			cfg := pki.Config{
				CertFile: writeFile(t, d, "cert.pem", tc.cert),
				KeyFile:  writeFile(t, d, "key.pem", tc.key),
				Hosts:    tc.hosts,
			}
			_, err := pki.Load(cfg, "", core.NewFakeClock(t0))
			wantInvalid(t, err, tc.want...)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(dir, "absent.pem")
		_, err := pki.Load(pki.Config{CertFile: missing, KeyFile: missing}, "", core.NewFakeClock(t0))
		wantInvalid(t, err, "cannot read", missing, "no such file")
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  pki.Config
		want []string // fragments of the error; nil means valid
	}{
		{"empty", pki.Config{}, nil},
		{"hosts", pki.Config{Hosts: []string{"preau", "Preau.Lycee.FR.", "*.lycee.fr", "10.1.2.3", "fe80::1", "xn--prau-bpa.fr"}}, nil},
		{"operator", pki.Config{CertFile: "a.pem", KeyFile: "b.pem"}, nil},
		{"cert without key", pki.Config{CertFile: "a.pem"}, []string{"cert_file and key_file"}},
		{"key without cert", pki.Config{KeyFile: "b.pem"}, []string{"cert_file and key_file"}},
		{"every problem", pki.Config{KeyFile: "b.pem", Hosts: []string{"préau.fr", "host:443", "", "a..b", "-a.fr", "1.2.3.400", "fe80::1%eth0"}},
			[]string{"cert_file and key_file", `"préau.fr"`, "xn--", `"host:443"`, "port", "empty host name",
				`"a..b"`, `"-a.fr"`, `"1.2.3.400"`, `"fe80::1%eth0"`, "zone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantInvalid(t, err, tc.want...)
		})
	}
	_, err := pki.Load(pki.Config{CertFile: "x"}, t.TempDir(), core.SystemClock{})
	wantInvalid(t, err, "cert_file and key_file")
}
