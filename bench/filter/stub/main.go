// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command stub is the local authoritative DNS server of the DNS benchmark:
// every name has A 192.0.2.1 (TTL 3600), so that both resolvers forward
// the same allowed names to the same place.
//
//	go run ./bench/filter/stub -addr 127.0.0.1:15353
package main

import (
	"flag"
	"log"
	"net"

	"github.com/miekg/dns"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:15353", "UDP and TCP address")
	flag.Parse()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeA {
			q := r.Question[0]
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 3600},
				A: net.IPv4(192, 0, 2, 1).To4()})
		}
		_ = w.WriteMsg(m)
	})
	go func() { log.Fatal((&dns.Server{Addr: *addr, Net: "tcp", Handler: h}).ListenAndServe()) }()
	log.Fatal((&dns.Server{Addr: *addr, Net: "udp", Handler: h}).ListenAndServe())
}
