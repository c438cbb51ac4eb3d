// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirsync

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// RolloverMaxDisableShare is the share of active accounts a rollover may
// disable without --confirm-disable: a whole level leaves each year (a
// quarter of a collège's pupils, a third of a lycée's).
const RolloverMaxDisableShare = 0.35

// A school-year rollover (design §3: an explicit, previewed operation)
// imports the SIECLE / STS-Web files of the next school year in full mode,
// in one transaction:
//
//   - the classes and teaching groups of the new year are created from the
//     files (group codes are unique per school year, so "5A" of 2027 is a
//     new group beside "5A" of 2026);
//   - pupils join their new class and groups; teachers' ownership of the
//     new year's classes and groups is rebuilt from the services of STS;
//   - last year's classes and teaching groups are archived: they stay, with
//     their school year, so that nothing that refers to them dangles, but
//     every membership and ownership of them ends (each journaled as a
//     member removal): they no longer give anyone a right or an LDAP group;
//   - picture login of last year's classes ends with them (board code and
//     the pupils' picture secrets deleted): the teacher turns it on for the
//     new class and prints new cards;
//   - leavers (in last year's data, not in the files) are disabled and
//     deleted after the grace period, as in any full import; newcomers get
//     accounts with initial passwords to change at first login;
//   - accounts, passwords, mail, grants to people and picture logins
//     elsewhere are untouched.
//
// The files must be of the year after the directory's: usually the clock's
// school year + 1 (late August); at the start of September, when the
// directory still holds only the classes of the year that just ended, the
// clock's school year itself. A rollover into a year that already has
// classes while last year's classes still have pupils (classes made by
// hand or by an ordinary import) is refused; re-running the rollover is
// allowed and changes nothing, or only what the newer files changed.
type Rollover struct {
	From, To         int  // school years, by their first calendar year
	OutsideWindow    bool // run outside June–September: the preview warns
	NoServices       bool // the files carry no teacher's service (no STS-Web file): the preview warns
	Levels           []LevelCount
	Old              []ClassCount // last year's classes, archived
	New              []ClassCount // the new year's classes
	Archived         []string     // codes of last year's classes and teaching groups whose memberships end
	Created          []string     // codes of the new year's classes and groups created
	EndedMemberships int
	PictureLogins    []string // last year's classes whose picture login ends
	Teachers         []Line   // each teacher's services in the new year
	TeachersChanged  int      // teachers whose services differ from last year's
	Pupils           []Line   // per pupil: "6A → 5A", "new in 6C", "leaves 3B"
}

// LevelCount counts pupils per level: Before in last year's classes of
// the level; of them MoveUp go on to another level, Repeat stay in it,
// Leave are not in the files; Arrive are new in the level's new classes;
// After is the level's total in the new year.
type LevelCount struct {
	Level                                        string
	Before, MoveUp, Repeat, Leave, Arrive, After int
}

// ClassCount counts the pupils of one class. For last year's classes:
// Pupils, of whom Moving go on to another level, Staying repeat the level,
// Leaving leave. For the new year's classes: Pupils in all, Moving coming
// from last year's classes, Staying repeating, Arriving new.
type ClassCount struct {
	Code, Level                                string
	Pupils, Moving, Staying, Leaving, Arriving int
}

// YearName is "2026-2027" for 2026.
func YearName(y int) string { return fmt.Sprintf("%d-%d", y, y+1) }

// InRolloverWindow reports whether t is in June to September, when the
// next year's files exist and a rollover is expected.
func InRolloverWindow(t time.Time) bool { return t.Month() >= time.June && t.Month() <= time.September }

// pictureGroups is implemented by stores that have picture login.
type pictureGroups interface {
	PictureLoginGroups(ctx context.Context, establishment string) ([]string, error)
}

