// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// Destinations the proxy never connects to unless the deployment allows
// them (Config.AllowDestinations): the server itself, link-local addresses
// (the cloud metadata service 169.254.169.254 among them) and the private
// networks, which hold the school's own servers, printers and switches.
// The check runs on the addresses a name resolves to, right before the
// dial and on the address dialled, so a public name that resolves to
// 127.0.0.1 (DNS rebinding) is refused too.
var forbidden = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("169.254.169.254/32"), "metadata"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "metadata"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "private"}, // carrier-grade NAT
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

// DestinationError is a refused destination: the host asked for, the
// address it resolved to and why ("loopback", "link-local", "metadata",
// "private", "multicast", "unspecified", "reserved").
type DestinationError struct {
	Host   string
	IP     netip.Addr
	Reason string
}

func (e *DestinationError) Error() string {
	return "proxyd: " + e.Host + " resolves to " + e.IP.String() + " (" + e.Reason + "), which the proxy does not reach"
}

// CheckDestination returns the reason ip is refused, or "" when the proxy
// may connect to it. allow lists the prefixes the deployment opened.
func CheckDestination(ip netip.Addr, allow []netip.Prefix) string {
	ip = ip.Unmap()
	for _, p := range allow {
		if p.Contains(ip) {
			return ""
		}
	}
	for _, f := range forbidden {
		if f.p.Contains(ip) {
			return f.reason
		}
	}
	return ""
}

// resolve returns the addresses of host (the hosts map first), refusing
// the whole name when any of them is forbidden: a name that mixes public
// and internal addresses is a rebinding attempt.
func (s *Server) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var ips []netip.Addr
	if v, ok := s.cfg.Hosts[host]; ok {
		host = v
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		r := s.cfg.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ips, err = r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no address", Name: host, IsNotFound: true}
		}
	}
	for _, ip := range ips {
		if reason := CheckDestination(ip, s.cfg.AllowDestinations); reason != "" {
			return nil, &DestinationError{Host: host, IP: ip.Unmap(), Reason: reason}
		}
	}
	return ips, nil
}

func (s *Server) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := s.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for _, ip := range ips {
		a := net.JoinHostPort(ip.Unmap().String(), port)
		var c net.Conn
		if s.cfg.Dial != nil {
			c, err = s.cfg.Dial(ctx, network, a)
		} else {
			d := net.Dialer{Timeout: s.cfg.UpstreamTimeout, KeepAlive: 30 * time.Second}
			c, err = d.DialContext(ctx, network, a)
		}
		if err == nil {
			return c, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func destinationError(err error) (*DestinationError, bool) {
	var de *DestinationError
	ok := errors.As(err, &de)
	return de, ok
}
