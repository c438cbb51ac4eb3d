// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backupd_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
	"github.com/preau/preau/internal/backup/backupd"
)

// mtlsServer starts a receiver whose TLS layer verifies client
// certificates of ca (required or only when given).
func mtlsServer(t *testing.T, ca *backupd.SenderCA, required bool) (*backupd.Server, *httptest.Server) {
	t.Helper()
	srv := &backupd.Server{Root: t.TempDir(), Tokens: map[string]string{token: "clg-moulin"}, RequireCert: required}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = backupd.RequireClientCerts(&tls.Config{}, ca, required)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return srv, ts
}

// TestReceiverMutualTLS: a receiver requiring sender certificates refuses
// a sender without one (even with a valid token) and one whose certificate
// another CA signed, and accepts the one it issued, whose common name
// names the sender's folder; without the requirement a token still works.
// CARINE: MCO-SVG-12, MCO-SVG-6
func TestReceiverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := backupd.LoadOrCreateSenderCA(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	again, err := backupd.LoadOrCreateSenderCA(dir, time.Now())
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("the sender CA is not kept: %v", err)
	}
	srv, ts := mtlsServer(t, ca, true)
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	caFile := filepath.Join(t.TempDir(), "receiver-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600)
	ctx := context.Background()
	s, _ := backup.NewSecret()
	k, _ := backup.NewRecoveryKey()
	rs, _ := backup.ParseRecipients(strings.NewReader(k.Recipient))

	// No certificate, a valid token: refused.
	noCert := backupd.NewClientWith(ts.URL, token, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}})
	if _, err := backup.OpenForBackup(ctx, noCert, s, rs, time.Now()); err == nil {
		t.Fatal("a sender without a certificate was accepted")
	}
	// A certificate of another CA: refused.
	other, _ := backupd.LoadOrCreateSenderCA(t.TempDir(), time.Now())
	foreign := filepath.Join(t.TempDir(), "foreign.pem")
	pb, _ := other.Issue("clg-moulin", time.Now(), time.Hour)
	os.WriteFile(foreign, pb, 0o600)
	fc, err := backupd.NewClient(ts.URL, "", caFile, foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.OpenForBackup(ctx, fc, s, rs, time.Now()); err == nil {
		t.Fatal("a certificate of another CA was accepted")
	}
	// The receiver's own certificate: accepted, no token needed.
	certFile := filepath.Join(t.TempDir(), "sender.pem")
	pb, err = ca.Issue("lyc-curie", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pb, 0o600)
	c, err := backupd.NewClient(ts.URL, "", caFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	snap := backupOnce(t, c, s, k, map[string]string{"a.txt": "contenu"})
	if _, err := os.Stat(filepath.Join(srv.Root, "lyc-curie", "snapshots", snap.ID.String())); err != nil {
		t.Fatalf("the snapshot is not in the certificate's sender folder: %v", err)
	}
	// A certificate and a token of another sender: refused.
	mixed, _ := backupd.NewClient(ts.URL, token, caFile, certFile)
	if _, err := backup.Open(ctx, mixed); err == nil {
		t.Fatal("a certificate and another sender's token were accepted together")
	}
	if _, err := ca.Issue("../x", time.Now(), time.Hour); err == nil {
		t.Fatal("a bad sender name was issued")
	}
	// Compatibility: certificates optional, the token works.
	_, ts2 := mtlsServer(t, ca, false)
	roots2 := x509.NewCertPool()
	roots2.AddCert(ts2.Certificate())
	tc := backupd.NewClientWith(ts2.URL, token, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots2}}})
	backupOnce(t, tc, s, k, map[string]string{"b.txt": "autre"})
}
