// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// The forwarding path works on packed messages: the query is packed once
// (with a fresh ID) into a pooled buffer, the upstream's answer is checked
// on its header and question bytes, cached as it came, and sent back with
// the client's ID patched in; a cached answer is a copy with its ID and
// its TTLs patched (aged). No answer is unpacked on the way.

// bufs lends 64 KiB message buffers (the largest DNS message).
var bufs = sync.Pool{New: func() any { b := make([]byte, dns.MaxMsgSize); return &b }}

func getBuf() *[]byte  { return bufs.Get().(*[]byte) }
func putBuf(b *[]byte) { bufs.Put(b) }

var (
	errMalformed = errors.New("malformed upstream answer")
	errOther     = errors.New("the upstream answered another question")
)

// skipName returns the offset after the (possibly compressed) name at off.
func skipName(b []byte, off int) (int, bool) {
	for n := 0; n < 128; n++ {
		if off >= len(b) {
			return 0, false
		}
		c := int(b[off])
		switch {
		case c == 0:
			return off + 1, true
		case c&0xC0 == 0xC0:
			if off+1 >= len(b) {
				return 0, false
			}
			return off + 2, true
		case c&0xC0 != 0:
			return 0, false
		}
		off += 1 + c
	}
	return 0, false
}

// questionEnd returns the offset after the question section of a message
// with one question.
func questionEnd(b []byte) (int, bool) {
	if len(b) < 12 || binary.BigEndian.Uint16(b[4:]) != 1 {
		return 0, false
	}
	off, ok := skipName(b, 12)
	if !ok || off+4 > len(b) {
		return 0, false
	}
	return off + 4, true
}

// scanTTLs finds the TTL fields of a packed answer (OPT records aside, whose
// TTL field holds flags) and the smallest TTL of its answer and authority
// sections; found says whether those sections hold a record.
func scanTTLs(b []byte, offs []uint16) (_ []uint16, minTTL uint32, found, ok bool) {
	if len(b) < 12 || len(b) > 0xFFFF {
		return offs, 0, false, false
	}
	qd := int(binary.BigEndian.Uint16(b[4:]))
	counts := [3]int{int(binary.BigEndian.Uint16(b[6:])), int(binary.BigEndian.Uint16(b[8:])), int(binary.BigEndian.Uint16(b[10:]))}
	off := 12
	for range qd {
		if off, ok = skipName(b, off); !ok || off+4 > len(b) {
			return offs, 0, false, false
		}
		off += 4
	}
	minTTL = ^uint32(0)
	for sec, n := range counts {
		for range n {
			if off, ok = skipName(b, off); !ok || off+10 > len(b) {
				return offs, 0, false, false
			}
			typ := binary.BigEndian.Uint16(b[off:])
			ttl := binary.BigEndian.Uint32(b[off+4:])
			rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
			if typ != dns.TypeOPT {
				offs = append(offs, uint16(off+4))
				if sec < 2 {
					found = true
					minTTL = min(minTTL, ttl)
				}
			}
			off += 10 + rdlen
			if off > len(b) {
				return offs, 0, false, false
			}
		}
	}
	return offs, minTTL, found, true
}

// upstream asks the upstreams for r (packed again with a fresh ID) and
// returns their packed answer in buf, its ID still the upstream one.
func (s *Server) upstream(r *dns.Msg, buf []byte) ([]byte, error) {
	if len(s.cfg.Upstreams) == 0 {
		return nil, errors.New("no upstream resolver configured")
	}
	qb := getBuf()
	defer putBuf(qb)
	id := r.Id
	r.Id = dns.Id()
	query, err := r.PackBuffer(*qb)
	r.Id = id
	if err != nil {
		return nil, err
	}
	qend, ok := questionEnd(query)
	if !ok {
		return nil, errMalformed
	}
	var lastErr error
	for _, up := range s.cfg.Upstreams {
		resp, err := s.exchangeRaw(query, qend, up, buf)
		if err == nil && resp[2]&0x02 != 0 { // truncated: again over TCP
			var m *dns.Msg
			out := r.Copy()
			out.Id = binary.BigEndian.Uint16(query)
			if m, _, err = s.tcp.Exchange(out, up); err == nil {
				resp, err = m.PackBuffer(buf)
			}
		}
		if err != nil {
			lastErr = err
			continue
		}
		if rc := resp[3] & 0x0F; rc == dns.RcodeServerFailure || rc == dns.RcodeRefused {
			lastErr = errors.New(dns.RcodeToString[int(rc)])
			continue
		}
		return resp, nil
	}
	return nil, lastErr
}

