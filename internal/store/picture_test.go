// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/store"
)

// pictureSchool is an école with a class of pupils, its teacher, the
// teacher of another class, the head, and a collège class.
type pictureSchool struct {
	db                      *store.DB
	clock                   *core.FakeClock
	auth                    *auth.Service
	pics                    *picture.Service
	ecole, college          *directory.Establishment
	gs, cp, sixieme         *directory.Group
	teacher, other, head    *directory.Person
	pupils                  []*directory.Person
	teacherCtx, otherCtx    context.Context
	headCtx, collegeHeadCtx context.Context
}

// cheapArgon2 keeps the tests fast: these hashes never leave the test.
var cheapArgon2 = auth.Params{MemoryKiB: 64, Time: 1, Threads: 1}

func newPictureSchool(t *testing.T, open func(testing.TB) *store.DB, pupils int) *pictureSchool {
	t.Helper()
	ctx := dirtest.Ctx()
	s := &pictureSchool{clock: core.NewFakeClock(time.Date(2026, 11, 30, 8, 30, 0, 0, time.UTC))}
	s.db, _ = store.Reopen(open(t), store.Config{Clock: s.clock})
	cfg := auth.Config{Argon2: cheapArgon2}
	cfg.Defaults()
	quiet := slog.New(slog.DiscardHandler)
	s.auth = auth.New(cfg, auth.Deps{Store: s.db, Clock: s.clock, Log: quiet})
	s.pics = picture.New(picture.Deps{Store: s.db, Sessions: s.auth, Clock: s.clock, Log: quiet})
	s.ecole = dirtest.NewEstablishment(999301, directory.Ecole)
	s.college = dirtest.NewEstablishment(999302, directory.College)
	picMust(t, s.db.CreateEstablishment(ctx, s.ecole))
	picMust(t, s.db.CreateEstablishment(ctx, s.college))
	s.teacher = dirtest.NewPerson("ines.garnier", core.ProfileTeacher, s.ecole.ID)
	s.other = dirtest.NewPerson("marc.leroy", core.ProfileTeacher, s.ecole.ID)
	s.head = dirtest.NewPerson("claire.roux", core.ProfileHead, s.ecole.ID)
	collegeHead := dirtest.NewPerson("paul.morel", core.ProfileHead, s.college.ID)
	people := []directory.NewPerson{{Person: s.teacher}, {Person: s.other}, {Person: s.head}, {Person: collegeHead}}
	for i := range pupils {
		p := dirtest.NewPerson(fmt.Sprintf("eleve.%02d", i), core.ProfilePupil, s.ecole.ID)
		p.MustChangePassword = true // freshly imported: the password is still the initial one
		s.pupils = append(s.pupils, p)
		people = append(people, directory.NewPerson{Person: p})
	}
	picMust(t, s.db.CreatePeople(ctx, people))
	group := func(est *directory.Establishment, code, level string) *directory.Group {
		return &directory.Group{ID: core.NewID(), Establishment: est.ID, Code: code, Name: "Classe " + code,
			Kind: directory.Class, SchoolYear: 2026, Level: level}
	}
	s.gs, s.cp, s.sixieme = group(s.ecole, "GS-A", "GS"), group(s.ecole, "CP-B", "CP"), group(s.college, "6A", "6e")
	picMust(t, s.db.CreateGroups(ctx, []*directory.Group{s.gs, s.cp, s.sixieme}))
	ms := []directory.Membership{{GroupID: s.gs.ID, PersonID: s.teacher.ID, Role: directory.RoleOwner},
		{GroupID: s.cp.ID, PersonID: s.other.ID, Role: directory.RoleOwner}}
	for _, p := range s.pupils {
		ms = append(ms, directory.Membership{GroupID: s.gs.ID, PersonID: p.ID, Role: directory.RoleMember})
	}
	picMust(t, s.db.AddMembers(ctx, ms))
	as := func(p *directory.Person) context.Context {
		pr, err := s.auth.PrincipalForLogin(context.Background(), p.Login)
		picMust(t, err)
		pr.Channel, pr.Source = core.ChannelWeb, "192.0.2.10"
		return core.ContextWithPrincipal(context.Background(), pr)
	}
	s.teacherCtx, s.otherCtx, s.headCtx, s.collegeHeadCtx = as(s.teacher), as(s.other), as(s.head), as(collegeHead)
	return s
}

func picMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// login tries a picture login from the board.
func (s *pictureSchool) login(code string, c picture.Card, seq picture.Sequence) (string, core.Principal, error) {
	return s.pics.Login(context.Background(), picture.Attempt{Code: code, Avatar: c.Avatar, Sequence: seq.String(),
		Source: "198.51.100.7", UserAgent: "test"})
}

// wrong returns a sequence of the right length that is not c's.
func picWrong(c picture.Card, grid []string) picture.Sequence {
	w := slices.Clone(c.Sequence)
	for _, id := range grid {
		if !slices.Contains(w, id) {
			w[0] = id
			return w
		}
	}
	panic("no wrong sequence")
}

func picJournal(t *testing.T, db *store.DB, action string) []*journal.Entry {
	t.Helper()
	es, err := db.FindJournal(dirtest.Ctx(), journal.Filter{Action: action, Limit: 10000})
	picMust(t, err)
	return es
}

// CARINE: INF-AUT-1 (picture mode per class, 1st degree only), INF-AUT-10
// (only argon2id hashes stored; the clear sequences only in the cards).
// The class's teacher, and the head, may turn picture login on; the
// teacher of another class is refused and the refusal journaled; a
// collège class is refused.
func TestPictureEnable_INF_AUT_1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		s := newPictureSchool(t, open, 30)
		if _, _, err := s.pics.Enable(s.otherCtx, s.gs.ID, 9, 3); core.KindOf(err) != core.Permission {
			t.Fatalf("teacher of another class: %v", err)
		}
		refused := picJournal(t, s.db, "auth.picture.enable")
		if len(refused) != 1 || refused[0].Result != journal.Refused || refused[0].ActorLogin != s.other.Login ||
			refused[0].TargetID != s.gs.ID || refused[0].Chain != s.ecole.ID {
			t.Fatalf("refusal journal: %+v", refused)
		}
		if _, _, err := s.pics.Enable(s.collegeHeadCtx, s.sixieme.ID, 9, 3); core.KindOf(err) != core.Invalid {
			t.Fatalf("collège class: %v", err)
		}
		if _, _, err := s.pics.Enable(s.teacherCtx, s.gs.ID, 10, 3); core.KindOf(err) != core.Invalid {
			t.Fatalf("grid of 10: %v", err)
		}
		c, cards, err := s.pics.Enable(s.teacherCtx, s.gs.ID, 9, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := picture.ParseCode(c.Code); err != nil || c.EnabledBy != s.teacher.Login {
			t.Fatalf("class: %+v %v", c, err)
		}
		if _, _, err := s.pics.Enable(s.headCtx, s.gs.ID, 9, 3); core.KindOf(err) != core.Conflict {
			t.Fatalf("enabled twice: %v", err)
		}
		avatars := map[string]bool{}
		for _, card := range cards {
			if avatars[card.Avatar] {
				t.Fatalf("avatar %s given twice", card.Avatar)
			}
			avatars[card.Avatar] = true
			if len(card.Sequence) != 3 {
				t.Fatalf("sequence %v", card.Sequence)
			}
			for _, id := range card.Sequence {
				if !slices.Contains(c.Grid(), id) {
					t.Fatalf("picture %s not on the grid %v", id, c.Grid())
				}
			}
		}
		if len(cards) != 30 {
			t.Fatalf("%d cards", len(cards))
		}
		secrets, err := s.db.FindPictureSecrets(context.Background(), s.gs.ID)
		if err != nil || len(secrets) != 30 {
			t.Fatalf("secrets: %d %v", len(secrets), err)
		}
		for _, sec := range secrets {
			if !strings.HasPrefix(sec.Hash, "$argon2id$") {
				t.Fatalf("stored secret is not an argon2id hash: %q", sec.Hash)
			}
			for _, card := range cards {
				if strings.Contains(sec.Hash, card.Sequence.String()) {
					t.Fatal("a sequence is stored in clear")
				}
			}
		}
		if es := picJournal(t, s.db, "auth.picture.set"); len(es) != 30 || es[0].ActorLogin != s.teacher.Login ||
			es[0].TargetType != "person" {
			t.Fatalf("secret journal: %d entries", len(es))
		}
		// The head sees the class; the other teacher may not even look.
		if d, err := s.pics.Class(s.headCtx, s.gs.ID); err != nil || len(d.Pupils) != 30 || !d.Maternelle ||
			d.Picture == nil || d.Pupils[0].Avatar == "" {
			t.Fatalf("head's view: %+v %v", d, err)
		}
		if _, err := s.pics.Class(s.otherCtx, s.gs.ID); core.KindOf(err) != core.Permission {
			t.Fatalf("other teacher's view: %v", err)
		}
		list, err := s.pics.Classes(s.teacherCtx)
		if err != nil || len(list) != 1 || list[0].Group.ID != s.gs.ID || list[0].Picture == nil {
			t.Fatalf("teacher's classes: %+v %v", list, err)
		}
		if list, err := s.pics.Classes(s.headCtx); err != nil || len(list) != 2 {
			t.Fatalf("head's classes: %+v %v", list, err)
		}
		if err := s.pics.Disable(s.otherCtx, s.gs.ID); core.KindOf(err) != core.Permission {
			t.Fatalf("other teacher disables: %v", err)
		}
		picMust(t, s.pics.Disable(s.teacherCtx, s.gs.ID))
		if _, err := s.pics.Board(context.Background(), c.Code); core.KindOf(err) != core.NotFound {
			t.Fatalf("board of a disabled class: %v", err)
		}
		if secrets, _ := s.db.FindPictureSecrets(context.Background(), s.gs.ID); len(secrets) != 0 {
			t.Fatalf("%d secrets left after disabling", len(secrets))
		}
	})
}

