// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"errors"
	"math"
	"time"
)

// message is a decoded LDAPMessage envelope. body aliases the read buffer:
// decoders copy what they keep.
type message struct {
	id       int32
	tag      byte
	body     []byte
	controls []Control
}

// protoError is a request that is well-formed BER but makes no sense (an
// unknown scope, a bind without version 3…): the operation is answered with
// protocolError and the session goes on.
type protoError struct{ msg string }

// Error implements error.
func (e *protoError) Error() string { return e.msg }

// decodeMessage decodes the contents of an LDAPMessage SEQUENCE.
func decodeMessage(b []byte) (message, error) {
	var m message
	id, b, err := readInt(b, tagInteger)
	if err != nil || id <= 0 || id > math.MaxInt32 {
		return m, errMalformed
	}
	m.id = int32(id)
	if m.tag, m.body, b, err = readTLV(b); err != nil {
		return m, err
	}
	if len(b) > 0 {
		cs, rest, err := expect(b, classContext|constructed|0)
		if err != nil || len(rest) != 0 {
			return m, errMalformed
		}
		if m.controls, err = decodeControls(cs); err != nil {
			return m, err
		}
	}
	return m, nil
}

// decodeControls decodes a Controls SEQUENCE OF Control.
func decodeControls(b []byte) ([]Control, error) {
	var out []Control
	for len(b) > 0 {
		c, rest, err := expect(b, tagSequence)
		if err != nil {
			return nil, err
		}
		b = rest
		var ctl Control
		if ctl.OID, c, err = readString(c, tagOctetString); err != nil {
			return nil, err
		}
		if peekTag(c) == tagBoolean {
			if ctl.Critical, c, err = readBool(c, tagBoolean); err != nil {
				return nil, err
			}
		}
		if peekTag(c) == tagOctetString {
			v, r, err := expect(c, tagOctetString)
			if err != nil {
				return nil, err
			}
			ctl.Value, c = append([]byte{}, v...), r
		}
		if len(c) != 0 {
			return nil, errMalformed
		}
		out = append(out, ctl)
	}
	return out, nil
}

// bindRequest is a decoded BindRequest.
type bindRequest struct {
	version  int64
	name     string
	sasl     bool
	mech     string
	password string
}

func decodeBind(b []byte) (r bindRequest, err error) {
	if r.version, b, err = readInt(b, tagInteger); err != nil {
		return r, err
	}
	if r.name, b, err = readString(b, tagOctetString); err != nil {
		return r, err
	}
	tag, c, rest, err := readTLV(b)
	if err != nil || len(rest) != 0 {
		return r, errMalformed
	}
	switch tag {
	case classContext | 0:
		r.password = string(c)
	case classContext | constructed | 3:
		r.sasl = true
		r.mech, _, err = readString(c, tagOctetString)
	default:
		err = &protoError{"unknown authentication choice"}
	}
	return r, err
}

// decodeSearch decodes a SearchRequest.
func decodeSearch(b []byte) (*SearchRequest, error) {
	r := &SearchRequest{}
	var err error
	var scope, deref, size, limit int64
	if r.BaseDN, b, err = readString(b, tagOctetString); err != nil {
		return nil, err
	}
	if scope, b, err = readInt(b, tagEnumerated); err != nil {
		return nil, err
	}
	if deref, b, err = readInt(b, tagEnumerated); err != nil {
		return nil, err
	}
	if size, b, err = readInt(b, tagInteger); err != nil {
		return nil, err
	}
	if limit, b, err = readInt(b, tagInteger); err != nil {
		return nil, err
	}
	if r.TypesOnly, b, err = readBool(b, tagBoolean); err != nil {
		return nil, err
	}
	budget := maxFilterNodes
	if r.Filter, b, err = decodeFilter(b, 0, &budget); err != nil {
		return nil, err
	}
	attrs, rest, err := expect(b, tagSequence)
	if err != nil || len(rest) != 0 {
		return nil, errMalformed
	}
	if n := countTLVs(attrs); n > 0 {
		r.Attributes = make([]string, 0, n)
	}
	for len(attrs) > 0 {
		var a string
		if a, attrs, err = readString(attrs, tagOctetString); err != nil {
			return nil, err
		}
		r.Attributes = append(r.Attributes, a)
	}
	switch {
	case scope < 0 || scope > 3:
		return nil, &protoError{"unknown search scope"}
	case deref < 0 || deref > 3:
		return nil, &protoError{"unknown derefAliases value"}
	case size < 0 || limit < 0 || size > math.MaxInt32 || limit > math.MaxInt32:
		return nil, &protoError{"negative size or time limit"}
	}
	r.Scope, r.DerefAliases, r.SizeLimit = Scope(scope), int(deref), int(size)
	r.TimeLimit = time.Duration(limit) * time.Second
	return r, nil
}

