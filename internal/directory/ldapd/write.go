// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

// validDN answers invalidDNSyntax and returns false when dn does not parse.
func (o *op) validDN(dn, what string) bool {
	var buf, tmp [128]byte
	if _, ok := appendNormDN(buf[:0], tmp[:0], dn, o.c.srv.dir.Schema().compiled()); ok {
		return true
	}
	o.reply(result{code: ResultInvalidDNSyntax, msg: "invalid " + what + " " + quote(dn)})
	return false
}

// compare runs a CompareRequest.
func (o *op) compare(req compareRequest) {
	if !o.mayRead() || !o.validDN(req.dn, "DN") {
		return
	}
	ok, err := o.c.srv.dir.Compare(o.ctx, req.dn, req.attr, req.value)
	switch {
	case o.ctx.Err() != nil:
		return
	case err != nil:
		o.fail(err)
	case ok:
		o.reply(result{code: ResultCompareTrue})
	default:
		o.reply(result{code: ResultCompareFalse})
	}
}

// add runs an AddRequest.
func (o *op) add(e *Entry) {
	if !o.mayWrite() || !o.validDN(e.DN, "DN") {
		return
	}
	o.answer(o.c.srv.dir.Add(o.ctx, e))
}

// modify runs a ModifyRequest.
func (o *op) modify(req modifyRequest) {
	if !o.mayWrite() || !o.validDN(req.dn, "DN") {
		return
	}
	o.answer(o.c.srv.dir.Modify(o.ctx, req.dn, req.changes))
}

// delete runs a DelRequest.
func (o *op) delete(dn string) {
	if !o.mayWrite() || !o.validDN(dn, "DN") {
		return
	}
	o.answer(o.c.srv.dir.Delete(o.ctx, dn))
}

// modifyDN runs a ModifyDNRequest. newRDN must be a single RDN.
func (o *op) modifyDN(req modDNRequest) {
	if !o.mayWrite() || !o.validDN(req.dn, "DN") {
		return
	}
	if d, err := ParseDN(req.newRDN); err != nil || len(d) != 1 {
		o.reply(result{code: ResultInvalidDNSyntax, msg: "invalid new RDN " + quote(req.newRDN)})
		return
	}
	if req.newSuperior != "" && !o.validDN(req.newSuperior, "new superior") {
		return
	}
	o.answer(o.c.srv.dir.ModifyDN(o.ctx, req.dn, req.newRDN, req.deleteOld, req.newSuperior))
}

// answer replies success or the mapped error, unless abandoned.
func (o *op) answer(err error) {
	switch {
	case o.ctx.Err() != nil && o.abandoned.Load():
		return
	case err != nil:
		o.fail(err)
	default:
		o.reply(result{})
	}
}