// CARINE: INF-AUT-1, INF-AUT-13 — a pupil signs in with their avatar and
// pictures: the session's principal has methods ["pic"] at level 1 and is
// not held back by the password's must-change flag; a wrong sequence is
// refused; every attempt is journaled with the method, source and reason,
// never the sequence.
func TestPictureLogin_INF_AUT_1_INF_AUT_13(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		s := newPictureSchool(t, open, 4)
		c, cards, err := s.pics.Enable(s.teacherCtx, s.gs.ID, 12, 4)
		picMust(t, err)
		b, err := s.pics.Board(context.Background(), strings.ToLower(c.Code))
		if err != nil || len(b.Avatars) != 4 || len(b.Grid) != 12 || b.Length != 4 {
			t.Fatalf("board: %+v %v", b, err)
		}
		card := cards[1]
		if _, _, err := s.login(c.Code, card, picWrong(card, c.Grid())); core.KindOf(err) != core.Unauthenticated {
			t.Fatalf("wrong sequence: %v", err)
		}
		if _, _, err := s.login(c.Code, picture.Card{Avatar: "nobody"}, card.Sequence); core.KindOf(err) != core.Unauthenticated {
			t.Fatalf("unknown avatar: %v", err)
		}
		if _, _, err := s.login("ZZZZZZ", card, card.Sequence); err == nil {
			t.Fatal("unknown class code accepted")
		}
		cookie, p, err := s.login(c.Code, card, card.Sequence)
		if err != nil || p.PersonID != card.Person.ID || !slices.Equal(p.AuthMethods, []string{"pic"}) || p.MustChangePassword {
			t.Fatalf("login: %+v %v", p, err)
		}
		sp, err := s.auth.SessionPrincipal(context.Background(), cookie)
		if err != nil || !slices.Equal(sp.AuthMethods, []string{picture.Method}) || sp.AuthLevel != 1 ||
			sp.MustChangePassword || sp.Login != card.Person.Login {
			t.Fatalf("session principal: %+v %v", sp, err)
		}
		es := picJournal(t, s.db, "auth.login")
		if len(es) != 4 {
			t.Fatalf("%d login entries", len(es))
		}
		for i, want := range []struct {
			result     journal.Result
			reason     string
			targetName string
		}{
			{journal.Refused, "wrong picture sequence", card.Person.Login},
			{journal.Refused, "unknown avatar", "pictures:" + c.Code + "/nobody"},
			{journal.Refused, "unknown class code", "pictures:ZZZZZZ/" + card.Avatar},
			{journal.Done, "", card.Person.Login},
		} {
			e := es[i]
			if e.Result != want.result || e.Reason != want.reason || e.TargetName != want.targetName ||
				e.Source != "198.51.100.7" || e.Channel != "web" || !slices.Contains(e.Attributes, "method:pic") {
				t.Errorf("entry %d: %+v", i, e)
			}
			for _, card := range cards {
				if strings.Contains(fmt.Sprint(*e), card.Sequence.String()) {
					t.Errorf("entry %d holds a sequence", i)
				}
			}
		}
		// A malformed or short sequence is a wrong one.
		for _, bad := range []string{"", "sun", "sun-sun-sun-sun-sun", "dog-dog-dog-dog", "<script>"} {
			_, _, err := s.pics.Login(context.Background(), picture.Attempt{Code: c.Code, Avatar: card.Avatar, Sequence: bad})
			if core.KindOf(err) != core.Unauthenticated {
				t.Errorf("sequence %q: %v", bad, err)
			}
		}
	})
}