// decodeAttribute decodes a PartialAttribute SEQUENCE { type, SET OF value }.
func decodeAttribute(b []byte) (Attr, []byte, error) {
	var a Attr
	seq, rest, err := expect(b, tagSequence)
	if err != nil {
		return a, nil, err
	}
	if a.Name, seq, err = readString(seq, tagOctetString); err != nil {
		return a, nil, err
	}
	vals, tail, err := expect(seq, tagSet)
	if err != nil || len(tail) != 0 {
		return a, nil, errMalformed
	}
	for len(vals) > 0 {
		var v string
		if v, vals, err = readString(vals, tagOctetString); err != nil {
			return a, nil, err
		}
		a.Values = append(a.Values, v)
	}
	if !validAttrDesc(a.Name) {
		return a, nil, &protoError{"invalid attribute description " + quote(a.Name)}
	}
	return a, rest, nil
}

// decodeAdd decodes an AddRequest into an entry.
func decodeAdd(b []byte) (*Entry, error) {
	e := &Entry{}
	var err error
	if e.DN, b, err = readString(b, tagOctetString); err != nil {
		return nil, err
	}
	list, rest, err := expect(b, tagSequence)
	if err != nil || len(rest) != 0 {
		return nil, errMalformed
	}
	for len(list) > 0 {
		var a Attr
		if a, list, err = decodeAttribute(list); err != nil {
			return nil, err
		}
		if len(a.Values) == 0 {
			return nil, &protoError{"attribute " + quote(a.Name) + " has no value"}
		}
		e.Attrs = append(e.Attrs, a)
	}
	return e, nil
}

// modifyRequest is a decoded ModifyRequest.
type modifyRequest struct {
	dn      string
	changes []Change
}

func decodeModify(b []byte) (r modifyRequest, err error) {
	if r.dn, b, err = readString(b, tagOctetString); err != nil {
		return r, err
	}
	list, rest, err := expect(b, tagSequence)
	if err != nil || len(rest) != 0 {
		return r, errMalformed
	}
	for len(list) > 0 {
		var seq []byte
		if seq, list, err = expect(list, tagSequence); err != nil {
			return r, err
		}
		var ch Change
		var op int64
		if op, seq, err = readInt(seq, tagEnumerated); err != nil {
			return r, err
		}
		if ch.Attr, seq, err = decodeAttribute(seq); err != nil {
			return r, err
		}
		if len(seq) != 0 {
			return r, errMalformed
		}
		if op < ModAdd || op > ModIncrement {
			return r, &protoError{"unknown modification operation"}
		}
		ch.Op = int(op)
		r.changes = append(r.changes, ch)
	}
	return r, nil
}

// modDNRequest is a decoded ModifyDNRequest.
type modDNRequest struct {
	dn, newRDN, newSuperior string
	deleteOld               bool
}

func decodeModDN(b []byte) (r modDNRequest, err error) {
	if r.dn, b, err = readString(b, tagOctetString); err != nil {
		return r, err
	}
	if r.newRDN, b, err = readString(b, tagOctetString); err != nil {
		return r, err
	}
	if r.deleteOld, b, err = readBool(b, tagBoolean); err != nil {
		return r, err
	}
	if len(b) > 0 {
		if r.newSuperior, b, err = readString(b, classContext|0); err != nil {
			return r, err
		}
	}
	if len(b) != 0 {
		return r, errMalformed
	}
	return r, nil
}

// compareRequest is a decoded CompareRequest.
type compareRequest struct{ dn, attr, value string }

func decodeCompare(b []byte) (r compareRequest, err error) {
	if r.dn, b, err = readString(b, tagOctetString); err != nil {
		return r, err
	}
	ava, rest, err := expect(b, tagSequence)
	if err != nil || len(rest) != 0 {
		return r, errMalformed
	}
	if err = decodeAVA(ava, &r.attr, &r.value); err == errFilterAttr {
		err = &protoError{"invalid attribute description " + quote(r.attr)}
	}
	return r, err
}

// extendedRequest is a decoded ExtendedRequest.
type extendedRequest struct {
	oid   string
	value []byte // nil when absent
}

func decodeExtended(b []byte) (r extendedRequest, err error) {
	if r.oid, b, err = readString(b, classContext|0); err != nil {
		return r, err
	}
	if len(b) > 0 {
		v, rest, err := expect(b, classContext|1)
		if err != nil || len(rest) != 0 {
			return r, errMalformed
		}
		r.value = append([]byte{}, v...)
	}
	return r, nil
}

// isProtoError reports whether err asks for a protocolError result rather
// than a disconnection.
func isProtoError(err error) (*protoError, bool) {
	var pe *protoError
	ok := errors.As(err, &pe)
	return pe, ok
}

// countTLVs counts the elements of a SEQUENCE's contents (to size slices).
func countTLVs(b []byte) int {
	n := 0
	for len(b) > 0 {
		_, _, rest, err := readTLV(b)
		if err != nil {
			break
		}
		b, n = rest, n+1
	}
	return n
}
