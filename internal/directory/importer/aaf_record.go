// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package importer

import (
	"github.com/preau/preau/internal/core"
)

// aafOutput turns finished AAF records into the batch.
type aafOutput struct {
	p          *aafParser
	b          *Batch
	home       map[string]bool // with AAFOptions.UAI: the structure ids of that establishment
	attach     string          // without it: the one attachment structure of the file's people
	attachLine int
	keys       map[Key]int // person key → line, to refuse duplicates
	groups     groupSet
	etabUAIs   []string // UAIs of the EtabEducNat records read
	etabGroups []Group  // their classes and groups, kept if the file has one establishment
	changes    bool     // a modify or delete request was seen
}

func (o *aafOutput) init(p *aafParser) {
	o.p, o.b, o.keys = p, p.b, map[Key]int{}
	if p.opt.UAI != "" {
		o.home = map[string]bool{p.opt.UAI: true}
		for id, uai := range p.opt.Structures {
			if uai == p.opt.UAI {
				o.home[id] = true
			}
		}
	}
}

// record dispatches one finished request.
func (o *aafOutput) record(rec *aafRecord) error {
	if rec.op != "add" {
		o.changes = true
	}
	switch rec.category {
	case catEleve:
		o.b.cover(core.ProfilePupil)
	case catPersEduc:
		o.b.cover(adults...)
	}
	switch rec.category {
	case catEleve, catPersEduc, "":
		return o.person(rec)
	case catPersRel:
		o.b.drop("PersRelEleve") // a guardian: the whole record is dropped (INF-ANN-8)
	case catEtab:
		return o.etab(rec)
	case catMef:
		o.label(rec, &o.b.MEFs, "entmefjointure", "entlibellemef")
	case catMatiere:
		o.label(rec, &o.b.Subjects, "entmatjointure", "entlibellematiere")
	}
	return nil
}

// label records a MefEducNat or MatiereEducNat label.
func (o *aafOutput) label(rec *aafRecord, m *map[string]string, keyAttr, labelAttr string) {
	code, label := firstNonEmpty(first(rec.attrs[keyAttr]), rec.id), first(rec.attrs[labelAttr])
	if code == "" || label == "" || rec.op == "delete" {
		return
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[code] = label
}

// first returns the first value, or "".
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// etab records an EtabEducNat structure: its UAI, classes and groups.
func (o *aafOutput) etab(rec *aafRecord) error {
	id := rec.id
	raw := firstNonEmpty(first(rec.attrs["entstructureuai"]), first(rec.attrs["entetablissementuai"]))
	if raw == "" {
		if rec.op == "add" {
			return perr(o.p.w.file, rec.line, "ENTStructureUAI", "structure %s has no UAI", clip(id))
		}
		return nil
	}
	uai, err := core.ParseUAI(raw)
	if err != nil {
		return perr(o.p.w.file, rec.line, "ENTStructureUAI", "structure %s: %s", clip(id), core.MessageOf(err))
	}
	if o.b.Structures == nil {
		o.b.Structures = map[string]string{}
	}
	for _, k := range []string{id, first(rec.attrs["entstructurejointure"])} {
		if k != "" {
			o.b.Structures[k] = uai
			if _, bare, ok := cutDollar(k); ok {
				o.b.Structures[bare] = uai
			}
		}
	}
	if o.home != nil && uai != o.p.opt.UAI {
		return nil
	}
	o.etabUAIs = append(o.etabUAIs, uai)
	for _, v := range rec.attrs["entstructureclasses"] {
		f := dollar(v, 3)
		o.etabGroups = append(o.etabGroups, Group{Code: f[0], Name: groupLabel(f[1]), Kind: KindClass, MEF: f[2]})
	}
	for _, v := range rec.attrs["entstructuregroupes"] {
		f := dollar(v, 2)
		g := Group{Code: f[0], Name: groupLabel(f[1]), Kind: KindTeaching}
		for _, d := range f[2:] {
			g.Divisions = addUnique(g.Divisions, d)
		}
		o.etabGroups = append(o.etabGroups, g)
	}
	return nil
}

// groupLabel returns the label field of ENTStructureClasses/Groupes; some
// generators write "0" when there is none (formats.md §3.3).
func groupLabel(s string) string {
	if s == "0" {
		return ""
	}
	return s
}

// cutDollar splits "SOURCE$id".
func cutDollar(s string) (source, id string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

// resolve returns the UAI of a structure id, or "".
func (o *aafOutput) resolve(id string) string {
	if id == "" {
		return ""
	}
	if uai := firstNonEmpty(o.p.opt.Structures[id], o.b.Structures[id]); uai != "" {
		return uai
	}
	if uai, err := core.ParseUAI(id); err == nil {
		return uai
	}
	return ""
}

// finish completes the batch once every record is read.
func (o *aafOutput) finish() error {
	b := o.b
	switch {
	case o.p.fname.delta:
		b.Complete = false
	case o.p.fname.complete:
		b.Complete = true
	default:
		b.Complete = !o.changes
	}
	if len(o.etabUAIs) == 1 {
		for _, g := range o.etabGroups {
			dst, _ := o.groups.ensure(g.Code, g.Kind)
			*dst = g
		}
	} else if len(o.etabUAIs) > 1 {
		b.Warnings = append(b.Warnings, o.p.w.file+": several establishments: their classes and groups are not read (pass AAFOptions.UAI)")
	}
	single := ""
	if len(o.etabUAIs) == 1 {
		single = o.etabUAIs[0]
	}
	b.UAI = firstNonEmpty(o.p.opt.UAI, o.p.fname.uai, o.resolve(o.attach), single)
	for i := range b.People {
		pp := &b.People[i]
		if pp.UAI == "" && o.home == nil && (pp.Structure == "" || pp.Structure == o.attach) {
			pp.UAI = b.UAI
		}
	}
	b.Groups = o.groups.list
	return nil
}
