// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/directory/ldapd"
)

// expectNotice reads a Notice of Disconnection with code, then EOF.
func (r *rawConn) expectNotice(code int64, msgPart string) {
	r.t.Helper()
	p := r.read()
	id, tag, got, msg := resultOf(p)
	op := p.Children[1]
	name := ""
	if len(op.Children) > 3 {
		name = string(op.Children[3].Data.Bytes())
	}
	if id != 0 || tag != ldap.ApplicationExtendedResponse || got != code ||
		name != "1.3.6.1.4.1.1466.20036" || !strings.Contains(msg, msgPart) {
		r.t.Fatalf("notice: id %d tag %d code %d name %q msg %q", id, tag, got, name, msg)
	}
	r.expectClosed()
}

func TestMalformedMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{MaxMessageSize: 4096}, nil)
	cases := map[string][]byte{
		"bad protocolOp tag": {0x30, 0x05, 0x02, 0x01, 0x01, 0x1f, 0x00},
		"not a sequence":     []byte("GET / HTTP/1.1\r\n\r\n"),
		"truncated content":  {0x30, 0x06, 0x02, 0x01, 0x01, 0x63, 0x10, 0x04},
		"indefinite length":  {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00},
		"message id zero":    {0x30, 0x05, 0x02, 0x01, 0x00, 0x42, 0x00},
		"unknown operation":  {0x30, 0x05, 0x02, 0x01, 0x01, 0x7e, 0x00},
		"bad search body":    {0x30, 0x08, 0x02, 0x01, 0x01, 0x63, 0x03, 0x04, 0x01, 0x41},
		"bad filter":         {0x30, 0x19, 0x02, 0x01, 0x01, 0x63, 0x14, 0x04, 0x00, 0x0a, 0x01, 0x02, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0xbf, 0x00, 0x30, 0x00},
	}
	for name, pdu := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := e.raw(t)
			r.write(pdu)
			r.expectNotice(ldap.LDAPResultProtocolError, "")
		})
	}
	t.Run("oversize", func(t *testing.T) {
		t.Parallel()
		r := e.raw(t)
		// The whole 64 KiB body is sent: the notice must still arrive.
		r.write(append([]byte{0x30, 0x84, 0x00, 0x01, 0x00, 0x00}, make([]byte, 64<<10)...))
		r.expectNotice(ldap.LDAPResultProtocolError, "larger than 4096")
	})
}

func TestProtocolErrorsKeepTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	// An invalid attribute description in a filter, then an unknown scope.
	bad := ber.Encode(ber.ClassContext, ber.TypeConstructed, 3, nil, "")
	bad.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "c(n", ""))
	bad.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "x", ""))
	r.send(2, searchOp(t, base, bad))
	if id, tag, code, _ := resultOf(r.read()); id != 2 || tag != ldap.ApplicationSearchResultDone || code != ldap.LDAPResultProtocolError {
		t.Fatalf("bad attribute: id %d tag %d code %d", id, tag, code)
	}
	r.send(3, searchOpScope(t, base, 7, compile(t, "(uid=zoe)")))
	if id, _, code, msg := resultOf(r.read()); id != 3 || code != ldap.LDAPResultProtocolError || !strings.Contains(msg, "scope") {
		t.Fatalf("bad scope: id %d code %d %q", id, code, msg)
	}
	// Absolute true and false filters (RFC 4526) are accepted.
	and := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
	r.send(4, searchOp(t, "ou=people,"+base, and, "1.1"))
	n := 0
	for {
		p := r.read()
		if _, tag, code, _ := resultOf(p); tag == ldap.ApplicationSearchResultDone {
			if code != 0 || n != 5 {
				t.Fatalf("(&): code %d after %d entries", code, n)
			}
			break
		}
		n++
	}
	or := ber.Encode(ber.ClassContext, ber.TypeConstructed, 1, nil, "")
	r.send(5, searchOp(t, base, or))
	if _, tag, code, _ := resultOf(r.read()); tag != ldap.ApplicationSearchResultDone || code != 0 {
		t.Fatalf("(|): tag %d code %d", tag, code)
	}
}

func TestAbandon(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	started := make(chan struct{})
	var cancelled atomic.Bool
	e.dir.OnSearch = func(ctx context.Context, req *ldapd.SearchRequest) error {
		if req.Filter.String() != "(cn=slow)" {
			return nil
		}
		close(started)
		<-ctx.Done()
		cancelled.Store(true)
		return ctx.Err()
	}
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	r.send(2, searchOp(t, base, compile(t, "(cn=slow)")))
	<-started
	r.send(3, ber.NewInteger(ber.ClassApplication, ber.TypePrimitive, ldap.ApplicationAbandonRequest, 2, ""))
	poll(t, "the search to be cancelled", cancelled.Load)
	who := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "")
	who.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.4203.1.11.3", ""))
	r.send(4, who)
	if id, tag, code, _ := resultOf(r.read()); id != 4 || tag != ldap.ApplicationExtendedResponse || code != 0 {
		t.Fatalf("after abandon got id %d tag %d code %d; the abandoned search must not answer", id, tag, code)
	}
}

