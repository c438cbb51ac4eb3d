// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
)

// Control OIDs the server understands.
const (
	oidPaging      = "1.2.840.113556.1.4.319"
	oidPPolicy     = "1.3.6.1.4.1.42.2.27.8.5.1"
	oidManageDsaIT = "2.16.840.1.113730.3.4.2" // no referrals here, so always honoured
)

// op is one running operation.
type op struct {
	c         *conn
	id        int32
	respTag   byte
	controls  []Control
	st        connState
	ctx       *opContext
	abandoned atomic.Bool
	fn        func(*op) // what the operation does, run by a worker
}

// dispatch decodes one message and runs it. It returns false when the
// session must end.
func (c *conn) dispatch(frame []byte) bool {
	m, err := decodeMessage(frame)
	if err != nil {
		c.notice(ResultProtocolError, "malformed LDAP message")
		c.drain()
		return false
	}
	switch m.tag {
	case opUnbindRequest:
		return false
	case opAbandonRequest:
		if id, err := parseInt(m.body); err == nil {
			c.abandon(int32(id))
		}
		return true
	case opBindRequest:
		c.opWG.Wait() // RFC 4511 §4.2.1: no operation may be outstanding
		req, err := decodeBind(m.body)
		if !c.decoded(&m, opBindResponse, err) {
			return err == nil || isProto(err)
		}
		c.bind(&m, req)
		return true
	case opExtendedRequest:
		req, err := decodeExtended(m.body)
		if !c.decoded(&m, opExtendedResp, err) {
			return err == nil || isProto(err)
		}
		if req.oid == oidStartTLS {
			c.opWG.Wait()
			return c.startTLS(&m)
		}
		c.start(&m, opExtendedResp, 0, func(o *op) { o.extended(req) })
		return true
	case opSearchRequest:
		req, err := decodeSearch(m.body)
		if c.decoded(&m, opSearchDone, err) {
			req.Controls = m.controls
			if tl := c.srv.cfg.MaxTimeLimit; req.TimeLimit <= 0 || req.TimeLimit > tl {
				req.TimeLimit = tl
			}
			c.start(&m, opSearchDone, req.TimeLimit, func(o *op) { o.search(req) })
		}
		return err == nil || isProto(err)
	case opCompareRequest:
		req, err := decodeCompare(m.body)
		if c.decoded(&m, opCompareResponse, err) {
			c.start(&m, opCompareResponse, 0, func(o *op) { o.compare(req) })
		}
		return err == nil || isProto(err)
	case opAddRequest:
		req, err := decodeAdd(m.body)
		if c.decoded(&m, opAddResponse, err) {
			c.start(&m, opAddResponse, 0, func(o *op) { o.add(req) })
		}
		return err == nil || isProto(err)
	case opModifyRequest:
		req, err := decodeModify(m.body)
		if c.decoded(&m, opModifyResponse, err) {
			c.start(&m, opModifyResponse, 0, func(o *op) { o.modify(req) })
		}
		return err == nil || isProto(err)
	case opDelRequest:
		dn := string(m.body)
		c.start(&m, opDelResponse, 0, func(o *op) { o.delete(dn) })
		return true
	case opModDNRequest:
		req, err := decodeModDN(m.body)
		if c.decoded(&m, opModDNResponse, err) {
			c.start(&m, opModDNResponse, 0, func(o *op) { o.modifyDN(req) })
		}
		return err == nil || isProto(err)
	}
	c.notice(ResultProtocolError, "unknown LDAP operation")
	c.drain()
	return false
}

// decoded handles a decoding error: a protocolError answer for a request
// that makes no sense, a Notice of Disconnection for broken BER. It reports
// whether the request decoded.
func (c *conn) decoded(m *message, respTag byte, err error) bool {
	if err == nil {
		return true
	}
	if pe, ok := isProtoError(err); ok {
		c.reply(m.id, respTag, result{code: ResultProtocolError, msg: pe.msg})
		return false
	}
	c.notice(ResultProtocolError, "malformed LDAP message")
	c.drain()
	return false
}

func isProto(err error) bool {
	_, ok := isProtoError(err)
	return ok
}

