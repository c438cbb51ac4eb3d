// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import "strings"

// attrDesc is what the server reads from an RFC 4512 AttributeTypeDescription.
type attrDesc struct {
	oid, sup, equality, syntaxOID, usage string
	names                                []string
}

// parseAttrDesc reads "( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name … )".
// Unknown keywords are skipped; ok is false when there is no OID.
func parseAttrDesc(s string) (d attrDesc, ok bool) {
	toks := tokenizeDesc(s)
	if len(toks) < 2 || toks[0] != "(" || toks[1] == ")" {
		return d, false
	}
	d.oid = toks[1]
	for i := 2; i < len(toks); i++ {
		next := func() string {
			if i+1 < len(toks) {
				i++
				return toks[i]
			}
			return ""
		}
		switch strings.ToUpper(toks[i]) {
		case "NAME":
			d.names = qdescrs(toks, &i)
		case "SUP":
			d.sup = next()
		case "EQUALITY":
			d.equality = next()
		case "SYNTAX":
			d.syntaxOID, _, _ = strings.Cut(next(), "{")
		case "USAGE":
			d.usage = next()
		}
	}
	return d, d.oid != "" && d.oid != "("
}

// qdescrs reads a NAME value: one quoted name or a parenthesised list.
func qdescrs(toks []string, i *int) []string {
	if *i+1 >= len(toks) {
		return nil
	}
	*i++
	if toks[*i] != "(" {
		return []string{strings.Trim(toks[*i], "'")}
	}
	var names []string
	for *i+1 < len(toks) {
		*i++
		if toks[*i] == ")" {
			break
		}
		names = append(names, strings.Trim(toks[*i], "'"))
	}
	return names
}

// tokenizeDesc splits a description into "(", ")", quoted strings (quotes
// kept) and bare words.
func tokenizeDesc(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return append(toks, s[i:])
			}
			toks = append(toks, s[i:i+j+2])
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

// syntax derives the matching syntax from EQUALITY, else SYNTAX.
func (d attrDesc) syntax() (AttrSyntax, bool) {
	if syn, ok := ruleSyntax(d.equality); ok {
		return syn, true
	}
	syn, ok := syntaxOIDs[d.syntaxOID]
	return syn, ok
}

// ruleSyntax maps an equality matching rule (name or OID) to a syntax.
func ruleSyntax(rule string) (AttrSyntax, bool) {
	if rule == "" {
		return 0, false
	}
	syn, ok := equalityRules[strings.ToLower(rule)]
	return syn, ok
}

// equalityRules are the equality matching rules the server implements,
// by lower-case name and by OID.
var equalityRules = map[string]AttrSyntax{
	"caseignorematch": CaseIgnore, "2.5.13.2": CaseIgnore,
	"caseignoreia5match": CaseIgnore, "1.3.6.1.4.1.1466.109.114.2": CaseIgnore,
	"caseignorelistmatch": CaseIgnore, "2.5.13.11": CaseIgnore,
	"objectidentifiermatch": CaseIgnore, "2.5.13.0": CaseIgnore,
	"numericstringmatch": CaseIgnore, "2.5.13.8": CaseIgnore,
	"telephonenumbermatch": CaseIgnore, "2.5.13.20": CaseIgnore,
	"uuidmatch": CaseIgnore, "1.3.6.1.1.16.2": CaseIgnore,
	"caseexactmatch": CaseExact, "2.5.13.5": CaseExact,
	"caseexactia5match": CaseExact, "1.3.6.1.4.1.1466.109.114.1": CaseExact,
	"integermatch": Integer, "2.5.13.14": Integer,
	"distinguishednamematch": DN, "2.5.13.1": DN,
	"uniquemembermatch": DN, "2.5.13.23": DN,
	"octetstringmatch": OctetString, "2.5.13.17": OctetString,
	"booleanmatch": Boolean, "2.5.13.13": Boolean,
	"generalizedtimematch": GeneralizedTime, "2.5.13.27": GeneralizedTime,
}

// syntaxOIDs maps LDAP syntax OIDs (RFC 4517) to matching syntaxes.
var syntaxOIDs = map[string]AttrSyntax{
	"1.3.6.1.4.1.1466.115.121.1.15": CaseIgnore, // Directory String
	"1.3.6.1.4.1.1466.115.121.1.26": CaseIgnore, // IA5 String
	"1.3.6.1.4.1.1466.115.121.1.38": CaseIgnore, // OID
	"1.3.6.1.4.1.1466.115.121.1.36": CaseIgnore, // Numeric String
	"1.3.6.1.4.1.1466.115.121.1.50": CaseIgnore, // Telephone Number
	"1.3.6.1.4.1.1466.115.121.1.44": CaseIgnore, // Printable String
	"1.3.6.1.4.1.1466.115.121.1.27": Integer,
	"1.3.6.1.4.1.1466.115.121.1.12": DN,
	"1.3.6.1.4.1.1466.115.121.1.34": DN, // Name and Optional UID
	"1.3.6.1.4.1.1466.115.121.1.40": OctetString,
	"1.3.6.1.4.1.1466.115.121.1.5":  OctetString, // Binary
	"1.3.6.1.4.1.1466.115.121.1.28": OctetString, // JPEG
	"1.3.6.1.4.1.1466.115.121.1.7":  Boolean,
	"1.3.6.1.4.1.1466.115.121.1.24": GeneralizedTime,
}

