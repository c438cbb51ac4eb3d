// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dnsd

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpWorkers is how many goroutines serve one UDP socket, each reading a
// query, answering it and writing the reply in turn: no goroutine (and no
// stack growth) per query. A worker waits while a query is forwarded, so
// there are enough of them to keep many forwards in flight.
const udpWorkers = 64

// serveUDP answers queries on u until it is closed. Replies leave from
// the address the query came to (the socket's control messages, as
// miekg/dns does), which matters on a wildcard address of a multi-homed
// server.
func (s *Server) serveUDP(u *net.UDPConn) error {
	err6 := ipv6.NewPacketConn(u).SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
	err4 := ipv4.NewPacketConn(u).SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
	if err6 != nil && err4 != nil {
		return err4
	}
	s.mu.Lock()
	s.udps = append(s.udps, u)
	s.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, udpWorkers)
	for i := range udpWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.udpWorker(u)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrServerClosed) {
			return err
		}
	}
	return ErrServerClosed
}

func (s *Server) udpWorker(u *net.UDPConn) error {
	buf := make([]byte, dns.MaxMsgSize)
	w := &udpWriter{u: u}
	for {
		n, sess, err := dns.ReadFromSessionUDP(u, buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if n < 12 || buf[2]&0x80 != 0 {
			continue // too short, or an answer: never answered
		}
		m := new(dns.Msg)
		if err := m.Unpack(buf[:n]); err != nil {
			// A header but no readable message: FORMERR, as miekg/dns does.
			fe := &dns.Msg{MsgHdr: dns.MsgHdr{Id: binary.BigEndian.Uint16(buf), Response: true,
				Opcode: int(buf[2]>>3) & 0xF, Rcode: dns.RcodeFormatError}}
			w.sess = sess
			_ = w.WriteMsg(fe)
			continue
		}
		w.sess = sess
		s.ServeDNS(w, m)
	}
}

// udpWriter is the ResponseWriter of one UDP query.
type udpWriter struct {
	u    *net.UDPConn
	sess *dns.SessionUDP
}

func (w *udpWriter) LocalAddr() net.Addr  { return w.u.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr { return w.sess.RemoteAddr() }
func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	bp := getBuf()
	defer putBuf(bp)
	b, err := m.PackBuffer(*bp)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *udpWriter) Write(b []byte) (int, error) { return dns.WriteToSessionUDP(w.u, b, w.sess) }
func (w *udpWriter) Close() error                { return nil }
func (w *udpWriter) TsigStatus() error           { return nil }
func (w *udpWriter) TsigTimersOnly(bool)         {}
func (w *udpWriter) Hijack()                     {}
