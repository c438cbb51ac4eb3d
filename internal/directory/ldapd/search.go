// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"context"
	"errors"
	"sync"
)

// flushSize is the batch size at which entries are written out during a
// search; smaller results go out in one write with the SearchResultDone.
const flushSize = 32 << 10

// searchRun is the state of one search.
type searchRun struct {
	o      *op
	req    *SearchRequest
	cs     *compiledSchema
	filter *node
	base   string // normalised base DN
	scope  Scope
	sel    selector
	enc    *encoder
	sc     scratch

	startSkip, skip int  // matching entries sent by the previous pages
	limit, sent     int  // limit < 0: none
	more            bool // a matching entry beyond limit was seen
	stopped         bool // the context ended while emitting
	werr            error
	seen            int
	ctx             context.Context
	emitFn          func(*Entry) bool // r.emit, made once per pooled searchRun
	needed          []string          // SearchRequest.NeededAttributes, reused
}

// search runs a SearchRequest.
func (o *op) search(req *SearchRequest) {
	srv := o.c.srv
	schema := srv.dir.Schema()
	cs := schema.compiled()
	var buf, tmp [128]byte
	baseB, ok := appendNormDN(buf[:0], tmp[:0], req.BaseDN, cs)
	if !ok {
		o.reply(result{code: ResultInvalidDNSyntax, msg: "invalid base DN " + quote(req.BaseDN)})
		return
	}
	base := req.BaseDN // already in normal form, mostly: no copy then
	if string(baseB) != base {
		base = string(baseB)
	}
	pg, err := parsePaging(req.Controls)
	if err != nil {
		o.reply(result{code: ResultProtocolError, msg: err.Error()})
		return
	}
	r := runPool.Get().(*searchRun)
	defer r.release()
	r.o, r.req, r.cs, r.base, r.scope, r.ctx = o, req, cs, base, req.Scope, o.ctx
	r.sel = newSelector(req.Attributes, cs, req.TypesOnly, r.sel.cache[:0], r.sel.named)
	r.sc.reset(cs)
	switch {
	case base == "" && req.Scope == ScopeBase:
		r.special(srv.rootDSE, pg)
		return
	case base == "cn=subschema":
		e := srv.subschemaEntry(schema)
		if req.Scope == ScopeOne || req.Scope == ScopeChildren {
			e = nil
		}
		r.base, r.scope = "cn=subschema", ScopeBase
		r.special(e, pg)
		return
	}
	if !o.mayRead() {
		return
	}
	if base == "" { // the whole tree below the root: the naming context
		r.base, req.BaseDN = srv.baseNorm, srv.cfg.BaseDN
		if r.scope = ScopeSub; req.Scope == ScopeOne {
			r.scope = ScopeBase
		}
		req.Scope = r.scope
	} else if srv.baseNorm != "" && !scopeMatch(srv.baseNorm, base, ScopeSub) {
		o.reply(result{code: ResultNoSuchObject,
			msg: "the base DN is outside the naming context " + srv.cfg.BaseDN})
		return
	}
	r.run(pg)
}

// runPool recycles searchRuns with their scratch buffers.
var runPool = sync.Pool{New: func() any {
	r := &searchRun{sc: scratch{buf: make([]byte, 0, 256), dn: make([]byte, 0, 256), tmp: make([]byte, 0, 256)}}
	r.emitFn = r.emit
	return r
}}

// release returns r to the pool, keeping only its buffers.
func (r *searchRun) release() {
	r.sc.reset(nil)
	*r = searchRun{sc: r.sc, sel: selector{cache: r.sel.cache[:0], named: r.sel.named[:0]}, emitFn: r.emitFn,
		needed: r.needed[:0]}
	if cap(r.sc.buf) > 64<<10 || cap(r.sc.dn) > 64<<10 || cap(r.sc.tmp) > 64<<10 {
		return
	}
	runPool.Put(r)
}

// run asks the Directory for candidates and answers.
func (r *searchRun) run(pg *pagingRequest) {
	o, srv := r.o, r.o.c.srv
	var key string
	if pg != nil {
		key = pageKey(r.req)
		if len(pg.cookie) > 0 {
			offset, ok := o.c.pageGet(pg.cookie, key)
			if !ok {
				o.reply(result{code: ResultUnwillingToPerform, msg: "paged results cookie is invalid or expired"})
				return
			}
			r.skip, r.startSkip = offset, offset
		}
		if pg.size == 0 { // the client abandons the paged search
			o.c.pageDrop(pg.cookie)
			o.reply(result{}, pagingControl(nil))
			return
		}
	}
	sizeCapped := r.limits(pg)
	r.req.Paged = pg != nil
	ctx := o.ctx // bounded by the time limit (dispatch)
	r.filter = &r.req.Filter.matcher(srv.dir.Schema()).root
	r.enc = getEncoder()
	defer func() { putEncoder(r.enc) }()
	r.needed, r.req.neededSet = r.neededAttributes(r.needed[:0])
	r.req.needed = r.needed
	err := srv.dir.Search(ctx, r.req, r.emitFn)
	r.req.needed, r.req.neededSet = nil, false
	var res result
	var ctl []respControl
	switch {
	case r.werr != nil || o.abandoned.Load() || o.c.ctx.Err() != nil:
		return
	case (r.stopped || err != nil) && errors.Is(ctx.Err(), context.DeadlineExceeded):
		res = result{code: ResultTimeLimitExceeded, msg: "time limit exceeded"}
	case r.more && pg != nil && !sizeCapped:
		cookie := o.c.pageSave(pg.cookie, key, r.startSkip+r.sent)
		ctl = append(ctl, pagingControl(cookie))
	case r.more:
		res = result{code: ResultSizeLimitExceeded, msg: "size limit exceeded"}
	case err != nil:
		res.code, res.matched, res.msg = ResultFor(err, srv.log)
	}
	if pg != nil && len(ctl) == 0 {
		o.c.pageDrop(pg.cookie)
		ctl = append(ctl, pagingControl(nil))
	}
	r.done(res, ctl)
}