// CARINE: INF-AUT-1 (rate limiting and lockout), INF-AUT-13 — after 5
// wrong sequences a pupil waits 30 s, then twice as long at each failure
// up to 15 min, never for good; one class board takes at most 60 wrong
// attempts in 10 minutes, while a class of 30 that logs in at once, each
// child missing once, gets in.
func TestPictureGuessingBounds_INF_AUT_1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		s := newPictureSchool(t, open, 30)
		c, cards, err := s.pics.Enable(s.teacherCtx, s.gs.ID, 9, 3)
		picMust(t, err)
		grid := c.Grid()

		// A class of 30 at once, each child missing once.
		for _, card := range cards {
			if _, _, err := s.login(c.Code, card, picWrong(card, grid)); core.KindOf(err) != core.Unauthenticated {
				t.Fatalf("wrong: %v", err)
			}
			if _, _, err := s.login(c.Code, card, card.Sequence); err != nil {
				t.Fatalf("%s could not log in with the class: %v", card.Person.Login, err)
			}
		}

		// One pupil: 5 failures, then a delay even for the right sequence.
		s.clock.Advance(11 * time.Minute) // the class window is empty again
		card := cards[0]
		for range 5 {
			if _, _, err := s.login(c.Code, card, picWrong(card, grid)); core.KindOf(err) != core.Unauthenticated {
				t.Fatalf("wrong: %v", err)
			}
		}
		if _, _, err := s.login(c.Code, card, card.Sequence); core.KindOf(err) != core.TooMany {
			t.Fatalf("after 5 failures: %v", err)
		}
		s.clock.Advance(30 * time.Second)
		if _, _, err := s.login(c.Code, card, card.Sequence); err != nil {
			t.Fatalf("after the delay: %v", err)
		}
		// The delay doubles and stops at 15 minutes.
		for i := range 12 {
			if _, _, err := s.login(c.Code, card, picWrong(card, grid)); core.KindOf(err) != core.Unauthenticated {
				t.Fatalf("failure %d: %v", i, err)
			}
			if i >= 4 {
				s.clock.Advance(16 * time.Minute) // longer than any delay
			}
		}
		if _, _, err := s.login(c.Code, card, card.Sequence); err != nil {
			t.Fatalf("locked for more than 15 minutes: %v", err)
		}

		// The class board: 60 wrong attempts in 10 minutes close it.
		s.clock.Advance(11 * time.Minute)
		for i := range 60 {
			card := cards[1+i%29] // 2 or 3 failures each: no pupil is held back
			if _, _, err := s.login(c.Code, card, picWrong(card, grid)); core.KindOf(err) != core.Unauthenticated {
				t.Fatalf("wrong attempt %d: %v", i, err)
			}
		}
		if _, _, err := s.login(c.Code, cards[0], cards[0].Sequence); core.KindOf(err) != core.TooMany {
			t.Fatalf("61st attempt on the board: %v", err)
		}
		s.clock.Advance(10*time.Minute + time.Second)
		if _, _, err := s.login(c.Code, cards[0], cards[0].Sequence); err != nil {
			t.Fatalf("board still closed after its window: %v", err)
		}
		var throttled int
		for _, e := range picJournal(t, s.db, "auth.login") {
			if strings.Contains(e.Reason, "throttled") {
				throttled++
			}
		}
		if throttled != 2 {
			t.Fatalf("%d throttled attempts journaled, want 2", throttled)
		}
	})
}

