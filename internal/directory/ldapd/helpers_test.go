// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/directory/ldapd/ldaptest"
)

const base = ldaptest.Base

// Passwords of the fixture users.
const (
	zoePW   = "zoe-secret-1"
	hugoPW  = "hugo-secret-1"
	adminPW = "admin-secret-1"
)

func person(uid, cn, sn string, kv ...string) ldapd.Entry {
	e := ldapd.Entry{DN: "uid=" + uid + ",ou=people," + base, Attrs: []ldapd.Attr{
		{Name: "objectClass", Values: []string{"top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"}},
		{Name: "uid", Values: []string{uid}},
		{Name: "cn", Values: []string{cn}},
		{Name: "sn", Values: []string{sn}},
		{Name: "homeDirectory", Values: []string{"/home/" + uid}},
	}}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs = append(e.Attrs, ldapd.Attr{Name: kv[i], Values: []string{kv[i+1]}})
	}
	return e
}

// fixture returns a small school directory.
func fixture() ([]ldapd.Entry, []ldaptest.User) {
	entries := []ldapd.Entry{
		{DN: base, Attrs: []ldapd.Attr{{Name: "objectClass", Values: []string{"top", "domain"}}, {Name: "dc", Values: []string{"preau"}}}},
		{DN: "ou=people," + base, Attrs: []ldapd.Attr{{Name: "objectClass", Values: []string{"top", "organizationalUnit"}}, {Name: "ou", Values: []string{"people"}}}},
		{DN: "ou=groups," + base, Attrs: []ldapd.Attr{{Name: "objectClass", Values: []string{"top", "organizationalUnit"}}, {Name: "ou", Values: []string{"groups"}}}},
		person("zoe", "Zoé Martin", "Martin", "givenName", "Zoé", "mail", "zoe@preau.example", "uidNumber", "1001",
			"gidNumber", "500", "employeeNumber", "E-17", "ENTPersonProfils", "National_ELV",
			"memberOf", "cn=6A,ou=groups,"+base, "createTimestamp", "20260901080000Z", "userPassword", "{X}zoe"),
		person("hugo", "Hugo  Dubois", "Dubois", "givenName", "Hugo", "mail", "hugo@preau.example", "uidNumber", "1002",
			"gidNumber", "500", "employeeNumber", "e-18", "ENTPersonProfils", "National_ELV",
			"memberOf", "cn=6A,ou=groups,"+base, "createTimestamp", "20260915120000Z"),
		person("lea", "Léa Petit", "Petit", "givenName", "Léa", "mail", "lea@preau.example", "uidNumber", "2000",
			"gidNumber", "501", "ENTPersonProfils", "National_ENS", "memberOf", "cn=profs,ou=groups,"+base,
			"createTimestamp", "20250101000000Z"),
		person("admin", "Administrateur", "Admin", "uidNumber", "0", "gidNumber", "0"),
		{DN: "cn=6A,ou=groups," + base, Attrs: []ldapd.Attr{
			{Name: "objectClass", Values: []string{"top", "groupOfNames"}}, {Name: "cn", Values: []string{"6A"}},
			{Name: "member", Values: []string{"uid=zoe,ou=people," + base, "UID=Hugo, OU=People, DC=Preau, DC=Example"}}}},
		{DN: "cn=profs,ou=groups," + base, Attrs: []ldapd.Attr{
			{Name: "objectClass", Values: []string{"top", "groupOfNames"}}, {Name: "cn", Values: []string{"profs"}},
			{Name: "member", Values: []string{"uid=lea,ou=people," + base}}}},
	}
	users := []ldaptest.User{
		{Login: "zoe", DN: "uid=zoe,ou=people," + base, Password: zoePW,
			Principal: core.Principal{Profile: core.ProfilePupil}},
		{Login: "hugo", DN: "uid=hugo,ou=people," + base, Password: hugoPW, MustChange: true,
			Principal: core.Principal{Profile: core.ProfilePupil}},
		{Login: "lea", DN: "uid=lea,ou=people," + base, Password: "lea-secret-1", ReadOnly: true,
			Principal: core.Principal{Profile: core.ProfileTeacher}},
		{Login: "admin", DN: "uid=admin,ou=people," + base, Password: adminPW,
			Principal: core.Principal{Profile: core.ProfileAdmin}},
		{Login: "ghost", Password: "ghost-secret-1", Disabled: true},
	}
	return entries, users
}