// An operation answered on the connection's reader goroutine (runInline)
// that runs long hands reading over: a request sent behind it on the same
// connection is answered while it still runs, and it answers afterwards.
// CARINE: INF-ANN-2
func TestSlowOperationDoesNotHoldTheConnection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	started, release := make(chan struct{}), make(chan struct{})
	e.dir.OnSearch = func(ctx context.Context, req *ldapd.SearchRequest) error {
		if req.Filter.String() != "(cn=slow)" {
			return nil
		}
		close(started)
		<-release
		return nil
	}
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	r.send(2, searchOp(t, base, compile(t, "(cn=slow)")))
	<-started
	who := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "")
	who.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, "1.3.6.1.4.1.4203.1.11.3", ""))
	r.send(3, who)
	if id, tag, code, _ := resultOf(r.read()); id != 3 || tag != ldap.ApplicationExtendedResponse || code != 0 {
		t.Fatalf("behind a running search got id %d tag %d code %d, want the WhoAmI answer", id, tag, code)
	}
	close(release)
	if id, tag, code, _ := resultOf(r.read()); id != 2 || tag != ldap.ApplicationSearchResultDone || code != 0 {
		t.Fatalf("after release got id %d tag %d code %d, want the search's end", id, tag, code)
	}
	// The connection goes on after the handover: one more request.
	r.send(4, searchOp(t, base, compile(t, "(cn=nobody)")))
	if id, tag, code, _ := resultOf(r.read()); id != 4 || tag != ldap.ApplicationSearchResultDone || code != 0 {
		t.Fatalf("next search got id %d tag %d code %d", id, tag, code)
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	e.dir.OnSearch = func(ctx context.Context, req *ldapd.SearchRequest) error {
		if req.Filter.String() == "(cn=boom)" {
			panic("boom")
		}
		return nil
	}
	c := e.bind(t, "zoe", zoePW)
	_, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(cn=boom)", nil, nil))
	wantCode(t, err, ldap.LDAPResultOther)
	if !strings.Contains(err.Error(), "incident") {
		t.Errorf("message %v", err)
	}
	if dns, _ := search(t, c, base, ldap.ScopeWholeSubtree, "(uid=zoe)"); len(dns) != 1 {
		t.Fatal("the connection did not survive")
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{IdleTimeout: 50 * time.Millisecond}, nil)
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	start := time.Now()
	r.expectClosed()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v", d)
	}
}

func TestShutdownNotice(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	r.expectNotice(ldap.LDAPResultUnavailable, "shutting down")
}

func TestUnbindCloses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	r.send(2, ber.Encode(ber.ClassApplication, ber.TypePrimitive, ldap.ApplicationUnbindRequest, nil, ""))
	r.expectClosed()
}

func TestFilterLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	r := e.raw(t)
	r.bind(1, "zoe", zoePW)
	// 10001 terms: refused, the session goes on.
	or := ber.Encode(ber.ClassContext, ber.TypeConstructed, 1, nil, "")
	for range 10000 {
		or.AppendChild(compile(t, "(uid=x)"))
	}
	r.send(2, searchOp(t, base, or))
	if _, _, code, msg := resultOf(r.read()); code != ldap.LDAPResultProtocolError || !strings.Contains(msg, "too complex") {
		t.Fatalf("big filter: %d %q", code, msg)
	}
	// A NOT around an invalid attribute is a protocol error too.
	not := ber.Encode(ber.ClassContext, ber.TypeConstructed, 2, nil, "")
	not.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 7, "c(n", ""))
	r.send(3, searchOp(t, base, not))
	if _, _, code, _ := resultOf(r.read()); code != ldap.LDAPResultProtocolError {
		t.Fatalf("bad attribute under NOT: %d", code)
	}
	// Nesting deeper than 64 levels ends the session.
	deep := compile(t, "(uid=x)")
	for range 70 {
		n := ber.Encode(ber.ClassContext, ber.TypeConstructed, 2, nil, "")
		n.AppendChild(deep)
		deep = n
	}
	r.send(4, searchOp(t, base, deep))
	r.expectNotice(ldap.LDAPResultProtocolError, "malformed")
}
