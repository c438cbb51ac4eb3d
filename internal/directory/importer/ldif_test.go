// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/importer"
)

const sampleLDIF = `version: 1
# an export of another directory

dn: uid=zoe.martin,ou=people,ou=0999001W,dc=ent
objectClass: inetOrgPerson
objectClass: ENTPerson
objectClass: ENTEleve
uid: zoe.martin
givenName:: Wm/DqQ==
sn: Martin
ENTPersonProfils: National_ELV
ENTPersonStructRattach: ou=0999001W,dc=ent
ENTEleveClasses: ou=0999001W,dc=ent$4B
ENTEleveINE: 070123456AB
ENTPersonDateNaissance: 14/05/2012
homePhone: 0601020304
userPassword: {SSHA}abcdefgh

dn: uid=paul.durand,ou=people,ou=0999001W,dc=ent
objectClass: inetOrgPerson
uid: paul.durand
givenName: Paul
sn: Du
 rand
ENTPersonProfils: National_ENS
ENTPersonStructRattach: ou=0999001W,dc=ent
ENTAuxEnsClasses: ou=0999001W,dc=ent$4B

dn: cn=4B,ou=groups,ou=0999001W,dc=ent
objectClass: groupOfNames
cn: 4B
member: uid=zoe.martin,ou=people,ou=0999001W,dc=ent
`

// CARINE: INF-ANN-3 (LDIF from another directory), INF-ANN-8 (birth date,
// phone and password hashes dropped, only counted).
func TestParseLDIF(t *testing.T) {
	b, err := importer.Parse(strings.NewReader(sampleLDIF), "export.ldif")
	if err != nil {
		t.Fatal(err)
	}
	if b.Source != importer.SourceLDIF || b.UAI != "0999001W" || len(b.People) != 2 {
		t.Fatalf("batch: %+v", b)
	}
	zoe, paul := b.People[0], b.People[1]
	if zoe.GivenName != "Zoé" || zoe.Profile != core.ProfilePupil || zoe.Class != "4B" || zoe.ExternalIDs["ine"] != "070123456AB" ||
		zoe.Key.Value != "zoe.martin" {
		t.Fatalf("pupil: %+v", zoe)
	}
	if paul.FamilyName != "Durand" || paul.Profile != core.ProfileTeacher || len(paul.Teaches) != 1 || paul.Teaches[0].Group != "4B" {
		t.Fatalf("teacher (folded sn): %+v", paul)
	}
	dump := fmt.Sprintf("%+v", b)
	for _, secret := range []string{"14/05/2012", "0601020304", "SSHA"} {
		if strings.Contains(dump, secret) {
			t.Fatalf("%s kept", secret)
		}
	}
	if b.Dropped["entpersondatenaissance"] != 1 || b.Dropped["homephone"] != 1 || b.Dropped["userpassword"] != 1 {
		t.Fatalf("dropped: %v", b.Dropped)
	}
}

func TestParseLDIFErrors(t *testing.T) {
	person := "dn: uid=a,ou=people,ou=0999001W,dc=x\nobjectClass: person\nuid: a\nsn: A\nENTPersonStructRattach: ou=0999001W,dc=x\n"
	cases := []struct{ name, ldif, want string }{
		{"no dn", "uid: a\nsn: b\n", "must start with dn"},
		{"bad base64", "dn: uid=a\nsn:: !!!\n", "invalid base64"},
		{"url", "dn: uid=a\njpegPhoto:< file:///etc/passwd\n", "URL"},
		{"modify", "dn: uid=a\nchangetype: modify\n", "changetype modify"},
		{"no establishment", "dn: uid=a\nobjectClass: person\nuid: a\nsn: A\n", "ou=<UAI>"},
		{"two establishments", person + "\n" + strings.ReplaceAll(strings.ReplaceAll(person, "0999001W", "0750001U"), "uid=a", "uid=b"), "two establishments"},
		{"duplicate", person + "\n" + person, "two entries"},
		{"continuation first", " folded\n", "continuation"},
		{"no person", "dn: cn=g\nobjectClass: groupOfNames\n", "no person entry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importer.ParseLDIF(strings.NewReader(tc.ldif), "x.ldif")
			if err == nil || !strings.Contains(err.Error(), tc.want) || core.KindOf(err) != core.Invalid {
				t.Fatalf("got %v, want an Invalid error containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseLDIF(f *testing.F) {
	f.Add(sampleLDIF)
	f.Add("version: 1\n\ndn: uid=a\n")
	f.Add("dn:: dWlkPWE=\nobjectClass: person\nuid: a\nsn: A\nENTPersonStructRattach: ou=0750001U,dc=x\n")
	f.Add(" \n\n#\n")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := importer.ParseLDIF(strings.NewReader(s), "f.ldif")
		if err != nil {
			if core.KindOf(err) != core.Invalid {
				t.Fatalf("error of kind %s: %v", core.KindOf(err), err)
			}
			return
		}
		if len(b.People) == 0 || b.UAI == "" {
			t.Fatalf("accepted a batch without people or establishment: %+v", b)
		}
	})
}
