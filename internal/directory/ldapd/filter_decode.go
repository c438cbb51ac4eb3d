// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

// decodeFilter decodes one BER Filter off b (RFC 4511 §4.5.1).
func decodeFilter(b []byte, depth int, budget *int) (*Filter, []byte, error) {
	if depth > maxFilterDepth {
		return nil, nil, errMalformed
	}
	if *budget--; *budget < 0 {
		return nil, nil, errFilterSize
	}
	tag, c, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	f := &Filter{}
	switch tag {
	case 0xa0, 0xa1: // and, or
		f.Kind = FilterAnd
		if tag == 0xa1 {
			f.Kind = FilterOr
		}
		for len(c) > 0 {
			var child *Filter
			if child, c, err = decodeFilter(c, depth+1, budget); err != nil {
				return nil, nil, err
			}
			f.Children = append(f.Children, child)
		}
	case 0xa2: // not
		f.Kind = FilterNot
		child, tail, err := decodeFilter(c, depth+1, budget)
		if err != nil {
			return nil, nil, err
		}
		if len(tail) != 0 {
			return nil, nil, errMalformed
		}
		f.Children = []*Filter{child}
	case 0xa3, 0xa5, 0xa6, 0xa8: // equality, >=, <=, approx
		f.Kind = avaKinds[tag-0xa3]
		err = decodeAVA(c, &f.Attr, &f.Value)
	case 0x87: // present
		f.Kind, f.Attr = FilterPresent, string(c)
		if !validAttrDesc(f.Attr) {
			err = errFilterAttr
		}
	case 0xa4:
		err = decodeSubstrings(c, f)
	case 0xa9:
		err = decodeExtensible(c, f)
	default:
		err = errMalformed
	}
	if err != nil {
		return nil, nil, err
	}
	return f, rest, nil
}

// errFilterSize answers a filter of more than maxFilterNodes nodes.
var errFilterSize = &protoError{"the filter is too complex: at most " + itoa(maxFilterNodes) + " terms"}

// errFilterAttr answers a filter naming an invalid attribute description or
// matching rule with protocolError, without ending the session.
var errFilterAttr = &protoError{"invalid attribute description or matching rule in the filter"}

// avaKinds maps the context tags [3], [5], [6] and [8] (less 0xa3) to kinds.
var avaKinds = [...]FilterKind{0: FilterEquality, 2: FilterGreaterOrEqual, 3: FilterLessOrEqual,
	5: FilterApprox}

// decodeAVA decodes an AttributeValueAssertion.
func decodeAVA(b []byte, attr, value *string) error {
	var err error
	if *attr, b, err = readString(b, tagOctetString); err != nil {
		return err
	}
	if *value, b, err = readString(b, tagOctetString); err != nil {
		return err
	}
	if len(b) != 0 {
		return errMalformed
	}
	if !validAttrDesc(*attr) {
		return errFilterAttr
	}
	return nil
}

// decodeSubstrings decodes a SubstringFilter. Empty parts are dropped and a
// substrings filter with no part left becomes a presence filter.
func decodeSubstrings(b []byte, f *Filter) error {
	f.Kind = FilterSubstrings
	attr, b, err := readString(b, tagOctetString)
	if err != nil {
		return err
	}
	f.Attr = attr
	seq, tail, err := expect(b, tagSequence)
	if err != nil || len(tail) != 0 || len(seq) == 0 {
		return errMalformed
	}
	if !validAttrDesc(attr) {
		return errFilterAttr
	}
	sawFinal, first := false, true
	for len(seq) > 0 {
		tag, v, r, err := readTLV(seq)
		if err != nil || sawFinal {
			return errMalformed
		}
		seq = r
		switch tag {
		case 0x80:
			if !first {
				return errMalformed
			}
			f.Initial = string(v)
		case 0x81:
			if len(v) > 0 {
				f.Any = append(f.Any, string(v))
			}
		case 0x82:
			f.Final, sawFinal = string(v), true
		default:
			return errMalformed
		}
		first = false
	}
	if f.Initial == "" && f.Final == "" && len(f.Any) == 0 {
		f.Kind = FilterPresent
	}
	return nil
}

// decodeExtensible decodes a MatchingRuleAssertion.
func decodeExtensible(b []byte, f *Filter) error {
	f.Kind = FilterExtensible
	var err error
	if peekTag(b) == 0x81 {
		if f.Rule, b, err = readString(b, 0x81); err != nil {
			return err
		}
		if !validRule(f.Rule) {
			return errFilterAttr
		}
	}
	if peekTag(b) == 0x82 {
		if f.Attr, b, err = readString(b, 0x82); err != nil {
			return err
		}
		if !validAttrDesc(f.Attr) {
			return errFilterAttr
		}
	}
	if f.Value, b, err = readString(b, 0x83); err != nil {
		return err
	}
	if peekTag(b) == 0x84 {
		if f.DNAttributes, b, err = readBool(b, 0x84); err != nil {
			return err
		}
	}
	if len(b) != 0 || f.Rule == "" && f.Attr == "" {
		return errMalformed
	}
	return nil
}
