// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// BenchmarkQuery measures queries over UDP through the resolver: half
// blocked names, half allowed names answered from the cache.
func BenchmarkQuery(b *testing.B) {
	e := start(b, true)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		co, err := c.Dial(e.addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer co.Close()
		for pb.Next() {
			i := n.Add(1)
			m := new(dns.Msg)
			if i%2 == 0 {
				m.SetQuestion("www.casino.example.", dns.TypeA)
			} else {
				m.SetQuestion(fmt.Sprintf("host%d.example.org.", i%100), dns.TypeA)
			}
			if _, _, err := c.ExchangeWithConn(m, co); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkForward measures queries for names never seen before: each
// one is forwarded to the upstream.
func BenchmarkForward(b *testing.B) {
	e := start(b, true)
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
		co, err := c.Dial(e.addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer co.Close()
		for pb.Next() {
			m := new(dns.Msg)
			m.SetQuestion(fmt.Sprintf("u%d.uniq.example.org.", n.Add(1)), dns.TypeA)
			if _, _, err := c.ExchangeWithConn(m, co); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
