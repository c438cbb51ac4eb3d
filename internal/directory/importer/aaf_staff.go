// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"strings"

	"github.com/preau/preau/internal/core"
)

// staff fills the profile, functions, disciplines and services of a
// PersEducNat record. It returns false for a guardian (ENTPersonProfils
// National_TUT), whose record is dropped. The profile is, in order: head
// when a function in the establishment is DIR (ENTPersonFonctions,
// ENTEnsFonctionDir or National_DIR); else the ENTPersonProfils value; else
// teacher for ENS/DOC functions, staff for others; else teacher when
// PersEducNatPresenceDevantEleves is O or the person has services; else
// staff. A modifyRequest that changes none of these has no profile.
func (o *aafOutput) staff(pp *Person, rec *aafRecord, accept func(string) bool) bool {
	var prof core.Profile
	dir := len(o.scoped(rec, accept, 1, "entensfonctiondir")) > 0
	for _, v := range rec.attrs["entpersonprofils"] {
		p, guardian, ok := profileForAAF(v)
		switch {
		case guardian:
			return false
		case ok && p == core.ProfileHead:
			dir = true
		case ok && prof == "":
			prof = p
		}
	}
	var fnProf core.Profile
	for _, f := range o.scoped(rec, accept, 5, "entpersonfonctions") {
		code := strings.ToUpper(f[1])
		p := profileForFunction(code)
		switch {
		case code == "":
			continue
		case p == core.ProfileHead:
			dir = true
		case p == core.ProfileTeacher:
			fnProf = p
			pp.Disciplines = addUnique(pp.Disciplines, f[4])
		case fnProf == "":
			fnProf = p
		}
		pp.Functions = addUnique(pp.Functions, firstNonEmpty(f[2], functionLabel(code)))
	}
	for _, v := range rec.attrs["entauxenscategodiscipline"] {
		pp.Disciplines = addUnique(pp.Disciplines, dollar(v, 2)[1])
	}
	o.services(pp, rec, accept)
	switch {
	case dir:
		prof = core.ProfileHead
	case prof != "":
	case fnProf != "":
		prof = fnProf
	case first(rec.attrs["perseducnatpresencedevanteleves"]) == "O":
		prof = core.ProfileTeacher
	case rec.op == "add" && len(pp.Teaches) > 0:
		prof = core.ProfileTeacher
	case rec.op == "add":
		prof = core.ProfileStaff
	}
	pp.Profile = prof
	if prof == core.ProfileTeacher {
		pp.Functions = nil // a teacher's function is teaching; the discipline says the rest
	}
	return true
}

// services fills Teaches and HeadTeacherOf: ENTAuxEns*Matieres give the
// subject, ENTAuxEnsClasses/Groupes add codes without subject that no
// *Matieres value covers.
func (o *aafOutput) services(pp *Person, rec *aafRecord, accept func(string) bool) {
	add := func(attrs []string, kind string, withSubject bool) {
		for _, f := range o.scoped(rec, accept, 3, attrs...) {
			code := f[1]
			if code == "" {
				continue
			}
			o.groups.ensure(code, kind)
			if !withSubject && covered(pp.Teaches, code) {
				continue
			}
			t := Teaching{Group: code}
			if withSubject {
				t.SubjectCode, t.Subject = f[2], firstNonEmpty(o.b.Subjects[f[2]], f[2])
			}
			pp.Teaches = addTeaching(pp.Teaches, t)
		}
	}
	add([]string{"entauxensclassesmatieres"}, KindClass, true)
	add([]string{"entauxensgroupesmatieres"}, KindTeaching, true)
	add([]string{"entauxensclasses"}, KindClass, false)
	add([]string{"entauxensgroupes"}, KindTeaching, false)
	for _, f := range o.scoped(rec, accept, 2, "entauxensclassesprincipal") {
		if f[1] != "" {
			pp.HeadTeacherOf = addUnique(pp.HeadTeacherOf, f[1])
			o.groups.ensure(f[1], KindClass)
		}
	}
}

// covered reports whether some service already names group code.
func covered(ts []Teaching, code string) bool {
	for _, t := range ts {
		if t.Group == code {
			return true
		}
	}
	return false
}
