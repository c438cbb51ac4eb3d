// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"github.com/preau/preau/internal/core"
)

// ppolicy response values (draft-behera-ldap-password-policy §6.2): an empty
// response, and error changeAfterReset (2).
var (
	ppolicyNone             = []byte{0x30, 0x00}
	ppolicyChangeAfterReset = []byte{0x30, 0x03, 0x81, 0x01, 0x02}
)

const msgPlainBind = "INF-ANN-5: simple binds without TLS are refused from the network; " +
	"connect with LDAPS or use StartTLS"

// bind runs a BindRequest in the reader goroutine, with no other operation
// outstanding. Whatever the outcome, the previous identity is dropped first
// (RFC 4511 §4.2.1): a failed bind leaves the connection anonymous.
func (c *conn) bind(m *message, req bindRequest) {
	reply := func(code ResultCode, msg string, controls ...respControl) {
		c.reply(m.id, opBindResponse, result{code: code, msg: msg}, controls...)
	}
	if oid, ok := unsupportedCritical(m.controls, opBindResponse); !ok {
		reply(ResultUnavailableCriticalExtension, "critical control "+oid+" is not supported")
		return
	}
	anon := c.anonymous()
	c.setState(anon)
	c.clearPages()
	switch {
	case req.version != 3:
		reply(ResultProtocolError, "only LDAP version 3 is supported")
		return
	case req.sasl:
		reply(ResultAuthMethodNotSupported, "SASL mechanism "+quote(req.mech)+
			" is not supported: use a simple bind over TLS (LDAPS or StartTLS)")
		return
	case req.name == "" && req.password == "":
		reply(ResultSuccess, "") // anonymous bind
		return
	case req.password == "":
		reply(ResultUnwillingToPerform, "unauthenticated bind (name without password) is not allowed")
		return
	case req.name == "":
		reply(ResultInvalidCredentials, "invalid credentials: a password needs a name")
		return
	case !c.tlsOn && !c.loopback && !c.srv.cfg.AllowPlainBindRemote:
		c.srv.log.Info("ldap plain bind refused", "name", req.name, "source", c.ip)
		reply(ResultConfidentialityRequired, msgPlainBind)
		return
	}
	res, err := c.srv.dir.Bind(anon.ctx, req.name, req.password)
	if err != nil {
		code, msg := bindResultFor(err, c.srv.log)
		if code == ResultInvalidCredentials {
			c.srv.log.Info("ldap bind failed", "name", req.name, "source", c.ip, "reason", core.KindOf(err))
		}
		reply(code, msg)
		return
	}
	p := res.Principal
	p.Channel, p.Source = core.ChannelLDAP, c.ip
	p.MustChangePassword = p.MustChangePassword || res.MustChange
	c.setState(connState{ctx: core.ContextWithPrincipal(c.ctx, p), bound: true, dn: res.DN,
		login: p.Login, mustChange: p.MustChangePassword})
	if hasControl(m.controls, oidPPolicy) {
		v := ppolicyNone
		if p.MustChangePassword {
			v = ppolicyChangeAfterReset
		}
		reply(ResultSuccess, "", respControl{oid: oidPPolicy, value: v})
		return
	}
	reply(ResultSuccess, "")
}

// hasControl reports whether controls holds oid.
func hasControl(controls []Control, oid string) bool {
	for _, c := range controls {
		if c.OID == oid {
			return true
		}
	}
	return false
}

// findControl returns the control oid, or nil.
func findControl(controls []Control, oid string) *Control {
	for i := range controls {
		if controls[i].OID == oid {
			return &controls[i]
		}
	}
	return nil
}

// authzID returns the WhoAmI identity of st (RFC 4532).
func (st connState) authzID() string {
	switch {
	case !st.bound:
		return ""
	case st.dn != "":
		return "dn:" + st.dn
	}
	return "u:" + st.login
}
