// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Config is the TLS section of the configuration file.
//
// Either both CertFile and KeyFile are set, and Préau serves the operator's
// certificate, or neither is, and Préau manages its own CA in the data folder.
type Config struct {
	// CertFile is the path of a PEM file holding the server certificate,
	// optionally followed by its chain. When the chain ends with a
	// self-signed CA, that CA is offered for download on the portal.
	CertFile string
	// KeyFile is the path of the PEM private key of CertFile (PKCS#8,
	// PKCS#1 or SEC 1; unencrypted).
	KeyFile string
	// Hosts are the DNS names and IP addresses clients use to reach Préau.
	// A self-managed server certificate covers all of them plus localhost,
	// 127.0.0.1 and ::1; an operator certificate must cover all of them.
	// The first host names the self-managed CA.
	Hosts []string
}

// Validate reports every problem of c at once, joined with errors.Join. Each
// problem is a *core.Error of kind core.Invalid. It returns nil when c is
// usable.
func (c *Config) Validate() error {
	var errs []error
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs = append(errs, invalid("Config.Validate",
			"tls: cert_file and key_file must be set together (or both left empty for the built-in CA)"))
	}
	for _, h := range c.Hosts {
		if _, _, err := parseHost(h); err != nil {
			errs = append(errs, invalid("Config.Validate", "tls: hosts: %v", err))
		}
	}
	return errors.Join(errs...)
}

// operatorProvided reports whether the operator gave certificate files.
func (c *Config) operatorProvided() bool { return c.CertFile != "" && c.KeyFile != "" }

// defaultHosts are always in a self-managed server certificate.
var defaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// hostSet is a normalised list of DNS names and IP addresses.
type hostSet struct {
	dns []string
	ips []netip.Addr
}

// splitHosts normalises hosts (which must be valid) into DNS names and IP
// addresses, without duplicates, keeping the first-seen order.
func splitHosts(hosts []string) hostSet {
	var s hostSet
	seen := map[string]bool{}
	for _, h := range hosts {
		name, ip, err := parseHost(h)
		if err != nil {
			continue
		}
		if ip.IsValid() {
			if !seen[ip.String()] {
				seen[ip.String()] = true
				s.ips = append(s.ips, ip)
			}
			continue
		}
		if !seen[name] {
			seen[name] = true
			s.dns = append(s.dns, name)
		}
	}
	return s
}

// parseHost returns h as a lower-case DNS name or as an IP address.
func parseHost(h string) (name string, ip netip.Addr, err error) {
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", netip.Addr{}, fmt.Errorf("%q: an IP address with a zone cannot be certified", h)
		}
		return "", ip.Unmap(), nil
	}
	name = strings.TrimSuffix(strings.ToLower(h), ".")
	if err := checkDNSName(name); err != nil {
		return "", netip.Addr{}, fmt.Errorf("%q: %v", h, err)
	}
	return name, netip.Addr{}, nil
}

// checkDNSName accepts ASCII host names (IDNs must be given in their
// xn-- form) with an optional leading "*." wildcard label.
func checkDNSName(name string) error {
	if name == "" {
		return errors.New("empty host name")
	}
	if len(name) > 253 {
		return errors.New("host name longer than 253 characters")
	}
	if strings.ContainsAny(name, ":/[]") {
		return errors.New("not a host name (give neither a port nor a URL)")
	}
	rest := strings.TrimPrefix(name, "*.")
	if last := rest[strings.LastIndexByte(rest, '.')+1:]; strings.Trim(last, "0123456789") == "" {
		return errors.New("neither a valid IP address nor a host name")
	}
	for label := range strings.SplitSeq(rest, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("each label must have 1 to 63 characters")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("a label cannot start or end with '-'")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("invalid character %q (use letters, digits, '-'; "+
					"write internationalised names in their xn-- form)", c)
			}
		}
	}
	return nil
}
