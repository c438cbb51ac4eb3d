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
	"github.com/preau/preau/internal/journal"
)

// Engine plans and applies imports.
type Engine struct {
	Store Store
	Clock core.Clock
	Hash  func(password string) string // argon2id; called for created accounts only
}

// state is the current directory of one establishment, indexed for matching.
type state struct {
	est     *directory.Establishment
	byKey   map[Key]*directory.Person
	people  []*directory.Person
	groups  map[string]*directory.Group // code → group (current year for classes)
	byID    map[string]*directory.Group
	members map[string]map[string]bool // person → group ID → member
	owners  map[string]map[string]bool // person → group ID → owner
	year    int
}

const op = "dirsync.Plan"

// Plan computes what importing in would change, without changing anything.
// Errors (core.Invalid or NotFound) name the problem: an unknown UAI, a file
// for another school year, too many disables.
func (e *Engine) Plan(ctx context.Context, in *Incoming, opt Options) (*Plan, error) {
	if opt.Rollover && opt.MaxDisableShare == 0 {
		opt.MaxDisableShare = RolloverMaxDisableShare // a whole level leaves
	}
	opt.defaults()
	st, err := e.load(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := e.checkSource(ctx, st.est, in.Source); err != nil {
		return nil, err
	}
	var roll *Rollover
	if opt.Rollover {
		opt.Mode = Full // the next year's files are the whole truth: leavers are disabled
		if roll, err = e.rolloverYears(ctx, st, in); err != nil {
			return nil, err
		}
	} else if in.SchoolYear != 0 && in.SchoolYear != st.year {
		hint := "only the current school year's files can be imported"
		if in.SchoolYear == st.year+1 {
			hint = "import it as a previewed school-year rollover (--rollover)"
		}
		return nil, core.E(op, core.Invalid, "%s is for school year %d-%d but the current school year is %d-%d: %s",
			strings.Join(in.Files, ", "), in.SchoolYear, in.SchoolYear+1, st.year, st.year+1, hint)
	}
	b := &builder{e: e, st: st, in: in, opt: opt, plan: &Plan{Establishment: st.est, Mode: opt.Mode, Dropped: in.Dropped,
		Changes: &directory.ImportChanges{}}, seen: map[string]bool{}}
	b.plan.Rollover = roll
	b.groups()
	if err := b.people(ctx); err != nil {
		return nil, err
	}
	if err := b.disables(); err != nil {
		return nil, err
	}
	if roll != nil {
		if err := b.rollover(ctx); err != nil {
			return nil, err
		}
	}
	b.summary()
	return b.plan, nil
}

// Apply hashes the initial passwords of the created accounts (argon2id, on
// every core; progress, when not nil, is called as it goes) and applies the
// plan in one transaction.
func (e *Engine) Apply(ctx context.Context, p *Plan, progress func(done, total int)) error {
	pws := make([]string, len(p.Credentials))
	for i, c := range p.Credentials {
		pws[i] = c.Password
	}
	hashes := hashAll(e.Hash, pws, progress)
	for i := range p.Changes.NewPeople {
		p.Changes.NewPeople[i].PasswordHash = hashes[i]
	}
	return e.Store.ApplyImport(ctx, p.Changes)
}

func (o *Options) defaults() {
	if o.Mode == "" {
		o.Mode = Partial
	}
	if o.MaxDisableShare == 0 {
		o.MaxDisableShare = 0.10
	}
	if o.Grace == 0 {
		o.Grace = 30 * 24 * time.Hour
	}
}

func (e *Engine) load(ctx context.Context, in *Incoming) (*state, error) {
	uai, err := core.ParseUAI(in.UAI)
	if err != nil {
		return nil, err
	}
	est, err := e.Store.FindEstablishment(ctx, uai)
	if core.IsKind(err, core.NotFound) {
		return nil, core.E(op, core.NotFound, "%s is for establishment %s, which this deployment does not have: create it first (preau init)",
			strings.Join(in.Files, ", "), uai)
	}
	if err != nil {
		return nil, err
	}
	st := &state{est: est, byKey: map[Key]*directory.Person{}, groups: map[string]*directory.Group{},
		byID: map[string]*directory.Group{}, members: map[string]map[string]bool{}, owners: map[string]map[string]bool{},
		year: core.SchoolYear(e.Clock.Now())}
	for off := 0; ; off += 1000 {
		page, total, err := e.Store.FindPeople(ctx, directory.PersonFilter{Establishments: []string{est.ID},
			Sort: "login", Offset: off, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			st.people = append(st.people, p)
			for k, v := range p.ExternalIDs {
				st.byKey[Key{k, v}] = p
			}
		}
		if len(page) == 0 || off+len(page) >= total {
			break
		}
	}
	gs, err := e.Store.FindGroups(ctx, directory.GroupFilter{Establishment: est.ID})
	if err != nil {
		return nil, err
	}
	next := false
	for _, g := range gs {
		st.byID[g.ID] = g
		next = next || g.Kind == directory.Class && g.SchoolYear == st.year+1
	}
	if next {
		// A rollover was made before 1 September: the directory is
		// already in the next school year (files without a year, such as
		// AAF, go there; last year's files are refused).
		st.year++
	}
	for _, g := range gs {
		if (g.Kind == directory.Class || g.Kind == directory.Teaching) && g.SchoolYear != st.year {
			continue
		}
		st.groups[g.Code] = g
	}
	ms, err := e.Store.AllMemberships(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if st.byID[m.GroupID] == nil {
			continue
		}
		set := st.members
		if m.Role == directory.RoleOwner {
			set = st.owners
		}
		if set[m.PersonID] == nil {
			set[m.PersonID] = map[string]bool{}
		}
		set[m.PersonID][m.GroupID] = true
	}
	return st, nil
}

// builder accumulates a plan.
type builder struct {
	e    *Engine
	st   *state
	in   *Incoming
	opt  Options
	plan *Plan
	seen map[string]bool // person IDs present in the import
	// matched pairs each known person with their incoming record, and
	// fresh ones too (for the rollover report).
	matched []match
}

type match struct {
	id          string
	in          Person
	fresh       bool
	login, name string // of a fresh person
}

// groups plans the classes and teaching groups the import names (or that
// pupils' classes and teachers' services name) and the store lacks.
func (b *builder) groups() {
	want := map[string]Group{}
	for _, g := range b.in.Groups {
		want[g.Code] = g
	}
	for _, p := range b.in.People {
		if p.Class != "" {
			if _, ok := want[p.Class]; !ok {
				want[p.Class] = Group{Code: p.Class, Kind: string(directory.Class)}
			}
		}
		for _, g := range append(append([]string{}, p.Groups...), p.Teaches...) {
			if _, ok := want[g]; !ok {
				want[g] = Group{Code: g, Kind: string(directory.Teaching)}
			}
		}
	}
	codes := make([]string, 0, len(want))
	for c := range want {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if b.st.groups[c] != nil {
			continue
		}
		w := want[c]
		kind := directory.GroupKind(w.Kind)
		if kind != directory.Class {
			kind = directory.Teaching
		}
		g := &directory.Group{ID: core.NewID(), Establishment: b.st.est.ID, Code: c, Name: w.Name, Kind: kind,
			SchoolYear: b.st.year, Level: w.Level}
		if g.Validate() != nil {
			continue // a code the directory cannot hold; its members keep no group
		}
		b.st.groups[c] = g
		b.st.byID[g.ID] = g
		b.plan.Changes.NewGroups = append(b.plan.Changes.NewGroups, g)
		b.plan.NewGroups = append(b.plan.NewGroups, c)
	}
}

// disables plans, for a full import, the disabling of people of the same
// source who are no longer listed, and, for a delta, of removed keys.
func (b *builder) disables() error {
	kinds := map[string]bool{}
	covered := map[core.Profile]bool{}
	for _, p := range b.in.People {
		kinds[p.Key.Kind] = true
		covered[p.Profile] = true
	}
	if len(b.in.Covers) > 0 {
		covered = map[core.Profile]bool{}
		for _, p := range b.in.Covers {
			covered[p] = true
		}
	}
	var victims []*directory.Person
	if b.opt.Mode == Full && b.in.Complete {
		for _, p := range b.st.people {
			if b.seen[p.ID] || p.State != directory.Active || !covered[p.Profile] {
				continue
			}
			for k := range p.ExternalIDs {
				if kinds[k] {
					victims = append(victims, p)
					break
				}
			}
		}
	}
	for _, k := range b.in.Removed {
		if p := b.st.byKey[Key(k)]; p != nil && p.State == directory.Active {
			victims = append(victims, p)
		}
	}
	active := 0
	for _, p := range b.st.people {
		if p.State == directory.Active {
			active++
		}
	}
	if active > 0 && float64(len(victims)) > b.opt.MaxDisableShare*float64(active) && !b.opt.ConfirmDisable {
		return core.E(op, core.Conflict, "this import would disable %d of %d active accounts (more than %.0f%%): check the file, then confirm with --confirm-disable",
			len(victims), active, b.opt.MaxDisableShare*100)
	}
	st := directory.Disabled
	when := b.e.Clock.Now().Add(b.opt.Grace)
	for _, p := range victims {
		b.plan.Changes.Updates = append(b.plan.Changes.Updates, directory.PersonChange{PersonID: p.ID,
			Update: directory.PersonUpdate{State: &st, DeleteAfter: &when}})
		b.plan.Disables = append(b.plan.Disables, Line{Login: p.Login, Name: p.DisplayName, Profile: p.Profile,
			Detail: "no longer in " + b.in.Source + "; deleted after " + when.Format("2006-01-02")})
	}
	return nil
}

// summary writes the run's journal entry (the store adds it to the
// transaction).
func (b *builder) summary() {
	p := b.plan
	attrs := append([]string{}, b.in.Files...)
	attrs = append(attrs, fmt.Sprintf("created:%d", len(p.Creates)), fmt.Sprintf("updated:%d", len(p.Updates)),
		fmt.Sprintf("moved:%d", len(p.Moves)), fmt.Sprintf("disabled:%d", len(p.Disables)),
		fmt.Sprintf("groups:%d", len(p.NewGroups)))
	dropped := 0
	for _, n := range b.in.Dropped {
		dropped += n
	}
	attrs = append(attrs, fmt.Sprintf("dropped-values:%d", dropped))
	action, reason := "directory.import.run", b.in.Source+" "+string(b.opt.Mode)
	if r := p.Rollover; r != nil {
		action = "directory.import.rollover"
		reason = fmt.Sprintf("%s rollover %s → %s", b.in.Source, YearName(r.From), YearName(r.To))
		attrs = append(attrs, fmt.Sprintf("from:%d", r.From), fmt.Sprintf("to:%d", r.To),
			fmt.Sprintf("archived-groups:%d", len(r.Archived)), fmt.Sprintf("ended-memberships:%d", r.EndedMemberships),
			fmt.Sprintf("picture-logins-ended:%d", len(r.PictureLogins)))
	}
	p.Changes.Run = journal.Entry{Chain: b.st.est.ID, Action: action, TargetType: "establishment",
		TargetID: b.st.est.ID, TargetName: b.st.est.UAI, Attributes: attrs, Reason: reason}
}

// checkSource refuses a generic source (CSV, LDIF) the establishment has not
// declared: outside the national framework, an import needs a recorded
// justification and data-protection reference (INF-ANN-7). Files read
// together ("csv+siecle") need a declaration for each generic one.
func (e *Engine) checkSource(ctx context.Context, est *directory.Establishment, source string) error {
	for _, part := range strings.Split(strings.ToLower(source), "+") {
		if directory.IsNationalSource(part) {
			continue
		}
		_, err := e.Store.SourceDeclaration(ctx, est.ID, part)
		if core.IsKind(err, core.NotFound) {
			return core.E(op, core.Permission, "%s is not a national source: %s must first record why it is needed and "+
				"the reference of its data-protection formality (CARINE INF-ANN-7), on the console's import page or with "+
				"`preau import declare %s --uai %s --justification … --reference …`", strings.ToUpper(part), est.UAI, part, est.UAI)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
