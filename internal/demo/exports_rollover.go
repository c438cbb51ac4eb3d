// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package demo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// RolloverChanges describes what ExportRollover changed, by source key
// (SIECLE ELEVE_ID for pupils, STS id for teachers).
type RolloverChanges struct {
	Year           int      // the new school year (d.SchoolYear + 1)
	Levels         []string // class levels, youngest first
	MovedUp        int      // pupils who go on to the next level
	Left           []string // ELEVE_IDs of the last level's pupils, who leave
	Arrived        int      // new pupils of the entry level
	NewClasses     int      // classes of the new year
	TeacherLeft    string   // STS id of the teacher who leaves
	TeacherArrived string   // STS id of the teacher who replaces them
	NewService     NewService
}

// ExportRollover writes into dir (not the directory of ExportFiles: names
// repeat) the SIECLE and STS-Web files of the next school year, as they
// are at the end of August, after a deterministic change of e: the
// pupils of each class go on to the class of the next level at the same
// position (6A → 5A; in the lycée 2NDE1 → 1G1 …), the last level's pupils
// leave (they are no longer in the files), as many new pupils as the entry
// level had arrive in its classes, teaching groups follow their pupils
// (LV2-ALL-5E's pupils make LV2-ALL-4E), the last teacher of the staff
// list leaves and a new teacher of the same discipline takes their
// services, and one teacher gets a new class. Class codes stay the same
// from one year to the next, as in real schools. Only collèges and lycées
// have these exports. d and e are not modified; the same deployment gives
// the same bytes.
func (d *Deployment) ExportRollover(e *Establishment, dir string) ([]string, RolloverChanges, error) {
	want := RolloverChanges{Year: d.SchoolYear + 1}
	if e.Type == TypeEcole {
		return nil, want, core.E("demo.ExportRollover", core.Invalid, "%s is an école: it has no SIECLE or STS-Web exports", e.UAI)
	}
	ne := cloneEstablishment(e)
	d.advance(&ne, &want)
	nd := *d
	nd.SchoolYear++
	s := nd.newExportSet(&ne, time.Date(nd.SchoolYear, time.August, 28, 0, 0, 0, 0, time.UTC))
	names, docs := s.nationalFiles()
	paths, err := writeFiles(dir, names, docs)
	return paths, want, err
}

