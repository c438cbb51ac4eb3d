// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// rawConn is a bare TCP connection for hand-made PDUs.
type rawConn struct {
	t  testing.TB
	nc net.Conn
}

func (e *env) raw(t testing.TB) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// send writes an LDAPMessage with id and protocolOp op.
func (r *rawConn) send(id int64, op *ber.Packet) {
	r.t.Helper()
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	msg.AppendChild(op)
	r.write(msg.Bytes())
}

// read reads the next LDAPMessage.
func (r *rawConn) read() *ber.Packet {
	r.t.Helper()
	p, err := ber.ReadPacket(r.nc)
	if err != nil {
		r.t.Fatalf("reading a response: %v", err)
	}
	return p
}

// expectClosed checks that the server closed the connection.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	var b [1]byte
	if _, err := r.nc.Read(b[:]); err == nil {
		r.t.Fatal("the connection is still open")
	}
}

// resultOf returns the message id, op tag, result code and message of a
// response packet.
func resultOf(p *ber.Packet) (id int64, tag ber.Tag, code int64, msg string) {
	id = p.Children[0].Value.(int64)
	op := p.Children[1]
	if len(op.Children) >= 3 {
		code = op.Children[0].Value.(int64)
		msg = op.Children[2].Value.(string)
	}
	return id, op.Tag, code, msg
}

// bindRaw sends a simple bind as name on a raw connection and checks success.
func (r *rawConn) bind(id int64, name, password string) {
	r.t.Helper()
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationBindRequest, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 3, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, name, ""))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, password, ""))
	r.send(id, op)
	if _, _, code, msg := resultOf(r.read()); code != 0 {
		r.t.Fatalf("raw bind: %d %s", code, msg)
	}
}

// searchOp builds a SearchRequest protocolOp with a compiled filter.
func searchOp(t testing.TB, baseDN string, filter *ber.Packet, attrs ...string) *ber.Packet {
	return searchOpScope(t, baseDN, 2, filter, attrs...)
}

// searchOpScope is searchOp with any scope value.
func searchOpScope(t testing.TB, baseDN string, scope int64, filter *ber.Packet, attrs ...string) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchRequest, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, baseDN, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, scope, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, 0, ""))
	op.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, false, ""))
	op.AppendChild(filter)
	as := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, a := range attrs {
		as.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a, ""))
	}
	op.AppendChild(as)
	return op
}

// compile compiles a filter with go-ldap.
func compile(t testing.TB, f string) *ber.Packet {
	t.Helper()
	p, err := ldap.CompileFilter(f)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