// exchangeRaw sends a packed query to one upstream over a pooled UDP
// socket and reads its answer into buf: replies with another ID or another
// question are ignored. A socket serves at most maxUses queries (its
// source port changes with the next one).
func (s *Server) exchangeRaw(query []byte, qend int, addr string, buf []byte) ([]byte, error) {
	s.mu.Lock()
	if s.pools == nil {
		s.pools = map[string]chan *pooledConn{}
	}
	pool, ok := s.pools[addr]
	if !ok {
		pool = make(chan *pooledConn, 64)
		s.pools[addr] = pool
	}
	s.mu.Unlock()
	var pc *pooledConn
	select {
	case pc = <-pool:
	default:
		c, err := net.DialTimeout("udp", addr, s.cfg.Timeout)
		if err != nil {
			return nil, err
		}
		pc = &pooledConn{c: c}
	}
	resp, err := pc.exchange(query, qend, buf, s.cfg.Timeout)
	pc.uses++
	if err != nil || pc.uses >= maxUses {
		pc.c.Close()
	} else {
		select {
		case pool <- pc:
		default:
			pc.c.Close()
		}
	}
	return resp, err
}

func (pc *pooledConn) exchange(query []byte, qend int, buf []byte, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	pc.c.SetDeadline(deadline)
	if _, err := pc.c.Write(query); err != nil {
		return nil, err
	}
	for {
		n, err := pc.c.Read(buf)
		if err != nil {
			return nil, err
		}
		resp := buf[:n]
		if n < qend || resp[0] != query[0] || resp[1] != query[1] || resp[2]&0x80 == 0 {
			continue // another query's late answer, or garbage
		}
		if binary.BigEndian.Uint16(resp[4:]) != 1 || !bytes.EqualFold(resp[12:qend], query[12:qend]) {
			return nil, errOther
		}
		return resp, nil
	}
}

// rawKey is the cache key of a question.
func rawKey(r *dns.Msg, q dns.Question) cacheKey {
	o := r.IsEdns0()
	return cacheKey{name: strings.ToLower(q.Name), qtype: q.Qtype, qclass: q.Qclass, do: o != nil && o.Do()}
}

// forwardRaw answers an allowed query from the cache or the upstreams on
// packed messages. It reports false when the answer must take the
// unpacked way (too large for the client's UDP size: it is truncated).
func (s *Server) forwardRaw(w dns.ResponseWriter, r *dns.Msg, q dns.Question, udp bool) (bool, error) {
	size := dns.MaxMsgSize
	if udp {
		size = dns.MinMsgSize
		if o := r.IsEdns0(); o != nil && int(o.UDPSize()) > size {
			size = int(o.UDPSize())
		}
	}
	key := rawKey(r, q)
	now := s.cfg.Now()
	bp := getBuf()
	defer putBuf(bp)
	b, ok := s.cache.get(key, now, (*bp)[:0])
	if !ok {
		rb := getBuf()
		defer putBuf(rb)
		resp, err := s.upstream(r, *rb)
		if err != nil {
			return true, err
		}
		s.cache.put(key, resp, now)
		b = append((*bp)[:0], resp...)
	}
	if len(b) > size {
		return false, nil
	}
	binary.BigEndian.PutUint16(b, r.Id)
	_, err := w.Write(b)
	return true, err
}