// rolloverYears checks that in is for the year after the directory's and
// points the plan at that year.
func (e *Engine) rolloverYears(ctx context.Context, st *state, in *Incoming) (*Rollover, error) {
	files := strings.Join(in.Files, ", ")
	now := e.Clock.Now()
	clockYear := core.SchoolYear(now)
	classes := map[int]int{}
	for _, g := range st.byID {
		if g.Kind == directory.Class {
			classes[g.SchoolYear]++
		}
	}
	from := clockYear
	if classes[clockYear] == 0 && classes[clockYear-1] > 0 {
		from = clockYear - 1 // early September: last year's classes are still the directory's
	}
	to := from + 1
	switch {
	case in.SchoolYear == 0:
		return nil, core.E(op, core.Invalid, "%s: a rollover needs files that name their school year (SIECLE, STS-Web, or a CSV with a school_year column, as for an école); these do not", files)
	case in.SchoolYear == from:
		return nil, core.E(op, core.Invalid, "%s is for school year %s, the directory's current one: a rollover needs the files of %s; import these files without --rollover",
			files, YearName(in.SchoolYear), YearName(to))
	case in.SchoolYear != to:
		return nil, core.E(op, core.Invalid, "%s is for school year %s: a rollover goes from %s only into %s",
			files, YearName(in.SchoolYear), YearName(from), YearName(to))
	}
	pupils, incoming, teaching := 0, 0, false // in last year's classes; in the files
	for _, g := range st.byID {
		if g.Kind == directory.Class && g.SchoolYear != 0 && g.SchoolYear < to {
			pupils += g.Members
		}
	}
	for _, p := range in.People {
		if p.Profile == core.ProfilePupil {
			incoming++
		}
		teaching = teaching || len(p.Teaches) > 0
	}
	if pupils > 0 && incoming == 0 {
		return nil, core.E(op, core.Invalid, "%s: a rollover needs the pupils of %s (SIECLE ElevesSansAdresses.xml), else last year's %d pupils would be left without a class",
			files, YearName(to), pupils)
	}
	if classes[to] > 0 {
		if pupils > 0 {
			return nil, core.E(op, core.Conflict, "school year %s already has classes (%d) while the classes of %s still have %d pupils: these classes were not made by a rollover; remove them, or import the files without --rollover from 1 September",
				YearName(to), classes[to], YearName(from), pupils)
		}
	}
	st.year = to
	st.groups = map[string]*directory.Group{}
	for _, g := range st.byID {
		if (g.Kind == directory.Class || g.Kind == directory.Teaching) && g.SchoolYear != to {
			continue
		}
		st.groups[g.Code] = g
	}
	return &Rollover{From: from, To: to, OutsideWindow: !InRolloverWindow(now), NoServices: !teaching}, nil
}

// rollover plans the archiving of last year's groups and writes the report.
func (b *builder) rollover(ctx context.Context) error {
	r := b.plan.Rollover
	st := b.st
	old := func(gid string) *directory.Group {
		g := st.byID[gid]
		if g != nil && (g.Kind == directory.Class || g.Kind == directory.Teaching) && g.SchoolYear != 0 && g.SchoolYear < r.To {
			return g
		}
		return nil
	}
	// Last year's class of each pupil (the latest, should there be several).
	oldClass := map[string]*directory.Group{}
	archived := map[string]bool{}
	for _, set := range []struct {
		m    map[string]map[string]bool
		role string
	}{{st.members, directory.RoleMember}, {st.owners, directory.RoleOwner}} {
		for _, pid := range sortedKeys(set.m) {
			for _, gid := range sortedIDs(set.m[pid]) {
				g := old(gid)
				if g == nil {
					continue
				}
				b.plan.Changes.RemoveMembers = append(b.plan.Changes.RemoveMembers, directory.Membership{GroupID: gid, PersonID: pid, Role: set.role})
				r.EndedMemberships++
				archived[g.Code+" ("+YearName(g.SchoolYear)+")"] = true
				if set.role == directory.RoleMember && g.Kind == directory.Class {
					if c := oldClass[pid]; c == nil || c.SchoolYear < g.SchoolYear {
						oldClass[pid] = g
					}
				}
			}
		}
	}
	sortMemberships(b.plan.Changes.RemoveMembers)
	r.Archived = sortedKeys(archived)
	r.Created = b.plan.NewGroups
	if pg, ok := b.e.Store.(pictureGroups); ok {
		ids, err := pg.PictureLoginGroups(ctx, st.est.ID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if g := old(id); g != nil && g.Kind == directory.Class {
				b.plan.Changes.EndPictureLogins = append(b.plan.Changes.EndPictureLogins, id)
				r.PictureLogins = append(r.PictureLogins, g.Code)
			}
		}
		sort.Strings(r.PictureLogins)
	}
	b.rolloverReport(oldClass)
	return nil
}

