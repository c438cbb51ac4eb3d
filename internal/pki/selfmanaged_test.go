// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/pki"
)

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

func TestLoadFirstStartCreatesFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "tls")
	clk := core.NewFakeClock(t0)
	p, err := pki.Load(pki.Config{Hosts: []string{"Preau.Lycee-Exemple.fr.", "10.0.0.5"}}, dir, clk)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{
		pki.CACertFile: 0o644, pki.CAKeyFile: 0o600, pki.ServerCertFile: 0o644, pki.ServerKeyFile: 0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	ca := readCert(t, filepath.Join(dir, pki.CACertFile))
	if want := "Préau CA – preau.lycee-exemple.fr"; ca.Subject.CommonName != want {
		t.Errorf("CA name %q, want %q", ca.Subject.CommonName, want)
	}
	if !ca.IsCA || !ca.NotAfter.Equal(t0.Add(pki.CAValidity).Truncate(time.Second)) {
		t.Errorf("CA: IsCA %v, NotAfter %v", ca.IsCA, ca.NotAfter)
	}
	srv := readCert(t, filepath.Join(dir, pki.ServerCertFile))
	if err := srv.CheckSignatureFrom(ca); err != nil {
		t.Errorf("server certificate not signed by the CA: %v", err)
	}
	if !slices.Equal(srv.DNSNames, []string{"preau.lycee-exemple.fr", "localhost"}) {
		t.Errorf("DNS SANs %v", srv.DNSNames)
	}
	var ips []string
	for _, ip := range srv.IPAddresses {
		ips = append(ips, ip.String())
	}
	if !slices.Equal(ips, []string{"10.0.0.5", "127.0.0.1", "::1"}) {
		t.Errorf("IP SANs %v", ips)
	}
	if want := t0.Add(pki.ServerValidity); !p.ServerCertNotAfter().Equal(want) {
		t.Errorf("ServerCertNotAfter %v, want %v", p.ServerCertNotAfter(), want)
	}
	blk, _ := pem.Decode(p.CACertPEM())
	if blk == nil || string(blk.Bytes) != string(ca.Raw) || string(p.CACertDER()) != string(ca.Raw) {
		t.Error("CACertPEM/CACertDER do not hold ca.crt")
	}
	if !regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`).MatchString(p.Fingerprint()) {
		t.Errorf("Fingerprint %q", p.Fingerprint())
	}
}

func TestLoadSecondStartReuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := core.NewFakeClock(t0)
	cfg := pki.Config{Hosts: []string{"preau.test"}}
	if _, err := pki.Load(cfg, dir, clk); err != nil {
		t.Fatal(err)
	}
	ca1 := readCert(t, filepath.Join(dir, pki.CACertFile))
	srv1 := readCert(t, filepath.Join(dir, pki.ServerCertFile))
	clk.Advance(300 * 24 * time.Hour) // still more than 30 days left
	if _, err := pki.Load(cfg, dir, clk); err != nil {
		t.Fatal(err)
	}
	ca2 := readCert(t, filepath.Join(dir, pki.CACertFile))
	srv2 := readCert(t, filepath.Join(dir, pki.ServerCertFile))
	if ca1.SerialNumber.Cmp(ca2.SerialNumber) != 0 || srv1.SerialNumber.Cmp(srv2.SerialNumber) != 0 {
		t.Error("second start replaced the certificates")
	}
}

func TestLoadReissuesServerCertificate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, dir string, clk *core.FakeClock, cfg *pki.Config)
	}{
		{"host added", func(_ *testing.T, _ string, _ *core.FakeClock, cfg *pki.Config) {
			cfg.Hosts = append(cfg.Hosts, "nouveau.lycee.fr", "192.168.1.10")
		}},
		{"expires within 30 days", func(_ *testing.T, _ string, clk *core.FakeClock, _ *pki.Config) {
			clk.Advance(pki.ServerValidity - pki.RenewBefore + time.Hour)
		}},
		{"garbage certificate", func(t *testing.T, dir string, _ *core.FakeClock, _ *pki.Config) {
			writeFile(t, dir, pki.ServerCertFile, []byte("not a certificate"))
		}},
		{"key of another certificate", func(t *testing.T, dir string, _ *core.FakeClock, _ *pki.Config) {
			other := newTestCA(t, t0)
			writeFile(t, dir, pki.ServerKeyFile, other.keyPEM(t))
		}},
		{"missing certificate", func(t *testing.T, dir string, _ *core.FakeClock, _ *pki.Config) {
			if err := os.Remove(filepath.Join(dir, pki.ServerCertFile)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			clk := core.NewFakeClock(t0)
			cfg := pki.Config{Hosts: []string{"preau.lycee.fr"}}
			p1, err := pki.Load(cfg, dir, clk)
			if err != nil {
				t.Fatal(err)
			}
			old := p1.ServerCertNotAfter()
			tc.change(t, dir, clk, &cfg)
			p2, err := pki.Load(cfg, dir, clk)
			if err != nil {
				t.Fatal(err)
			}
			if p2.Fingerprint() != p1.Fingerprint() {
				t.Error("the CA changed")
			}
			srv := readCert(t, filepath.Join(dir, pki.ServerCertFile))
			if !srv.NotAfter.Equal(clk.Now().Add(pki.ServerValidity).Truncate(time.Second)) {
				t.Errorf("server certificate not reissued: NotAfter %v (was %v)", srv.NotAfter, old)
			}
			ca := readCert(t, filepath.Join(dir, pki.CACertFile))
			roots := x509.NewCertPool()
			roots.AddCert(ca)
			for _, h := range append(cfg.Hosts, "localhost", "127.0.0.1", "::1") {
				if _, err := srv.Verify(x509.VerifyOptions{DNSName: h, Roots: roots, CurrentTime: clk.Now()}); err != nil {
					t.Errorf("%s: %v", h, err)
				}
			}
		})
	}
}

func TestLoadBrokenCAIsReported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := core.NewFakeClock(t0)
	if _, err := pki.Load(pki.Config{}, dir, clk); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, pki.CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	_, err := pki.Load(pki.Config{}, dir, clk)
	wantInvalid(t, err, pki.CAKeyFile, "is missing")

	writeFile(t, dir, pki.CAKeyFile, newTestCA(t, t0).keyPEM(t))
	_, err = pki.Load(pki.Config{}, dir, clk)
	wantInvalid(t, err, pki.CAKeyFile, "does not match")
}

func TestLoadConcurrentStarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clk := core.NewFakeClock(t0)
	cfg := pki.Config{Hosts: []string{"preau.test"}}
	const n = 4
	fps := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := pki.Load(cfg, dir, clk)
			if err != nil {
				t.Error(err)
				return
			}
			fps[i] = p.Fingerprint()
		})
	}
	wg.Wait()
	p, err := pki.Load(cfg, dir, clk)
	if err != nil {
		t.Fatal(err)
	}
	for i, fp := range fps {
		if fp != p.Fingerprint() {
			t.Errorf("start %d got CA %s, the folder holds %s", i, fp, p.Fingerprint())
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{pki.CACertFile, pki.CAKeyFile, pki.ServerCertFile, pki.ServerKeyFile, ".lock"}
	for _, e := range entries {
		if !slices.Contains(allowed, e.Name()) {
			t.Errorf("leftover file %s", e.Name())
		}
	}
}
