// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// RealIP makes r.RemoteAddr the client's address when the request comes
// through a trusted reverse proxy, so that throttling, the journal and
// network zones see the client, not the proxy. X-Forwarded-For is believed
// only from a peer inside trusted, and read from the right: the first
// address not itself a trusted proxy is the client's. A header that cannot
// be read leaves the peer's address (the proxy's): it never yields an
// address the proxy did not vouch for. With no trusted ranges the header
// is ignored.
func RealIP(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := ForwardedClient(trusted, r.RemoteAddr, r.Header.Values("X-Forwarded-For")); ok {
			r2 := *r
			r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// ForwardedClient returns the client address that trusted proxies name in
// X-Forwarded-For header values, for a request whose peer is remoteAddr
// (host:port). It reports false when the peer is not trusted or the header
// holds no usable address.
func ForwardedClient(trusted []netip.Prefix, remoteAddr string, xff []string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(trusted, peer.Unmap()) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	if len(hops) > 32 {
		return netip.Addr{}, false
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false
		}
		a = a.Unmap().WithZone("")
		if !isTrusted(trusted, a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func isTrusted(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
