// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package picture

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
)

// Board is what the class sign-in board shows to anyone who has the class
// code: the class name, the avatars of its pupils and the picture grid.
// It names no pupil.
type Board struct {
	Code      string
	ClassName string
	GridSize  int
	Length    int
	Avatars   []string // avatar IDs of the pupils who may sign in, in catalogue order
	Grid      []string // picture IDs, in display order
}

// Board returns the board of a class code. Errors: core.Invalid (not a
// class code), core.NotFound (no class has it).
func (s *Service) Board(ctx context.Context, code string) (*Board, error) {
	l, err := s.board(ctx, code)
	if err != nil {
		return nil, err
	}
	return l.board, nil
}

// loadedBoard is a board with what a login attempt on it needs.
type loadedBoard struct {
	board    *Board
	class    *Class
	group    *directory.Group
	byAvatar map[string]*Secret // secrets of the pupils who may sign in
}

// board loads the board of a class code.
func (s *Service) board(ctx context.Context, rawCode string) (*loadedBoard, error) {
	const op = "picture.Board"
	code, err := ParseCode(rawCode)
	if err != nil {
		return nil, err
	}
	c, err := s.store.FindPictureClassByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	gs, err := s.store.FindGroups(ctx, directory.GroupFilter{ID: c.GroupID})
	if err != nil {
		return nil, err
	}
	if len(gs) != 1 {
		return nil, core.E(op, core.NotFound, "no class has this code")
	}
	secrets, err := s.store.FindPictureSecrets(ctx, c.GroupID)
	if err != nil {
		return nil, err
	}
	l := &loadedBoard{class: c, group: gs[0], byAvatar: make(map[string]*Secret, len(secrets)),
		board: &Board{Code: c.Code, ClassName: gs[0].Name, GridSize: c.GridSize, Length: c.Length, Grid: c.Grid()}}
	for _, sec := range secrets {
		if _, ok := avatarIndex[sec.Avatar]; ok && l.byAvatar[sec.Avatar] == nil {
			l.byAvatar[sec.Avatar] = sec
		}
	}
	for _, a := range Avatars {
		if l.byAvatar[a.ID] != nil {
			l.board.Avatars = append(l.board.Avatars, a.ID)
		}
	}
	return l, nil
}

// Attempt is a picture login attempt as the board posts it.
type Attempt struct {
	Code      string // class code
	Avatar    string // avatar ID
	Sequence  string // canonical encoding of the tapped pictures
	Source    string // client IP
	UserAgent string
}

// Login checks a picture sequence and opens a session (level 1, methods
// ["pic"]). It returns the session cookie value and the principal. Every
// attempt is journaled as "auth.login" with the method and the class
// board in its attributes, the pupil's login as target when the avatar is
// known, and never the sequence. Errors: core.Unauthenticated (wrong
// avatar or sequence, the same message for both), core.TooMany (the
// pupil's or the board's bound is reached: wait), core.Permission (the
// account may not log in), core.Invalid or core.NotFound (no such board).
func (s *Service) Login(ctx context.Context, a Attempt) (string, core.Principal, error) {
	const op = "picture.Login"
	now := s.clock.Now()
	l, err := s.board(ctx, a.Code)
	if err != nil {
		if k := core.KindOf(err); k == core.Invalid || k == core.NotFound {
			s.journalFailure(ctx, a, nil, nil, "unknown class code")
		}
		return "", core.Principal{}, err
	}
	b, c := l.board, l.class
	if wait := s.guard.classWait(c.GroupID, now); wait > 0 {
		s.journalFailure(ctx, a, l, nil, fmt.Sprintf("class board throttled for %s after repeated failures", roundUp(wait)))
		return "", core.Principal{}, core.E(op, core.TooMany, "too many wrong attempts on this board: wait %s", roundUp(wait))
	}
	sec := l.byAvatar[a.Avatar]
	if sec == nil || !slices.Contains(b.Avatars, a.Avatar) {
		s.guard.fail(c.GroupID, "", now)
		s.journalFailure(ctx, a, l, nil, "unknown avatar")
		return "", core.Principal{}, core.E(op, core.Unauthenticated, "wrong avatar or pictures")
	}
	person, err := s.store.FindPerson(ctx, sec.PersonID)
	if err != nil {
		return "", core.Principal{}, err
	}
	if wait := s.guard.pupilWait(person.ID, now); wait > 0 {
		s.journalFailure(ctx, a, l, person, fmt.Sprintf("throttled for %s after repeated failures", roundUp(wait)))
		return "", core.Principal{}, core.E(op, core.TooMany, "too many wrong attempts: wait %s", roundUp(wait))
	}
	seq, err := ParseSequence(a.Sequence, b.Grid, c.Length)
	if err != nil || len(seq) != c.Length || !s.verify(sec.Hash, person.ID, seq) {
		s.guard.fail(c.GroupID, person.ID, now)
		s.journalFailure(ctx, a, l, person, "wrong picture sequence")
		return "", core.Principal{}, core.E(op, core.Unauthenticated, "wrong avatar or pictures")
	}
	if person.State != directory.Active || person.Profile != core.ProfilePupil {
		s.journalFailure(ctx, a, l, person, fmt.Sprintf("account is %s", person.State))
		return "", core.Principal{}, core.E(op, core.Permission, "this account cannot log in (%s)", person.State)
	}
	s.guard.succeed(person.ID)
	return s.sessions.LoginWithPictures(ctx, person, auth.PictureAttempt{Source: a.Source,
		UserAgent: a.UserAgent, Class: c.Code})
}

// journalFailure journals a refused picture login attempt, like
// auth.Service does for passwords: the claimed identity is the pupil of
// the avatar when there is one, else the board and the avatar tried.
func (s *Service) journalFailure(ctx context.Context, a Attempt, l *loadedBoard, person *directory.Person, reason string) {
	code, chain := clip(a.Code, 20), journal.DeploymentChain
	if l != nil {
		code, chain = l.class.Code, l.group.Establishment
	}
	e := journal.Entry{Chain: chain, Action: "auth.login", TargetType: "person",
		TargetName: "pictures:" + code + "/" + clip(a.Avatar, 20), Attributes: auth.PictureAttributes(code),
		Result: journal.Refused, Reason: reason}
	if person != nil {
		e.TargetID, e.TargetName = person.ID, person.Login
	}
	e.SetActor(core.Principal{Login: e.TargetName, Channel: core.ChannelWeb, Source: a.Source})
	if err := s.store.Journal(ctx, e); err != nil {
		s.log.Error("journaling a failed picture login failed", "err", err)
	}
}

// roundUp rounds a wait up to the second, so that "wait 0s" never shows.
func roundUp(d time.Duration) time.Duration {
	return ((d + time.Second - 1) / time.Second) * time.Second
}

// clip bounds untrusted text before it is journaled.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