// CARINE: INF-AUT-10 (printed cards, maternelle), INF-AUT-13 — the
// teacher draws a new sequence for one pupil or prints the class's cards
// (every sequence drawn again); old sequences stop working; both are
// journaled per pupil; a pupil who joined later gets a free avatar.
func TestPictureCards_INF_AUT_10(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		s := newPictureSchool(t, open, 3)
		c, cards, err := s.pics.Enable(s.teacherCtx, s.gs.ID, 9, 3)
		picMust(t, err)
		if _, err := s.pics.Regenerate(s.otherCtx, s.gs.ID, cards[0].Person.ID); core.KindOf(err) != core.Permission {
			t.Fatalf("other teacher regenerates: %v", err)
		}
		fresh, err := s.pics.Regenerate(s.teacherCtx, s.gs.ID, cards[0].Person.ID)
		if err != nil || fresh.Avatar != cards[0].Avatar || fresh.Person.ID != cards[0].Person.ID {
			t.Fatalf("regenerate: %+v %v", fresh, err)
		}
		if _, _, err := s.login(c.Code, *fresh, fresh.Sequence); err != nil {
			t.Fatalf("new sequence: %v", err)
		}
		if !slices.Equal(fresh.Sequence, cards[0].Sequence) {
			if _, _, err := s.login(c.Code, cards[0], cards[0].Sequence); core.KindOf(err) != core.Unauthenticated {
				t.Fatalf("old sequence still works: %v", err)
			}
		}
		// A pupil joins the class: printing the cards gives them an avatar.
		late := dirtest.NewPerson("eleve.tard", core.ProfilePupil, s.ecole.ID)
		picMust(t, s.db.CreatePeople(dirtest.Ctx(), []directory.NewPerson{{Person: late}}))
		picMust(t, s.db.AddMembers(dirtest.Ctx(), []directory.Membership{{GroupID: s.gs.ID, PersonID: late.ID, Role: directory.RoleMember}}))
		_, printed, err := s.pics.PrintCards(s.teacherCtx, s.gs.ID)
		if err != nil || len(printed) != 4 {
			t.Fatalf("print: %d cards, %v", len(printed), err)
		}
		seen := map[string]bool{}
		for _, card := range printed {
			if card.Avatar == "" || seen[card.Avatar] {
				t.Fatalf("avatar %q missing or given twice", card.Avatar)
			}
			seen[card.Avatar] = true
			if _, _, err := s.login(c.Code, card, card.Sequence); err != nil {
				t.Fatalf("printed card of %s: %v", card.Person.Login, err)
			}
		}
		if es := picJournal(t, s.db, "auth.picture.cards"); len(es) != 1 || es[0].ActorLogin != s.teacher.Login {
			t.Fatalf("print journal: %+v", es)
		}
		if es := picJournal(t, s.db, "auth.picture.regenerate"); len(es) != 1+1+4 { // refused, one, four
			t.Fatalf("%d regenerate entries", len(es))
		}
	})
}
