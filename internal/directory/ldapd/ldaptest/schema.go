// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldaptest

import (
	"fmt"
	"sync"

	"github.com/preau/preau/internal/directory/ldapd"
)

var (
	schemaOnce sync.Once
	schema     *ldapd.Schema
)

// StandardSchema returns a small schema with the usual attributes of
// RFC 4519, 2798 and 2307, memberOf (operational) and two SDET attributes.
// It returns the same pointer on every call.
func StandardSchema() *ldapd.Schema {
	schemaOnce.Do(func() {
		schema = &ldapd.Schema{
			ObjectClasses: []string{
				"( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
				"( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( userPassword $ description ) )",
				"( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL MAY ( title $ ou ) )",
				"( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL " +
					"MAY ( displayName $ givenName $ mail $ uid $ employeeNumber ) )",
				"( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY " +
					"MUST ( cn $ uid $ uidNumber $ gidNumber $ homeDirectory ) MAY ( loginShell ) )",
				"( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST ( member $ cn ) MAY ( description $ ou ) )",
				"( 2.5.6.5 NAME 'organizationalUnit' SUP top STRUCTURAL MUST ou MAY description )",
				"( 0.9.2342.19200300.100.4.13 NAME 'domain' SUP top STRUCTURAL MUST dc MAY ( o $ description ) )",
			},
			AttributeTypes: []string{
				attr("2.5.4.0", "objectClass", "objectIdentifierMatch", "38", ""),
				"( 2.5.4.41 NAME 'name' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch " +
					"SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{32768} )",
				"( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )",
				"( 2.5.4.4 NAME ( 'sn' 'surname' ) SUP name )",
				"( 2.5.4.42 NAME ( 'givenName' 'gn' ) SUP name )",
				"( 2.5.4.12 NAME 'title' SUP name )",
				"( 2.5.4.11 NAME ( 'ou' 'organizationalUnitName' ) SUP name )",
				"( 2.5.4.10 NAME ( 'o' 'organizationName' ) SUP name )",
				attr("2.5.4.13", "description", "caseIgnoreMatch", "15", ""),
				attr("2.16.840.1.113730.3.1.241", "displayName", "caseIgnoreMatch", "15", ""),
				attr("0.9.2342.19200300.100.1.1", "uid", "caseIgnoreMatch", "15", ""),
				attr("0.9.2342.19200300.100.1.3", "mail", "caseIgnoreIA5Match", "26", ""),
				attr("0.9.2342.19200300.100.1.25", "dc", "caseIgnoreIA5Match", "26", ""),
				attr("2.16.840.1.113730.3.1.3", "employeeNumber", "caseExactMatch", "15", ""),
				attr("2.5.4.35", "userPassword", "octetStringMatch", "40", ""),
				attr("2.5.4.31", "member", "distinguishedNameMatch", "12", ""),
				attr("1.3.6.1.1.1.1.0", "uidNumber", "integerMatch", "27", ""),
				attr("1.3.6.1.1.1.1.1", "gidNumber", "integerMatch", "27", ""),
				attr("1.3.6.1.1.1.1.3", "homeDirectory", "caseExactIA5Match", "26", ""),
				attr("1.3.6.1.1.1.1.4", "loginShell", "caseExactIA5Match", "26", ""),
				attr("1.2.840.113556.1.2.102", "memberOf", "distinguishedNameMatch", "12", "directoryOperation"),
				attr("2.5.18.1", "createTimestamp", "generalizedTimeMatch", "24", "directoryOperation"),
				attr("2.5.18.2", "modifyTimestamp", "generalizedTimeMatch", "24", "directoryOperation"),
				attr("1.3.6.1.1.16.4", "entryUUID", "uuidMatch", "1.3.6.1.1.16.1", "directoryOperation"),
				attr("2.5.18.9", "hasSubordinates", "booleanMatch", "7", "directoryOperation"),
				attr("1.3.6.1.4.1.7135.1.2.1.14", "ENTPersonProfils", "caseIgnoreMatch", "15", ""),
				attr("1.3.6.1.4.1.7135.1.2.1.73", "ENTPersonLogin", "caseIgnoreMatch", "15", ""),
			},
		}
	})
	return schema
}

// attr builds an attribute type description. A short syntax is a suffix of
// 1.3.6.1.4.1.1466.115.121.1.
func attr(oid, name, equality, syntax, usage string) string {
	if len(syntax) <= 2 {
		syntax = "1.3.6.1.4.1.1466.115.121.1." + syntax
	}
	s := fmt.Sprintf("( %s NAME '%s' EQUALITY %s SYNTAX %s", oid, name, equality, syntax)
	if usage != "" {
		s += " NO-USER-MODIFICATION USAGE " + usage
	}
	return s + " )"
}
