// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import "strings"

// subschemaDN is the DN of the subschema entry.
const subschemaDN = "cn=Subschema"

// Features advertised in the rootDSE.
const (
	featureAllOperational = "1.3.6.1.4.1.4203.1.5.1" // "+" (RFC 3673)
	featureAbsoluteFilter = "1.3.6.1.4.1.4203.1.5.3" // (&) and (|) (RFC 4526)
)

// isSpecial reports whether e is the rootDSE, which has no entryDN.
func (e *Entry) isSpecial() bool { return e.DN == "" }

// buildRootDSE returns the rootDSE (RFC 4512 §5.1). Its attributes but
// objectClass are operational: they are returned by name or with "+".
func (s *Server) buildRootDSE() *Entry {
	ext := []string{oidWhoAmI, oidPasswordModify}
	if s.cfg.TLSConfig != nil {
		ext = append([]string{oidStartTLS}, ext...)
	}
	e := &Entry{DN: "", Attrs: []Attr{
		{Name: "objectClass", Values: []string{"top"}},
		{Name: "supportedLDAPVersion", Values: []string{"3"}},
		{Name: "supportedControl", Values: []string{oidPaging, oidPPolicy, oidManageDsaIT}},
		{Name: "supportedExtension", Values: ext},
		{Name: "supportedFeatures", Values: []string{featureAllOperational, featureAbsoluteFilter}},
		{Name: "subschemaSubentry", Values: []string{subschemaDN}},
	}}
	if s.cfg.BaseDN != "" {
		e.Attrs = append(e.Attrs, Attr{Name: "namingContexts", Values: []string{s.cfg.BaseDN}})
	}
	name, version, _ := strings.Cut(s.cfg.Vendor, "/")
	e.Attrs = append(e.Attrs, Attr{Name: "vendorName", Values: []string{name}})
	if version != "" {
		e.Attrs = append(e.Attrs, Attr{Name: "vendorVersion", Values: []string{version}})
	}
	return e
}

// subschemaEntry returns the subschema entry for schema, built once per
// schema pointer. objectClasses and attributeTypes are operational.
func (s *Server) subschemaEntry(schema *Schema) *Entry {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	if s.subEntry != nil && s.subSchema == schema {
		return s.subEntry
	}
	e := &Entry{DN: subschemaDN, Attrs: []Attr{
		{Name: "objectClass", Values: []string{"top", "subentry", "subschema", "extensibleObject"}},
		{Name: "cn", Values: []string{"Subschema"}},
		{Name: "structuralObjectClass", Values: []string{"subentry"}},
		{Name: "entryDN", Values: []string{subschemaDN}},
		{Name: "subschemaSubentry", Values: []string{subschemaDN}},
	}}
	if schema != nil {
		if len(schema.ObjectClasses) > 0 {
			e.Attrs = append(e.Attrs, Attr{Name: "objectClasses", Values: schema.ObjectClasses})
		}
		if len(schema.AttributeTypes) > 0 {
			e.Attrs = append(e.Attrs, Attr{Name: "attributeTypes", Values: schema.AttributeTypes})
		}
	}
	s.subSchema, s.subEntry = schema, e
	return e
}
