// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package ldapd is the LDAPv3 server of the directory (RFC 4511, CARINE
// INF-ANN-2): bind, search, compare, add, modify, delete, modify DN,
// abandon, and the StartTLS, WhoAmI and Password Modify extended
// operations, over a Directory that the directory service implements. It
// owns the wire protocol, filters and their matching rules, DNs, limits,
// paged results, attribute selection and access before bind; the Directory
// owns data, rights and journaling.
//
// Only internal/app imports it to serve it; the directory adapter imports
// it for its types. Tests use the in-memory directory of ldapd/ldaptest.
//
// # Access
//
// Before a bind, a client may read the rootDSE and the subschema entry,
// bind, start TLS, ask WhoAmI and unbind; anything else is refused with
// insufficientAccessRights (50), unless Config.AllowAnonymous lets it search
// and compare. A simple bind in clear text from a non-loopback address is
// refused with confidentialityRequired (13) (INF-ANN-5). After a bind whose
// BindResult says MustChange, the connection may only change its own
// password (Password Modify), which lifts the restriction.
//
// # Identity
//
// Every Directory call receives, in its ctx, the core.Principal of the
// connection (core.PrincipalFromContext): the one Bind returned, or the
// anonymous principal, always with Channel core.ChannelLDAP and Source the
// client IP address.
//
// # Errors
//
// Directory errors are core.Error kinds, mapped to LDAP result codes in one
// place (ResultFor in result.go). WithCode and WithMatchedDN let a Directory
// pick the code (noSuchAttribute, notAllowedOnNonLeaf…) or the matchedDN.
//
// # Performance
//
// The wire codec is hand-written over byte slices rather than asn1-ber's
// packet trees: requests decode without intermediate trees and responses
// are appended to pooled buffers and written in batches, so a search
// allocates a constant number of objects whatever the number of entries it
// returns. An operation runs on its connection's reader goroutine when no
// further request waits (one goroutine wake-up per request), handing
// reading over to a new goroutine if it lasts more than 2 ms (inline.go);
// pipelined requests run on pooled worker goroutines. Operation contexts
// arm no timer until something waits on Done (opctx.go). The Directory should
// narrow candidates with Filter.EqualityTerms (keying its indexes with
// Schema.NormalizeValue) and may reuse the *Entry it passes to emit.
package ldapd