// builtinAttr is an attribute the server knows without a schema.
type builtinAttr struct {
	names       []string
	syntax      AttrSyntax
	operational bool
}

// builtinAttrs are the attributes of RFC 4512/4519/2798/2307 that matter for
// matching, and the operational attributes the server may serve.
var builtinAttrs = []builtinAttr{
	{[]string{"objectClass", "2.5.4.0"}, CaseIgnore, false},
	{[]string{"cn", "commonName", "2.5.4.3"}, CaseIgnore, false},
	{[]string{"sn", "surname", "2.5.4.4"}, CaseIgnore, false},
	{[]string{"givenName", "gn", "2.5.4.42"}, CaseIgnore, false},
	{[]string{"uid", "userid", "0.9.2342.19200300.100.1.1"}, CaseIgnore, false},
	{[]string{"mail", "rfc822Mailbox", "0.9.2342.19200300.100.1.3"}, CaseIgnore, false},
	{[]string{"o", "organizationName", "2.5.4.10"}, CaseIgnore, false},
	{[]string{"ou", "organizationalUnitName", "2.5.4.11"}, CaseIgnore, false},
	{[]string{"dc", "domainComponent", "0.9.2342.19200300.100.1.25"}, CaseIgnore, false},
	{[]string{"member", "2.5.4.31"}, DN, false},
	{[]string{"uniqueMember", "2.5.4.50"}, DN, false},
	{[]string{"owner", "2.5.4.32"}, DN, false},
	{[]string{"seeAlso", "2.5.4.34"}, DN, false},
	{[]string{"manager", "0.9.2342.19200300.100.1.10"}, DN, false},
	{[]string{"uidNumber", "1.3.6.1.1.1.1.0"}, Integer, false},
	{[]string{"gidNumber", "1.3.6.1.1.1.1.1"}, Integer, false},
	{[]string{"memberUid", "1.3.6.1.1.1.1.12"}, CaseExact, false},
	{[]string{"homeDirectory", "1.3.6.1.1.1.1.3"}, CaseExact, false},
	{[]string{"loginShell", "1.3.6.1.1.1.1.4"}, CaseExact, false},
	{[]string{"userPassword", "2.5.4.35"}, OctetString, false},
	{[]string{"jpegPhoto", "0.9.2342.19200300.100.1.60"}, OctetString, false},
	{[]string{"entryDN", "1.3.6.1.1.20"}, DN, true},
	{[]string{"entryUUID", "1.3.6.1.1.16.4"}, CaseIgnore, true},
	{[]string{"memberOf", "1.2.840.113556.1.2.102"}, DN, true},
	{[]string{"createTimestamp", "2.5.18.1"}, GeneralizedTime, true},
	{[]string{"modifyTimestamp", "2.5.18.2"}, GeneralizedTime, true},
	{[]string{"creatorsName", "2.5.18.3"}, DN, true},
	{[]string{"modifiersName", "2.5.18.4"}, DN, true},
	{[]string{"subschemaSubentry", "2.5.18.10"}, DN, true},
	{[]string{"hasSubordinates", "2.5.18.9"}, Boolean, true},
	{[]string{"structuralObjectClass", "2.5.21.9"}, CaseIgnore, true},
	{[]string{"pwdChangedTime", "1.3.6.1.4.1.42.2.27.8.1.16"}, GeneralizedTime, true},
	{[]string{"pwdAccountLockedTime", "1.3.6.1.4.1.42.2.27.8.1.17"}, GeneralizedTime, true},
	{[]string{"pwdReset", "1.3.6.1.4.1.42.2.27.8.1.22"}, Boolean, true},
	{[]string{"pwdPolicySubentry", "1.3.6.1.4.1.42.2.27.8.1.23"}, DN, true},
	{[]string{"objectClasses", "2.5.21.6"}, CaseIgnore, true},
	{[]string{"attributeTypes", "2.5.21.5"}, CaseIgnore, true},
	{[]string{"matchingRules", "2.5.21.4"}, CaseIgnore, true},
	{[]string{"ldapSyntaxes", "1.3.6.1.4.1.1466.101.120.16"}, CaseIgnore, true},
	{[]string{"namingContexts", "1.3.6.1.4.1.1466.101.120.5"}, DN, true},
	{[]string{"supportedLDAPVersion", "1.3.6.1.4.1.1466.101.120.15"}, Integer, true},
	{[]string{"supportedControl", "1.3.6.1.4.1.1466.101.120.13"}, CaseIgnore, true},
	{[]string{"supportedExtension", "1.3.6.1.4.1.1466.101.120.7"}, CaseIgnore, true},
	{[]string{"supportedFeatures", "1.3.6.1.4.1.4203.1.3.5"}, CaseIgnore, true},
	{[]string{"supportedSASLMechanisms", "1.3.6.1.4.1.1466.101.120.14"}, CaseIgnore, true},
	{[]string{"vendorName", "1.3.6.1.1.4"}, CaseExact, true},
	{[]string{"vendorVersion", "1.3.6.1.1.5"}, CaseExact, true},
}