// advance moves e one school year on (see ExportRollover).
func (d *Deployment) advance(e *Establishment, want *RolloverChanges) {
	var levels []string
	byLevel := map[string][]*Group{}
	for i := range e.Groups {
		g := &e.Groups[i]
		if g.Kind != KindClass {
			continue
		}
		if byLevel[g.Level] == nil {
			levels = append(levels, g.Level)
		}
		byLevel[g.Level] = append(byLevel[g.Level], g)
	}
	want.Levels = levels
	idx := map[string]int{}
	for i, p := range e.People {
		idx[p.Key] = i
	}
	// Classes: each level's pupils into the next level; the last leaves.
	next := map[string][]string{} // class code → its pupils next year
	leaving := map[string]bool{}
	for li, lv := range levels {
		for j, c := range byLevel[lv] {
			if li == len(levels)-1 {
				for _, k := range c.Members {
					leaving[k] = true
					want.Left = append(want.Left, e.People[idx[k]].ExternalIDs["siecle_eleve_id"])
				}
				continue
			}
			up := byLevel[levels[li+1]]
			to := up[j%len(up)]
			next[to.Code] = append(next[to.Code], c.Members...)
			want.MovedUp += len(c.Members)
		}
	}
	// Newcomers of the entry level, as many as it had.
	maxID, maxINE := 0, 0
	for _, p := range d.People() {
		id, _ := strconv.Atoi(p.ExternalIDs["siecle_eleve_id"])
		ine, _ := strconv.Atoi(strings.TrimSuffix(p.ExternalIDs["ine"], "X"))
		maxID, maxINE = max(maxID, id), max(maxINE, ine)
	}
	r := newRand(int64(want.Year), "exports/rollover/"+e.UAI)
	bank := loadNames()
	var arrivals []string
	for _, c := range byLevel[levels[0]] {
		for range c.Members {
			want.Arrived++
			n := bank.draw(r, false)
			p := Person{Key: e.UAI + "/pupil/R" + pad4(want.Arrived), Login: n.givenSlug + "." + n.familySlug + ".r" + strconv.Itoa(want.Arrived),
				GivenName: n.given, FamilyName: n.family, Profile: core.ProfilePupil, Class: c.Code,
				ExternalIDs: map[string]string{"siecle_eleve_id": strconv.Itoa(maxID + want.Arrived),
					"ine": fmt.Sprintf("%010dX", maxINE+want.Arrived)}}
			e.People = append(e.People, p)
			next[c.Code] = append(next[c.Code], p.Key)
			arrivals = append(arrivals, p.Key)
		}
	}
	for i := range e.People {
		idx[e.People[i].Key] = i
	}
	// Teaching groups follow their pupils: a group of level i takes the
	// pupils of the same group of level i-1; the entry level's draw among
	// the newcomers.
	old := map[string][]string{}
	for _, g := range e.Groups {
		old[g.Code] = g.Members
	}
	for i := range e.Groups {
		g := &e.Groups[i]
		switch {
		case g.Kind == KindClass:
			g.Members = next[g.Code]
			continue
		case g.Kind != KindTeaching && g.Kind != KindCustom:
			continue
		}
		li := slices.Index(levels, g.Level)
		switch {
		case li > 0:
			prev := strings.Replace(g.Code, strings.ToUpper(levels[li]), strings.ToUpper(levels[li-1]), 1)
			if m, ok := old[prev]; ok && prev != g.Code {
				g.Members = slices.Clone(m)
				continue
			}
		case li == 0:
			n := len(g.Members)
			g.Members = nil
			for k := 0; k < n && len(arrivals) > 0; k++ {
				g.Members = append(g.Members, arrivals[(k*7)%len(arrivals)])
			}
			g.Members = slices.Compact(sortedBy(g.Members, idx))
			continue
		}
		g.Members = slices.DeleteFunc(slices.Clone(g.Members), func(k string) bool { return leaving[k] })
	}
	for k := range leaving {
		e.People[idx[k]].Class = ""
	}
	for code, members := range next {
		for _, k := range members {
			e.People[idx[k]].Class = code
		}
	}
	e.People = slices.DeleteFunc(e.People, func(p Person) bool { return leaving[p.Key] })
	for i := range e.People {
		idx[e.People[i].Key] = i
	}
	want.NewClasses = 0
	for _, lv := range levels {
		want.NewClasses += len(byLevel[lv])
	}
	// The last teacher leaves; a newcomer of the same discipline takes
	// their services.
	var out *Person
	for i := len(e.People) - 1; i >= 0; i-- {
		if p := &e.People[i]; p.Profile == core.ProfileTeacher && subjectCodes[p.Discipline].matiere != "" {
			out = p
			break
		}
	}
	maxSTS := 0
	for _, p := range d.People() {
		n, _ := strconv.Atoi(p.ExternalIDs["sts_id"])
		maxSTS = max(maxSTS, n)
	}
	n := bank.draw(r, true)
	in := Person{Key: e.UAI + "/teacher/R0001", Login: n.givenSlug + "." + n.familySlug + ".r", GivenName: n.given,
		FamilyName: n.family, Profile: core.ProfileTeacher, Discipline: out.Discipline,
		ExternalIDs: map[string]string{"sts_id": strconv.Itoa(maxSTS + 1)}}
	want.TeacherLeft, want.TeacherArrived = stsID(out), stsID(&in)
	outKey := out.Key
	for i := range e.Groups {
		g := &e.Groups[i]
		for j, o := range g.Owners {
			if o == outKey {
				g.Owners[j] = in.Key
			}
		}
		g.Members = slices.DeleteFunc(g.Members, func(k string) bool { return k == outKey })
		if g.MainTeacher == outKey {
			g.MainTeacher = in.Key
		}
	}
	e.People = slices.DeleteFunc(e.People, func(p Person) bool { return p.Key == outKey })
	e.People = append(e.People, in)
	idx = map[string]int{}
	for i, p := range e.People {
		idx[p.Key] = i
	}
	var classes []*Group
	for i := range e.Groups {
		if e.Groups[i].Kind == KindClass {
			classes = append(classes, &e.Groups[i])
		}
	}
	_, want.NewService = newService(e, classes, idx)
}

// sortedBy orders keys by their index in People.
func sortedBy(keys []string, idx map[string]int) []string {
	slices.SortFunc(keys, func(a, b string) int { return idx[a] - idx[b] })
	return keys
}
