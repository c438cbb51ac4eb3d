// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Homework folders. A distributed assignment lands in each pupil's personal
// space as /home/Devoirs/<title> (<teacher login>)/, with a HandIn
// subfolder where the pupil puts the work; the teacher collects into
// /home/Devoirs/<title> - copies/<pupil name> (<login>)/ and returns what
// they put in a Corrected subfolder there. All are plain folders, so the
// same works over WebDAV.
const (
	HomeworkFolder = "Devoirs"
	HandInFolder   = "Rendu"
	CorrectedName  = "Corrigé"
)

// Hand-in statuses.
const (
	OnTime  = "on_time"
	Late    = "late"
	Missing = "missing"
)

// Assignment is a distributed piece of homework.
type Assignment struct {
	ID            string
	Establishment string
	Teacher       string // person ID
	Group         string // group ID
	Title         string
	Folder        string // the folder name in pupils' spaces
	Deadline      time.Time
	CreatedAt     time.Time
	CollectedAt   time.Time
	Pupils        []AssignmentPupil
}

// AssignmentPupil is one pupil's copy and hand-in.
type AssignmentPupil struct {
	PersonID   string
	Login      string
	Name       string
	FolderID   string // the pupil's copy of the assignment folder
	Status     string // OnTime, Late, Missing ("" before the first status)
	HandedInAt time.Time
	Files      int
}

// Distribute copies a folder of the teacher's to every pupil of a group
// (by ID) under /home/Devoirs/<title> (<teacher>)/ with an empty HandIn
// folder, records the assignment and journals it. Distributed copies count
// toward the pupils' usage but are never refused by their quota.
func (s *Service) Distribute(ctx context.Context, source, groupID, title string, deadline time.Time) (*Assignment, error) {
	const op = "files.Distribute"
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	var g *directory.PersonGroup
	for i := range c.groups {
		if c.groups[i].Group.ID == groupID && groupLevel(c.groups[i].Role, c.p) >= Write {
			g = &c.groups[i]
		}
	}
	if g == nil || !c.p.Profile.Adult() {
		return nil, core.E(op, core.Permission, "only the group's teachers distribute work to it")
	}
	title = strings.TrimSpace(title)
	folder := title + " (" + c.p.Login + ")"
	if err := ValidName(folder); err != nil || title == "" {
		return nil, core.E(op, core.Invalid, "the assignment needs a title usable as a folder name")
	}
	if s.isPrivate(title) {
		return nil, core.E(op, core.Invalid, "an assignment title cannot be a private marker")
	}
	src, _, err := s.resolve(ctx, c, source, false)
	if err != nil {
		return nil, err
	}
	sn := src.node()
	if sn == nil || !sn.Dir {
		return nil, core.E(op, core.Invalid, "distribute a folder")
	}
	if priv, err := s.subtreePrivate(ctx, sn); err != nil || priv || src.private {
		if err != nil {
			return nil, err
		}
		return nil, &core.Error{Op: op, Kind: core.Permission, Err: ErrPrivate,
			Msg: "a folder holding private (PERSONNEL/PRIVÉ) content cannot be distributed"}
	}
	members, err := s.st.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	a := &Assignment{ID: core.NewID(), Establishment: g.Group.Establishment, Teacher: c.p.PersonID, Group: groupID,
		Title: title, Folder: folder, Deadline: deadline.UTC(), CreatedAt: now}
	for _, m := range members {
		if m.Role != directory.RoleMember || m.Profile != string(core.ProfilePupil) {
			continue
		}
		sp, err := s.homeSpace(ctx, m.PersonID, m.Login, g.Group.Establishment)
		if err != nil {
			return nil, err
		}
		dev, err := s.ensureDir(ctx, sp.ID, "", HomeworkFolder, c.p.PersonID)
		if err != nil {
			return nil, err
		}
		old, err := s.st.FindChild(ctx, sp.ID, dev.ID, folder)
		repl := ""
		if err == nil {
			repl = old.ID
		}
		cp, err := s.st.CopyTree(ctx, &CopyOp{NodeID: sn.ID, ToSpace: sp.ID, ToParent: dev.ID, ToName: folder,
			Replace: repl, Limit: -1, By: c.p.PersonID})
		if err != nil {
			return nil, fmt.Errorf("distributing to %s: %w", m.Login, err)
		}
		if _, err := s.ensureDir(ctx, sp.ID, cp.ID, HandInFolder, c.p.PersonID); err != nil {
			return nil, err
		}
		a.Pupils = append(a.Pupils, AssignmentPupil{PersonID: m.PersonID, Login: m.Login, Name: m.DisplayName,
			FolderID: cp.ID})
	}
	e := journal.Entry{Chain: a.Establishment, Action: "files.homework.distribute", TargetType: "group",
		TargetID: groupID, TargetName: g.Group.Code,
		Attributes: []string{"assignment:" + a.ID, "title:" + title, fmt.Sprintf("pupils:%d", len(a.Pupils))}}
	if err := s.st.CreateAssignment(ctx, a, e); err != nil {
		return nil, err
	}
	return a, nil
}

