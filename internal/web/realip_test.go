// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/preau/preau/internal/web"
)

var proxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28"), netip.MustParsePrefix("2001:db8::/64")}

// X-Forwarded-For is believed only from a trusted proxy, read from the
// right, and never when it holds garbage: a client cannot choose its zone
// by sending the header itself.
func TestForwardedClient(t *testing.T) {
	for _, c := range []struct {
		peer string
		xff  []string
		want string // "" = keep the peer
	}{
		{"192.0.2.5:443", []string{"10.1.2.3"}, "10.1.2.3"},
		{"192.0.2.5:443", []string{"10.9.9.9, 10.1.2.3"}, "10.1.2.3"},   // the rightmost untrusted hop
		{"192.0.2.5:443", []string{"10.1.2.3, 192.0.2.6"}, "10.1.2.3"},  // a chain of trusted proxies
		{"192.0.2.5:443", []string{"10.9.9.9", "10.1.2.3"}, "10.1.2.3"}, // several header lines
		{"203.0.113.7:443", []string{"10.1.2.3"}, ""},                   // peer not trusted: header ignored
		{"192.0.2.5:443", []string{"10.1.2.3, not-an-ip"}, ""},          // garbage: keep the proxy
		{"192.0.2.5:443", nil, ""},                                      // no header
		{"[2001:db8::9]:443", []string{"::ffff:10.1.2.3"}, "10.1.2.3"},  // IPv6 proxy, mapped client
		{"192.0.2.5:443", []string{"192.0.2.6"}, ""},                    // only proxies
		{"192.0.2.5:443", []string{"fe80::1%eth0"}, "fe80::1"},          // zone dropped
		{"garbage", []string{"10.1.2.3"}, ""},
	} {
		got, ok := web.ForwardedClient(proxies, c.peer, c.xff)
		if (c.want == "") == ok || ok && got.String() != c.want {
			t.Errorf("%s %q: got %v %v, want %q", c.peer, c.xff, got, ok, c.want)
		}
	}
	var seen string
	h := web.RealIP(proxies, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.5:5000"
	r.Header.Set("X-Forwarded-For", "10.1.2.3")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "10.1.2.3:0" {
		t.Fatalf("RemoteAddr %q", seen)
	}
	seen = ""
	web.RealIP(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.RemoteAddr })).
		ServeHTTP(httptest.NewRecorder(), r)
	if seen != "192.0.2.5:5000" {
		t.Fatalf("without trusted proxies the header must not be read at all: %q", seen)
	}
}

func FuzzForwardedClient(f *testing.F) {
	for _, s := range []string{"10.1.2.3", "10.1.2.3, 192.0.2.6", "", ",,,", "::ffff:1.2.3.4", "1.2.3.4%x", "[::1]"} {
		f.Add("192.0.2.5:443", s)
	}
	f.Fuzz(func(t *testing.T, peer, xff string) {
		a, ok := web.ForwardedClient(proxies, peer, []string{xff})
		if ok && (!a.IsValid() || proxies[0].Contains(a) || proxies[1].Contains(a)) {
			t.Fatalf("returned %v, a trusted or invalid address", a)
		}
	})
}
