// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"crypto/tls"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Extended operations.
const (
	oidStartTLS       = "1.3.6.1.4.1.1466.20037"
	oidWhoAmI         = "1.3.6.1.4.1.4203.1.11.3"
	oidPasswordModify = "1.3.6.1.4.1.4203.1.11.1"
)

// tlsHandshakeTimeout bounds the StartTLS handshake.
const tlsHandshakeTimeout = 10 * time.Second

// startTLS runs StartTLS (RFC 4511 §4.14) in the reader goroutine with no
// operation outstanding. It returns false when the session must end.
func (c *conn) startTLS(m *message) bool {
	reply := func(code ResultCode, msg string) {
		e := getEncoder()
		e.extendedResponse(m.id, result{code: code, msg: msg}, oidStartTLS, nil)
		c.send(e.b)
		putEncoder(e)
	}
	switch oid, ok := unsupportedCritical(m.controls, opExtendedResp); {
	case !ok:
		reply(ResultUnavailableCriticalExtension, "critical control "+oid+" is not supported")
		return true
	case c.tlsOn:
		reply(ResultOperationsError, "TLS is already established")
		return true
	case c.srv.cfg.TLSConfig == nil:
		reply(ResultUnavailable, "StartTLS is not configured on this server")
		return true
	case c.r.Buffered() > 0:
		reply(ResultOperationsError, "requests were sent after StartTLS before its response")
		return true
	}
	reply(ResultSuccess, "")
	c.mu.Lock()
	tc := tls.Server(c.nc, c.srv.cfg.TLSConfig)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, tlsHandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.srv.log.Debug("ldap StartTLS handshake failed", "source", c.ip, "err", err)
		return false
	}
	c.wmu.Lock()
	c.mu.Lock()
	c.nc = tc
	c.r.Reset(tc)
	c.w.Reset(tc)
	c.rdl, c.wdl = time.Time{}, time.Time{}
	c.mu.Unlock()
	c.wmu.Unlock()
	c.tlsOn = true
	return true
}

// extended runs the other extended operations.
func (o *op) extended(req extendedRequest) {
	switch req.oid {
	case oidWhoAmI:
		o.extReply(result{}, "", []byte(o.st.authzID()))
	case oidPasswordModify:
		o.passwordModify(req.value)
	default:
		o.reply(result{code: ResultProtocolError, msg: "unsupported extended operation " + quote(req.oid)})
	}
}

// extReply sends an ExtendedResponse, unless the operation was abandoned.
func (o *op) extReply(r result, name string, value []byte) {
	if o.abandoned.Load() {
		return
	}
	e := getEncoder()
	e.extendedResponse(o.id, r, name, value)
	o.c.send(e.b)
	putEncoder(e)
}

// passwordModify runs Password Modify (RFC 3062). A bound user may change
// their own password even when the connection is restricted by MustChange;
// a successful self-change lifts the restriction.
func (o *op) passwordModify(value []byte) {
	if !o.st.bound {
		o.reply(result{code: ResultInsufficientAccessRights, msg: msgBindFirst})
		return
	}
	var user, oldPW, newPW string
	if value != nil {
		var err error
		if user, oldPW, newPW, err = decodePasswdModify(value); err != nil {
			o.reply(result{code: ResultProtocolError, msg: "malformed password modify request"})
			return
		}
	}
	self := user == "" || strings.EqualFold(user, o.st.login) ||
		o.st.dn != "" && EqualDN(user, o.st.dn, o.c.srv.dir.Schema())
	if o.st.mustChange && !self {
		o.reply(result{code: ResultUnwillingToPerform, msg: msgMustChange})
		return
	}
	gen, err := o.c.srv.dir.PasswordModify(o.ctx, user, oldPW, newPW)
	if err != nil {
		if o.ctx.Err() == nil || !o.abandoned.Load() {
			o.fail(err)
		}
		return
	}
	if self && o.st.mustChange {
		o.c.liftMustChange()
	}
	var resp []byte
	if gen != "" {
		e := encoder{}
		seq := e.begin(tagSequence)
		e.str(classContext|0, gen)
		e.end(seq)
		resp = e.b
	}
	o.extReply(result{}, "", resp)
}

// liftMustChange ends the MustChange restriction of the connection.
func (c *conn) liftMustChange() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.state.bound {
		return
	}
	p := core.PrincipalFromContext(c.state.ctx)
	p.MustChangePassword = false
	c.state.ctx = core.ContextWithPrincipal(c.ctx, p)
	c.state.mustChange = false
}

// decodePasswdModify decodes a PasswdModifyRequestValue.
func decodePasswdModify(b []byte) (user, oldPW, newPW string, err error) {
	seq, rest, err := expect(b, tagSequence)
	if err != nil || len(rest) != 0 {
		return "", "", "", errMalformed
	}
	for len(seq) > 0 {
		tag, v, r, err := readTLV(seq)
		if err != nil {
			return "", "", "", err
		}
		seq = r
		switch tag {
		case classContext | 0:
			user = string(v)
		case classContext | 1:
			oldPW = string(v)
		case classContext | 2:
			newPW = string(v)
		default:
			return "", "", "", errMalformed
		}
	}
	return user, oldPW, newPW, nil
}