// ensureDir returns the live folder name under parent, creating it.
func (s *Service) ensureDir(ctx context.Context, spaceID, parent, name, by string) (*Node, error) {
	n, err := s.st.FindChild(ctx, spaceID, parent, name)
	if err == nil {
		if !n.Dir {
			return nil, core.E("files", core.Conflict, "%s exists and is not a folder", name)
		}
		return n, nil
	}
	if !core.IsKind(err, core.NotFound) {
		return nil, err
	}
	now := s.clock.Now().UTC()
	n = &Node{ID: core.NewID(), Space: spaceID, Parent: parent, Name: name, Dir: true, ModTime: now,
		ETag: fmt.Sprintf(`"d%x"`, now.UnixNano()), CreatedBy: by}
	if err := s.st.CreateDir(ctx, n); err != nil {
		if core.IsKind(err, core.Exists) {
			return s.st.FindChild(ctx, spaceID, parent, name)
		}
		return nil, err
	}
	return n, nil
}

// assignment loads an assignment the caller teaches.
func (s *Service) assignment(ctx context.Context, id string) (*caller, *Assignment, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.st.FindAssignment(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if a.Teacher != c.p.PersonID {
		return nil, nil, core.E("files.Assignment", core.NotFound, "no such assignment")
	}
	return c, a, nil
}

// Assignments lists the caller's assignments, newest first.
func (s *Service) Assignments(ctx context.Context) ([]*Assignment, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	as, err := s.st.FindAssignments(ctx, c.p.PersonID)
	slices.SortFunc(as, func(a, b *Assignment) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return as, err
}

// handIn returns a pupil's hand-in folder and the latest change in it.
func (s *Service) handIn(ctx context.Context, p AssignmentPupil) (*Node, time.Time, int, error) {
	f, err := s.st.FindNode(ctx, p.FolderID)
	if core.IsKind(err, core.NotFound) {
		return nil, time.Time{}, 0, nil
	}
	if err != nil || !f.TrashedAt.IsZero() {
		return nil, time.Time{}, 0, err
	}
	h, err := s.st.FindChild(ctx, f.Space, f.ID, HandInFolder)
	if core.IsKind(err, core.NotFound) {
		return nil, time.Time{}, 0, nil
	}
	if err != nil {
		return nil, time.Time{}, 0, err
	}
	var latest time.Time
	count := 0
	var walk func(parent *Node) error
	walk = func(parent *Node) error {
		kids, err := s.st.FindChildren(ctx, parent.Space, parent.ID)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if s.isPrivate(k.Name) {
				continue // a pupil's private file is never collected
			}
			if k.Dir {
				if err := walk(k); err != nil {
					return err
				}
				continue
			}
			count++
			if k.ModTime.After(latest) {
				latest = k.ModTime
			}
		}
		return nil
	}
	return h, latest, count, walk(h)
}

// Status returns the assignment with each pupil's hand-in status now: on
// time, late (a file changed after the deadline) or missing (nothing in the
// hand-in folder).
func (s *Service) Status(ctx context.Context, id string) (*Assignment, error) {
	_, a, err := s.assignment(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range a.Pupils {
		p := &a.Pupils[i]
		_, latest, n, err := s.handIn(ctx, *p)
		if err != nil {
			return nil, err
		}
		p.Files, p.HandedInAt = n, latest
		switch {
		case n == 0:
			p.Status, p.HandedInAt = Missing, time.Time{}
		case latest.After(a.Deadline):
			p.Status = Late
		default:
			p.Status = OnTime
		}
	}
	return a, nil
}

// CollectionFolder is the teacher's folder for an assignment's copies.
func CollectionFolder(a *Assignment) string { return a.Title + " - copies" }

// PupilFolder is a pupil's folder in the collection.
func PupilFolder(p AssignmentPupil) string {
	n := strings.ReplaceAll(p.Name, "/", "-")
	if n == "" {
		n = p.Login
	}
	return n + " (" + p.Login + ")"
}

// Collect copies every pupil's hand-in folder into
// /home/Devoirs/<title> - copies/<pupil>/ in the teacher's space (again on
// a later call: the copies are replaced, corrections kept), records each
// status and journals the collection.
func (s *Service) Collect(ctx context.Context, id string) (*Assignment, error) {
	c, _, err := s.assignment(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err := s.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	home, err := s.homeSpace(ctx, c.p.PersonID, c.p.Login, mainEst(c.p))
	if err != nil {
		return nil, err
	}
	dev, err := s.ensureDir(ctx, home.ID, "", HomeworkFolder, c.p.PersonID)
	if err != nil {
		return nil, err
	}
	coll, err := s.ensureDir(ctx, home.ID, dev.ID, CollectionFolder(a), c.p.PersonID)
	if err != nil {
		return nil, err
	}
	limit := s.limit(ctx, home)
	for _, p := range a.Pupils {
		pf, err := s.ensureDir(ctx, home.ID, coll.ID, PupilFolder(p), c.p.PersonID)
		if err != nil {
			return nil, err
		}
		h, _, n, err := s.handIn(ctx, p)
		if err != nil {
			return nil, err
		}
		if h == nil || n == 0 {
			continue
		}
		old, err := s.st.FindChild(ctx, home.ID, pf.ID, HandInFolder)
		repl := ""
		if err == nil {
			repl = old.ID
		}
		if _, err := s.st.CopyTree(ctx, &CopyOp{NodeID: h.ID, ToSpace: home.ID, ToParent: pf.ID, ToName: HandInFolder,
			Replace: repl, Limit: limit, By: c.p.PersonID}); err != nil {
			return nil, fmt.Errorf("collecting %s: %w", p.Login, err)
		}
	}
	a.CollectedAt = s.clock.Now().UTC()
	counts := map[string]int{}
	for _, p := range a.Pupils {
		counts[p.Status]++
	}
	e := journal.Entry{Chain: a.Establishment, Action: "files.homework.collect", TargetType: "assignment",
		TargetID: a.ID, TargetName: a.Title, Attributes: []string{fmt.Sprintf("on_time:%d", counts[OnTime]),
			fmt.Sprintf("late:%d", counts[Late]), fmt.Sprintf("missing:%d", counts[Missing])}}
	if err := s.st.SetCollected(ctx, a, e); err != nil {
		return nil, err
	}
	return a, nil
}

// Return copies, for each pupil, the teacher's Corrected folder of their
// collected copy (/home/Devoirs/<title> - copies/<pupil>/Corrigé) into the
// pupil's assignment folder. It returns how many pupils got corrections.
func (s *Service) Return(ctx context.Context, id string) (int, error) {
	c, a, err := s.assignment(ctx, id)
	if err != nil {
		return 0, err
	}
	home, err := s.homeSpace(ctx, c.p.PersonID, c.p.Login, mainEst(c.p))
	if err != nil {
		return 0, err
	}
	dev, err := s.st.FindChild(ctx, home.ID, "", HomeworkFolder)
	if err != nil {
		return 0, core.E("files.Return", core.NotFound, "collect the work before returning it")
	}
	coll, err := s.st.FindChild(ctx, home.ID, dev.ID, CollectionFolder(a))
	if err != nil {
		return 0, core.E("files.Return", core.NotFound, "collect the work before returning it")
	}
	n := 0
	for _, p := range a.Pupils {
		pf, err := s.st.FindChild(ctx, home.ID, coll.ID, PupilFolder(p))
		if err != nil {
			continue
		}
		corr, err := s.st.FindChild(ctx, home.ID, pf.ID, CorrectedName)
		if err != nil {
			continue
		}
		f, err := s.st.FindNode(ctx, p.FolderID)
		if err != nil || !f.TrashedAt.IsZero() {
			continue
		}
		old, err := s.st.FindChild(ctx, f.Space, f.ID, CorrectedName)
		repl := ""
		if err == nil {
			repl = old.ID
		}
		if _, err := s.st.CopyTree(ctx, &CopyOp{NodeID: corr.ID, ToSpace: f.Space, ToParent: f.ID,
			ToName: CorrectedName, Replace: repl, Limit: -1, By: c.p.PersonID}); err != nil {
			return n, err
		}
		n++
	}
	e := journal.Entry{Chain: a.Establishment, Action: "files.homework.return", TargetType: "assignment",
		TargetID: a.ID, TargetName: a.Title, Attributes: []string{fmt.Sprintf("pupils:%d", n)}}
	return n, s.st.Journal(ctx, withActor(ctx, e))
}

func withActor(ctx context.Context, e journal.Entry) journal.Entry {
	e.SetActor(core.PrincipalFromContext(ctx))
	return e
}

// TeachingGroups lists the groups the caller may distribute work to.
func (s *Service) TeachingGroups(ctx context.Context) []*directory.Group {
	c, err := s.caller(ctx)
	if err != nil || !c.p.Profile.Adult() {
		return nil
	}
	var out []*directory.Group
	for _, g := range c.groups {
		if groupLevel(g.Role, c.p) >= Write {
			out = append(out, g.Group)
		}
	}
	return out
}
