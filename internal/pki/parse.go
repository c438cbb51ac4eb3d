// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// parseCerts decodes every CERTIFICATE block of the PEM data read from the
// file name, in order. Other blocks (such as a key in a combined file) are
// skipped. The error message names the file and the problem.
func parseCerts(name string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	blocks := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks++
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d cannot be parsed: %v", name, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	switch {
	case blocks == 0:
		return nil, fmt.Errorf("%s: no PEM data found (expected -----BEGIN CERTIFICATE-----)", name)
	case len(certs) == 0:
		return nil, fmt.Errorf("%s: no CERTIFICATE block found", name)
	}
	return certs, nil
}

// parseKey decodes the first private key of the PEM data read from the file
// name: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC 1
// ("EC PRIVATE KEY"). Encrypted keys are refused.
func parseKey(name string, data []byte) (crypto.Signer, error) {
	blocks := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks++
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		if b.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(b.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, fmt.Errorf("%s: the private key is encrypted; give an unencrypted key "+
				"(e.g. openssl pkey -in key.pem -out plain.pem) readable only by Préau", name)
		}
		return decodeKey(name, b)
	}
	if blocks == 0 {
		return nil, fmt.Errorf("%s: no PEM data found (expected -----BEGIN PRIVATE KEY-----)", name)
	}
	return nil, fmt.Errorf("%s: no PRIVATE KEY block found", name)
}

// decodeKey parses the DER of a private key block.
func decodeKey(name string, b *pem.Block) (crypto.Signer, error) {
	var (
		k   any
		err error
	)
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: the %s block cannot be parsed: %v", name, b.Type, err)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%s: unsupported private key type %T", name, k)
}

// keyPair is a parsed certificate chain with the private key of its leaf.
type keyPair struct {
	chain []*x509.Certificate // leaf first
	key   crypto.Signer
}

// parseKeyPair parses a certificate file and its key file and checks that
// the key belongs to the first certificate. Names are used in messages.
func parseKeyPair(certName string, certPEM []byte, keyName string, keyPEM []byte) (*keyPair, error) {
	chain, err := parseCerts(certName, certPEM)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyName, keyPEM)
	if err != nil {
		return nil, err
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(chain[0].PublicKey) {
		return nil, fmt.Errorf("%s: the private key does not match the certificate in %s", keyName, certName)
	}
	return &keyPair{chain: chain, key: key}, nil
}

// tlsCertificate returns kp as served on the wire. A self-signed root at the
// end of a longer chain is left out: clients must already trust it.
func (kp *keyPair) tlsCertificate() *tls.Certificate {
	chain := kp.chain
	if len(chain) > 1 && selfSigned(chain[len(chain)-1]) {
		chain = chain[:len(chain)-1]
	}
	c := &tls.Certificate{PrivateKey: kp.key, Leaf: kp.chain[0]}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// selfSigned reports whether c is signed by its own key.
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