// rolloverReport counts pupils per level and class and lists each pupil's
// and teacher's new year.
func (b *builder) rolloverReport(oldClass map[string]*directory.Group) {
	r, st := b.plan.Rollover, b.st
	people := map[string]*directory.Person{}
	for _, p := range st.people {
		people[p.ID] = p
	}
	levels := map[string]*LevelCount{}
	level := func(name string) *LevelCount {
		if levels[name] == nil {
			levels[name] = &LevelCount{Level: name}
		}
		return levels[name]
	}
	oldCounts, newCounts := map[string]*ClassCount{}, map[string]*ClassCount{}
	count := func(m map[string]*ClassCount, g *directory.Group) *ClassCount {
		if m[g.ID] == nil {
			m[g.ID] = &ClassCount{Code: g.Code, Level: g.Level}
		}
		return m[g.ID]
	}
	for pid, g := range oldClass {
		if p := people[pid]; p != nil && p.Profile == core.ProfilePupil {
			count(oldCounts, g).Pupils++
			level(g.Level).Before++
		}
	}
	going := map[string]bool{}
	var pupils []Line
	for _, m := range b.matched {
		switch m.in.Profile {
		case core.ProfilePupil:
		case core.ProfileTeacher:
			b.teacherLine(m)
			continue
		default:
			continue
		}
		login, name := m.login, m.name
		if p := people[m.id]; p != nil {
			login, name = p.Login, p.DisplayName
		}
		ng := st.groups[m.in.Class]
		if m.in.Class == "" || ng == nil || ng.Kind != directory.Class {
			continue
		}
		going[m.id] = true
		nc := count(newCounts, ng)
		nc.Pupils++
		level(ng.Level).After++
		og := oldClass[m.id]
		if og == nil {
			nc.Arriving++
			level(ng.Level).Arrive++
			pupils = append(pupils, Line{Login: login, Name: name, Profile: m.in.Profile, Detail: "new in " + ng.Code})
			continue
		}
		oc := count(oldCounts, og)
		line := Line{Login: login, Name: name, Profile: m.in.Profile, Detail: og.Code + " → " + ng.Code}
		if og.Level != "" && og.Level == ng.Level {
			oc.Staying++
			nc.Staying++
			level(og.Level).Repeat++
			line.Detail += " (same level)"
		} else {
			oc.Moving++
			nc.Moving++
			level(og.Level).MoveUp++
		}
		pupils = append(pupils, line)
		b.plan.Moves = append(b.plan.Moves, Line{Login: login, Name: name, Profile: m.in.Profile, Detail: og.Code + " → " + ng.Code})
	}
	for _, pid := range sortedKeys(oldClass) {
		p, g := people[pid], oldClass[pid]
		if going[pid] || p == nil || p.Profile != core.ProfilePupil {
			continue
		}
		count(oldCounts, g).Leaving++
		level(g.Level).Leave++
		pupils = append(pupils, Line{Login: p.Login, Name: p.DisplayName, Profile: p.Profile, Detail: "leaves " + g.Code})
	}
	sort.SliceStable(pupils, func(i, j int) bool { return pupils[i].Login < pupils[j].Login })
	r.Pupils = pupils
	for _, m := range []struct {
		src map[string]*ClassCount
		dst *[]ClassCount
	}{{oldCounts, &r.Old}, {newCounts, &r.New}} {
		for _, c := range m.src {
			*m.dst = append(*m.dst, *c)
		}
		sort.Slice(*m.dst, func(i, j int) bool { return (*m.dst)[i].Code < (*m.dst)[j].Code })
	}
	for _, l := range levels {
		r.Levels = append(r.Levels, *l)
	}
	sort.Slice(r.Levels, func(i, j int) bool { return levelRank(r.Levels[i].Level) < levelRank(r.Levels[j].Level) })
	sort.SliceStable(r.Teachers, func(i, j int) bool { return r.Teachers[i].Login < r.Teachers[j].Login })
}

// teacherLine writes a teacher's services of the new year, and last
// year's when they differ.
func (b *builder) teacherLine(m match) {
	r, st := b.plan.Rollover, b.st
	var now, before []string
	for _, c := range m.in.Teaches {
		if g := st.groups[c]; g != nil {
			now = append(now, c)
		}
	}
	for gid := range st.owners[m.id] {
		if g := st.byID[gid]; g != nil && (g.Kind == directory.Class || g.Kind == directory.Teaching) && g.SchoolYear == r.From {
			before = append(before, g.Code)
		}
	}
	sort.Strings(now)
	sort.Strings(before)
	login, name := m.login, m.name
	for _, p := range st.people {
		if p.ID == m.id {
			login, name = p.Login, p.DisplayName
			break
		}
	}
	detail := strings.Join(now, ", ")
	if detail == "" {
		detail = "—"
	}
	if strings.Join(now, ",") != strings.Join(before, ",") {
		r.TeachersChanged++
		if m.fresh {
			detail += " (new)"
		} else {
			detail += " (was: " + strings.Join(before, ", ") + ")"
		}
	}
	r.Teachers = append(r.Teachers, Line{Login: login, Name: name, Profile: core.ProfileTeacher, Detail: detail})
}

// levelRank orders levels from the youngest: maternelle, élémentaire,
// collège, lycée; unknown ones last, by name.
func levelRank(l string) string {
	order := []string{"PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e", "5e", "4e", "3e", "2nde", "1re", "Tle"}
	for i, o := range order {
		if strings.EqualFold(l, o) || strings.HasPrefix(strings.ToUpper(l), strings.ToUpper(o)+"-") {
			return fmt.Sprintf("%02d", i)
		}
	}
	return "99" + l
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