// start runs an operation, on the reader goroutine when no other request is
// waiting in the read buffer (runInline), else on a worker goroutine, unless
// a critical control is not supported. A timeout > 0 bounds the operation's
// context. It runs on the reader goroutine.
func (c *conn) start(m *message, respTag byte, timeout time.Duration, run func(*op)) {
	if oid, ok := unsupportedCritical(m.controls, respTag); !ok {
		c.reply(m.id, respTag, result{code: ResultUnavailableCriticalExtension,
			msg: "critical control " + oid + " is not supported"})
		return
	}
	c.sem <- struct{}{}
	c.mu.Lock()
	st := c.state
	o := &op{c: c, id: m.id, respTag: respTag, controls: m.controls, st: st, ctx: newOpContext(st.ctx, timeout)}
	c.ops[m.id] = o
	c.mu.Unlock()
	c.opWG.Add(1)
	c.active.Add(1)
	o.fn = run
	if c.r.Buffered() == 0 { // nothing else asked yet: answer on this goroutine
		c.runInline(o)
		return
	}
	c.srv.workers.run(o)
}

// run runs the operation, recovering from a panic with an "other" result.
func (o *op) run(fn func(*op)) {
	c := o.c
	defer func() {
		if r := recover(); r != nil {
			id := core.NewIncidentID()
			c.srv.log.Error("ldap operation panicked", "incident", id, "panic", r,
				"stack", string(debug.Stack()))
			o.reply(result{code: ResultOther, msg: "internal error, incident " + id})
		}
		o.ctx.cancel(context.Canceled)
		c.mu.Lock()
		if c.ops[o.id] == o {
			delete(c.ops, o.id)
		}
		c.mu.Unlock()
		c.active.Add(-1)
		<-c.sem
		c.opWG.Done()
	}()
	fn(o)
}

// abandon cancels the operation with the given id, if still running.
func (c *conn) abandon(id int32) {
	c.mu.Lock()
	o := c.ops[id]
	c.mu.Unlock()
	if o != nil {
		o.abandoned.Store(true)
		o.ctx.cancel(context.Canceled)
	}
}

// reply sends the operation's final response, unless it was abandoned.
func (o *op) reply(r result, controls ...respControl) {
	if o.abandoned.Load() {
		return
	}
	o.c.reply(o.id, o.respTag, r, controls...)
}

// fail answers err from the Directory.
func (o *op) fail(err error) {
	code, matched, msg := ResultFor(err, o.c.srv.log)
	o.reply(result{code: code, matched: matched, msg: msg})
}

// unsupportedCritical returns the first critical control the operation does
// not support.
func unsupportedCritical(controls []Control, respTag byte) (string, bool) {
	for _, ctl := range controls {
		if !ctl.Critical {
			continue
		}
		switch ctl.OID {
		case oidManageDsaIT:
			continue
		case oidPaging:
			if respTag == opSearchDone {
				continue
			}
		case oidPPolicy:
			if respTag == opBindResponse || respTag == opModifyResponse || respTag == opAddResponse ||
				respTag == opExtendedResp {
				continue
			}
		}
		return ctl.OID, false
	}
	return "", true
}

// Messages of the access rules.
const (
	msgBindFirst  = "anonymous access is disabled: bind first"
	msgMustChange = "your password must be changed before you use the directory: change it on " +
		"the Préau portal, or with the LDAP Password Modify operation"
)

// mayRead checks that the connection may read entries; it answers and
// returns false otherwise.
func (o *op) mayRead() bool {
	switch {
	case o.st.mustChange:
		o.reply(result{code: ResultUnwillingToPerform, msg: msgMustChange})
	case !o.st.bound && !o.c.srv.cfg.AllowAnonymous:
		o.reply(result{code: ResultInsufficientAccessRights, msg: msgBindFirst})
	default:
		return true
	}
	return false
}

// mayWrite checks that the connection is bound and not restricted.
func (o *op) mayWrite() bool {
	switch {
	case o.st.mustChange:
		o.reply(result{code: ResultUnwillingToPerform, msg: msgMustChange})
	case !o.st.bound:
		o.reply(result{code: ResultInsufficientAccessRights, msg: msgBindFirst})
	default:
		return true
	}
	return false
}
