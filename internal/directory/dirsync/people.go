// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package dirsync

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// people matches every incoming person: known ones get their changes, new
// ones are created with a login, an address and an initial password.
func (b *builder) people(ctx context.Context) error {
	// A capacity hint: with no one known yet, everyone is new.
	fresh := make([]Person, 0, max(len(b.in.People)-len(b.st.byKey), 0))
	for _, in := range b.in.People {
		cur := b.st.byKey[in.Key]
		if cur == nil {
			for k, v := range in.ExternalIDs { // e.g. an INE known from another source
				if cur = b.st.byKey[Key{k, v}]; cur != nil {
					break
				}
			}
		}
		if cur == nil {
			fresh = append(fresh, in)
			continue
		}
		b.seen[cur.ID] = true
		b.matched = append(b.matched, match{id: cur.ID, in: in})
		b.update(cur, in)
		b.memberships(cur.ID, cur.Login, cur.DisplayName, in)
	}
	return b.create(ctx, fresh)
}

// update plans the attribute changes of a known person.
func (b *builder) update(cur *directory.Person, in Person) {
	var u directory.PersonUpdate
	if in.sets("given_name") && in.GivenName != "" && in.GivenName != cur.GivenName {
		u.GivenName = &in.GivenName
	}
	if in.sets("family_name") && in.FamilyName != "" && in.FamilyName != cur.FamilyName {
		u.FamilyName = &in.FamilyName
	}
	if u.GivenName != nil || u.FamilyName != nil {
		dn := strings.TrimSpace(valueOr(u.GivenName, cur.GivenName) + " " + valueOr(u.FamilyName, cur.FamilyName))
		u.DisplayName = &dn
	}
	if in.sets("profile") && in.Profile != "" && in.Profile != cur.Profile && cur.Profile != core.ProfileHead && cur.Profile != core.ProfileAdmin {
		prof := string(in.Profile)
		u.Profile = &prof
	}
	if cur.State != directory.Active {
		st := directory.Active // back in the source: a returning pupil or teacher
		var never time.Time    // zero: no deletion scheduled any more
		u.State, u.DeleteAfter = &st, &never
	}
	for k, v := range withKey(in) {
		if cur.ExternalIDs[k] != v {
			if u.ExternalIDs == nil {
				u.ExternalIDs = map[string]string{}
			}
			u.ExternalIDs[k] = v
		}
	}
	attrs := u.Attributes()
	if len(attrs) == 0 {
		return
	}
	b.plan.Changes.Updates = append(b.plan.Changes.Updates, directory.PersonChange{PersonID: cur.ID, Update: u})
	b.plan.Updates = append(b.plan.Updates, Line{Login: cur.Login, Name: cur.DisplayName, Profile: cur.Profile,
		Detail: strings.Join(attrs, ", ")})
}

func valueOr(p *string, def string) string {
	if p != nil {
		return *p
	}
	return def
}

// withKey returns the external IDs of in, including its key.
func withKey(in Person) map[string]string {
	m := make(map[string]string, len(in.ExternalIDs)+1)
	for k, v := range in.ExternalIDs {
		if v != "" {
			m[k] = v
		}
	}
	if in.Key.Kind != "" && in.Key.Value != "" {
		m[in.Key.Kind] = in.Key.Value
	}
	return m
}

// memberships plans the class, teaching-group and teaching (owner) changes
// of one person, against this school year's groups of the establishment.
func (b *builder) memberships(personID, login, name string, in Person) {
	wantMember := map[string]bool{}
	if g := b.st.groups[in.Class]; g != nil && in.Class != "" {
		wantMember[g.ID] = true
	}
	for _, c := range in.Groups {
		if g := b.st.groups[c]; g != nil {
			wantMember[g.ID] = true
		}
	}
	wantOwner := map[string]bool{}
	for _, c := range in.Teaches {
		if g := b.st.groups[c]; g != nil {
			wantOwner[g.ID] = true
		}
	}
	managed := func(gid string) bool { // only this year's classes and teaching groups are the source's
		g := b.st.byID[gid]
		return g != nil && (g.Kind == directory.Class || g.Kind == directory.Teaching) && g.SchoolYear == b.st.year
	}
	var oldClass, newClass string
	diff := func(have map[string]bool, want map[string]bool, role string) {
		for gid := range have {
			if managed(gid) && !want[gid] && (role == directory.RoleMember || len(in.Teaches) > 0 || in.Profile == core.ProfileTeacher) {
				b.plan.Changes.RemoveMembers = append(b.plan.Changes.RemoveMembers, directory.Membership{GroupID: gid, PersonID: personID, Role: role})
				if role == directory.RoleMember && b.st.byID[gid].Kind == directory.Class {
					oldClass = b.st.byID[gid].Code
				}
			}
		}
		for _, gid := range sortedIDs(want) {
			if !have[gid] {
				b.plan.Changes.AddMembers = append(b.plan.Changes.AddMembers, directory.Membership{GroupID: gid, PersonID: personID, Role: role})
				if role == directory.RoleMember && b.st.byID[gid].Kind == directory.Class {
					newClass = b.st.byID[gid].Code
				}
			}
		}
	}
	if in.sets("class") || in.sets("groups") {
		diff(b.st.members[personID], wantMember, directory.RoleMember)
	}
	if in.sets("teaches") {
		diff(b.st.owners[personID], wantOwner, directory.RoleOwner)
	}
	if oldClass != "" && newClass != "" {
		b.plan.Moves = append(b.plan.Moves, Line{Login: login, Name: name, Profile: in.Profile, Detail: oldClass + " → " + newClass})
	}
	sortMemberships(b.plan.Changes.RemoveMembers)
}

