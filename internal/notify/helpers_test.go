// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/notify/notifytest"
)

var t0 = time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)

// relayCert is a throwaway self-signed certificate for 127.0.0.1, made once.
var relayCert = sync.OnceValues(func() (*tls.Config, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "relay.test"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	conf := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
	return conf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
})

// caFile writes the relay certificate to a file for MailConfig.CAFile.
func caFile(t *testing.T) string {
	t.Helper()
	_, certPEM := relayCert()
	p := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(p, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startSink starts a sink stopped at the end of the test.
func startSink(t *testing.T, cfg notifytest.Config) *notifytest.Sink {
	t.Helper()
	s, err := notifytest.NewSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// plainConfig returns a MailConfig for an unencrypted relay at addr.
func plainConfig(addr string) notify.MailConfig {
	return notify.MailConfig{
		Relay:    addr,
		From:     "Préau – Lycée Exemple <ne-pas-repondre@lycee-exemple.fr>",
		TLS:      notify.TLSNone,
		HeloName: "preau.lycee-exemple.fr",
		Timeout:  10 * time.Second,
	}
}

// wantKind fails t unless err is of kind k and its message contains every
// fragment.
func wantKind(t *testing.T, err error, k core.Kind, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", k)
	}
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != k {
		t.Fatalf("got %v (kind %v), want %v", err, core.KindOf(err), k)
	}
	msg := core.MessageOf(err)
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("message %q does not mention %q", msg, f)
		}
	}
}
