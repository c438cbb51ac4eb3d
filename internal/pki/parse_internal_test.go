// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki

import (
	"crypto"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

// FuzzParseKeyPair feeds arbitrary certificate and key files to the parser
// used for operator files. It must never panic, must name the offending file
// in every error, and must only accept a key that matches the certificate.
//
// The seeds are whole PEM files, which the fuzzer would spend up to a minute
// minimising each time it finds new coverage; run it with a bounded
// minimisation: go test -run '^$' -fuzz FuzzParseKeyPair -fuzzminimizetime 20x.
func FuzzParseKeyPair(f *testing.F) {
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	ca, err := newCA("seed.test", now)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := newServerCert(ca.cert, ca.key, splitHosts([]string{"seed.test"}), now)
	if err != nil {
		f.Fatal(err)
	}
	chain := append(append([]byte{}, srv.certPEM...), ca.certPEM...)
	f.Add(srv.certPEM, srv.keyPEM)
	f.Add(chain, srv.keyPEM)
	f.Add(srv.certPEM, ca.keyPEM)
	f.Add(srv.keyPEM, srv.certPEM)
	f.Add(append(srv.keyPEM, srv.certPEM...), srv.keyPEM)
	f.Add([]byte("garbage"), []byte(""))
	f.Add(srv.certPEM[:len(srv.certPEM)/2], srv.keyPEM[:len(srv.keyPEM)/2])
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{0x30, 0x00}}))
	f.Add(srv.certPEM, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}))

	f.Fuzz(func(t *testing.T, certPEM, keyPEM []byte) {
		kp, err := parseKeyPair("cert.pem", certPEM, "key.pem", keyPEM)
		if err != nil {
			if !strings.Contains(err.Error(), "cert.pem") && !strings.Contains(err.Error(), "key.pem") {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		pub := kp.key.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !pub.Equal(kp.chain[0].PublicKey) {
			t.Fatal("accepted a key that does not match the certificate")
		}
		c := kp.tlsCertificate()
		if len(c.Certificate) == 0 || c.Leaf != kp.chain[0] {
			t.Fatal("tlsCertificate lost the leaf")
		}
	})
}