// limits sets the entries to send; it reports whether the client's size
// limit, rather than the page size, bounds this page.
func (r *searchRun) limits(pg *pagingRequest) bool {
	maxSize := r.o.c.srv.cfg.MaxSizeLimit
	if pg == nil {
		r.limit = r.req.SizeLimit
		if r.limit == 0 {
			r.limit = -1
		}
		if maxSize > 0 && (r.limit < 0 || r.limit > maxSize) {
			r.limit = maxSize
		}
		return false
	}
	r.limit = pg.size
	if maxSize > 0 && r.limit > maxSize {
		r.limit = maxSize
	}
	if r.req.SizeLimit > 0 && r.req.SizeLimit-r.skip <= r.limit {
		r.limit = max(r.req.SizeLimit-r.skip, 0)
		return true
	}
	return false
}

// emit is the Directory's callback: scope, filter, paging, limits, encoding.
func (r *searchRun) emit(e *Entry) bool {
	r.seen++
	if r.seen&63 == 0 && r.ctx.Err() != nil {
		r.stopped = true
		return false
	}
	if !r.inScope(e.DN) {
		return true
	}
	if r.filter.eval(e, &r.sc) != triTrue {
		return true
	}
	if r.skip > 0 {
		r.skip--
		return true
	}
	if r.limit >= 0 && r.sent >= r.limit {
		r.more = true
		return false
	}
	r.writeEntry(e)
	r.sent++
	if len(r.enc.b) >= flushSize {
		if r.werr = r.o.c.send(r.enc.b); r.werr != nil {
			return false
		}
		r.enc.b = r.enc.b[:0]
	}
	return true
}

// neededAttributes appends to names the names of the attributes selected
// or tested by the filter (SearchRequest.NeededAttributes); ok is false
// when any attribute may matter.
func (r *searchRun) neededAttributes(names []string) (_ []string, ok bool) {
	if r.sel.all || r.sel.ops {
		return names, false
	}
	for _, n := range r.sel.named {
		names = append(names, n.names...)
	}
	return r.filter.appendAttrNames(names)
}

// inScope reports whether dn is within the scope of the search. When dn
// ends with the base DN byte for byte, it only counts the RDNs before;
// otherwise it compares normal forms.
func (r *searchRun) inScope(dn string) bool {
	if in, ok := fastScope(r.req.BaseDN, dn, r.scope); ok {
		return in
	}
	var ok bool
	r.sc.dn, ok = appendNormDN(r.sc.dn[:0], r.sc.tmp[:0], dn, r.cs)
	return ok && scopeMatch(r.base, bstr(r.sc.dn), r.scope)
}

// fastScope decides the scope of dn from the raw strings when dn is base
// or ends with ","+base; ok is false otherwise. Identical text normalises
// identically, so the answer is exact.
func fastScope(base, dn string, scope Scope) (in, ok bool) {
	var rel string
	switch n := len(dn) - len(base) - 1; {
	case base == "": // the root: only when the naming context is empty
		return false, false
	case n == -1 && dn == base:
	case n >= 0 && dn[n] == ',' && dn[n+1:] == base && !escapedAt(dn, n):
		if rel = dn[:n]; rel == "" {
			return false, false
		}
	default:
		return false, false
	}
	switch scope {
	case ScopeSub:
		return true, true
	case ScopeChildren:
		return rel != "", true
	}
	depth := 0
	if rel != "" {
		depth = 1
		for i := 0; i < len(rel); i++ {
			switch rel[i] {
			case '\\':
				i++
			case ',', ';':
				depth++
			}
		}
	}
	if scope == ScopeOne {
		return depth == 1, true
	}
	return depth == 0, true // ScopeBase
}

// done appends the SearchResultDone and sends what remains.
func (r *searchRun) done(res result, ctl []respControl) {
	if r.o.abandoned.Load() {
		return
	}
	msg, body := r.enc.message(r.o.id, opSearchDone)
	r.enc.ldapResult(res)
	r.enc.close(msg, body, ctl...)
	r.o.c.send(r.enc.b)
}

// special answers a search of the rootDSE or the subschema entry (nil: none).
func (r *searchRun) special(e *Entry, pg *pagingRequest) {
	r.enc = getEncoder()
	defer func() { putEncoder(r.enc) }()
	r.filter = &r.req.Filter.matcher(r.o.c.srv.dir.Schema()).root
	if e != nil && r.filter.eval(e, &r.sc) == triTrue {
		r.writeEntry(e)
	}
	var ctl []respControl
	if pg != nil {
		ctl = append(ctl, pagingControl(nil))
	}
	r.done(result{}, ctl)
}