// env is a running server with its directory.
type env struct {
	srv    *ldapd.Server
	dir    *ldaptest.MemDirectory
	addr   string
	tlsCfg *tls.Config
	caPEM  []byte
}

// option changes how newEnv starts a server.
type option func(*envOptions)

type envOptions struct {
	setup func(*ldapd.Server) // runs before Serve
	ldaps bool                // serve on a TLS listener
	noTLS bool                // no TLSConfig: StartTLS unavailable
	tee   *recorder           // records what clients send
}

// remote makes every client address count as non-loopback.
func remote(o *envOptions) {
	o.setup = func(s *ldapd.Server) { s.SetLoopbackCheck(func(net.Addr) bool { return false }) }
}

func withLDAPS(o *envOptions)  { o.ldaps = true }
func withoutTLS(o *envOptions) { o.noTLS = true }

// newEnv starts a server on 127.0.0.1:0 over dir (the fixture when nil).
func newEnv(t testing.TB, cfg ldapd.Config, dir *ldaptest.MemDirectory, opts ...option) *env {
	t.Helper()
	var o envOptions
	for _, f := range opts {
		f(&o)
	}
	if dir == nil {
		dir = ldaptest.NewMemDirectory(fixture())
	}
	if cfg.BaseDN == "" {
		cfg.BaseDN = base
	}
	tlsCfg, caPEM, err := ldaptest.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !o.noTLS {
		cfg.TLSConfig = tlsCfg
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := ldapd.New(cfg, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.setup != nil {
		o.setup(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if o.tee != nil {
		ln = &teeListener{Listener: ln, rec: o.tee}
	}
	if o.ldaps {
		ln = tls.NewListener(ln, tlsCfg)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ldapd.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return &env{srv: srv, dir: dir, addr: addr, tlsCfg: tlsCfg, caPEM: caPEM}
}

// recorder keeps the bytes clients send.
type recorder struct {
	mu  sync.Mutex
	buf []byte
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.buf)
}

type teeListener struct {
	net.Listener
	rec *recorder
}

func (l *teeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &teeConn{Conn: c, rec: l.rec}, nil
}

type teeConn struct {
	net.Conn
	rec *recorder
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rec.mu.Lock()
	c.rec.buf = append(c.rec.buf, p[:n]...)
	c.rec.mu.Unlock()
	return n, err
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// dial returns an unbound go-ldap connection.
func (e *env) dial(t testing.TB) *ldap.Conn {
	t.Helper()
	c, err := ldap.DialURL("ldap://" + e.addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetTimeout(10 * time.Second)
	t.Cleanup(func() { c.Close() })
	return c
}

// bind returns a connection bound as name.
func (e *env) bind(t testing.TB, name, password string) *ldap.Conn {
	t.Helper()
	c := e.dial(t)
	if err := c.Bind(name, password); err != nil {
		t.Fatalf("bind %s: %v", name, err)
	}
	return c
}

// clientTLS returns a client TLS configuration trusting the test CA.
func (e *env) clientTLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.caPEM)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// wantCode fails unless err is an LDAP error with code.
func wantCode(t testing.TB, err error, code uint16) {
	t.Helper()
	if !ldap.IsErrorWithCode(err, code) {
		t.Fatalf("got %v, want result code %d (%s)", err, code, ldap.LDAPResultCodeMap[code])
	}
}

// search runs a search and returns the DNs found, sorted.
func search(t testing.TB, c *ldap.Conn, baseDN string, scope int, filter string, attrs ...string) ([]string, *ldap.SearchResult) {
	t.Helper()
	res, err := c.Search(ldap.NewSearchRequest(baseDN, scope, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
	if err != nil {
		t.Fatalf("search %s %q: %v", baseDN, filter, err)
	}
	return dns(res), res
}

func dns(res *ldap.SearchResult) []string {
	var out []string
	for _, e := range res.Entries {
		out = append(out, e.DN)
	}
	slices.Sort(out)
	return out
}

// uids returns the DNs of the given fixture people, sorted.
func uids(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, "uid="+n+",ou=people,"+base)
	}
	slices.Sort(out)
	return out
}

// poll waits until cond holds, failing after a deadline.
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func errorAs(err error, target any) bool { return errors.As(err, target) }