func sortedIDs(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortMemberships(ms []directory.Membership) {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].PersonID != ms[j].PersonID {
			return ms[i].PersonID < ms[j].PersonID
		}
		return ms[i].GroupID < ms[j].GroupID
	})
}

// create plans new accounts: login from the rule, institutional address,
// a random initial password (hashed by Apply, not by a dry run),
// must-change set.
func (b *builder) create(ctx context.Context, fresh []Person) error {
	if len(fresh) == 0 {
		return nil
	}
	logins, err := b.logins(ctx, fresh)
	if err != nil {
		return err
	}
	c := b.plan.Changes
	c.NewPeople = slices.Grow(c.NewPeople, len(fresh))
	b.plan.Creates = slices.Grow(b.plan.Creates, len(fresh))
	b.plan.Credentials = slices.Grow(b.plan.Credentials, len(fresh))
	b.matched = slices.Grow(b.matched, len(fresh))
	// Each new person is built on its own (password, attributes,
	// validation): on every core for a large import. IDs are drawn in
	// order, so that they grow with the file's order.
	people := make([]directory.Person, len(fresh))
	for i := range people {
		people[i].ID = core.NewID()
	}
	pws := make([]string, len(fresh))
	invalid := make([]error, len(fresh))
	eachInParallel(len(fresh), func(i int) {
		in := fresh[i]
		pws[i] = auth.GenerateFor(in.Profile)
		people[i] = directory.Person{ID: people[i].ID, Login: logins[i], GivenName: in.GivenName, FamilyName: in.FamilyName,
			Profile: in.Profile, State: directory.Active, MustChangePassword: true,
			Establishments: []string{b.st.est.ID}, ExternalIDs: withKey(in), Mail: b.mail(logins[i], in.Profile)}
		invalid[i] = people[i].Validate()
	})
	for i, in := range fresh {
		if err := invalid[i]; err != nil {
			return core.E(op, core.Invalid, "%s: %s %s: %s", strings.Join(b.in.Files, ", "), in.GivenName, in.FamilyName, core.MessageOf(err))
		}
		p := &people[i]
		b.plan.Changes.NewPeople = append(b.plan.Changes.NewPeople, directory.NewPerson{Person: p}) // hashed by Apply
		b.plan.Creates = append(b.plan.Creates, Line{Login: p.Login, Name: p.DisplayName, Profile: p.Profile, Detail: in.Class})
		b.plan.Credentials = append(b.plan.Credentials, Credential{Login: p.Login, Name: p.DisplayName, Class: in.Class,
			Password: pws[i], Profile: p.Profile})
		b.matched = append(b.matched, match{id: p.ID, in: in, fresh: true, login: p.Login, name: p.DisplayName})
		b.memberships(p.ID, p.Login, p.DisplayName, in)
	}
	return nil
}

// eachInParallel calls fn for 0 ≤ i < n, on every core when n is large:
// each goroutine takes a contiguous range.
func eachInParallel(n int, fn func(i int)) {
	workers := min(core.CPUs(), n/1000+1)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// mail returns the institutional address: pupils in their own subdomain
// (UTI-MSG-3), adults in the establishment's domain; none without a domain.
func (b *builder) mail(login string, prof core.Profile) string {
	if len(b.st.est.Domains) == 0 {
		return ""
	}
	domain := b.st.est.Domains[0]
	if prof == core.ProfilePupil {
		for _, d := range b.st.est.Domains {
			if strings.HasPrefix(d, "eleves.") {
				return login + "@" + d
			}
		}
		return login + "@eleves." + domain
	}
	return login + "@" + domain
}

// hashAll hashes passwords on every core, reporting progress.
func hashAll(hash func(string) string, pws []string, progress func(done, total int)) []string {
	out := make([]string, len(pws))
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(core.CPUs(), 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = hash(pws[i])
				if progress != nil {
					mu.Lock()
					done++
					progress(done, len(pws))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range pws {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}
