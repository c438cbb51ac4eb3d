// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/privacy"
	"github.com/preau/preau/internal/store"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestPrivacyRecords_INF_ANN_n1: a controller and delegates per
// establishment, with every change journaled (field names only) in the
// establishment's chain.
// CARINE: INF-ANN-n1
func TestPrivacyRecords_INF_ANN_n1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		est := dirtest.NewEstablishment(999501, directory.College)
		must(t, db.CreateEstablishment(ctx, est))
		if _, err := db.PrivacyController(ctx, est.ID); !core.IsKind(err, core.NotFound) {
			t.Fatalf("no controller yet: %v", err)
		}
		c := &privacy.Controller{Establishment: est.ID, Name: "Mme Claire Martin", Role: "Principale",
			Contact: "ce.0999501@ac-demo.fr", UpdatedBy: "m.dupont"}
		must(t, db.PutPrivacyController(ctx, c))
		c2 := *c
		c2.Contact, c2.DPOName, c2.DPOContact = "https://ac-demo.fr/rgpd", "DPD de l’académie", "dpd@ac-demo.fr"
		must(t, db.PutPrivacyController(ctx, &c2))
		got, err := db.PrivacyController(ctx, est.ID)
		must(t, err)
		if got.Contact != c2.Contact || got.DPOName != c2.DPOName || got.UpdatedBy != "m.dupont" || got.UpdatedAt.IsZero() {
			t.Fatalf("controller %+v", got)
		}
		if err := db.PutPrivacyController(ctx, &privacy.Controller{Establishment: core.NewID(), Name: "x", Role: "y",
			Contact: "a@b.fr"}); !core.IsKind(err, core.NotFound) {
			t.Fatalf("unknown establishment: %v", err)
		}

		now := time.Now().UTC().Truncate(time.Second)
		d1 := &privacy.Delegate{ID: core.NewID(), Establishment: est.ID, Name: "M. Paul Durand, gestionnaire",
			Scope: "comptes des élèves", From: now.Add(-48 * time.Hour), CreatedBy: "m.dupont"}
		d2 := &privacy.Delegate{ID: core.NewID(), Establishment: est.ID, Name: "Le référent numérique",
			Scope: "sauvegardes", Contact: "ref@ac-demo.fr", From: now.Add(-24 * time.Hour), Until: now.Add(24 * time.Hour),
			CreatedBy: "m.dupont"}
		must(t, db.AddPrivacyDelegate(ctx, d1))
		must(t, db.AddPrivacyDelegate(ctx, d2))
		must(t, db.EndPrivacyDelegate(ctx, est.ID, d1.ID, now))
		if err := db.EndPrivacyDelegate(ctx, est.ID, d1.ID, now.Add(time.Hour)); !core.IsKind(err, core.NotFound) {
			t.Fatalf("ending an ended delegation: %v", err)
		}
		ds, err := db.PrivacyDelegates(ctx, est.ID)
		must(t, err)
		if len(ds) != 2 || ds[0].ID != d1.ID || !ds[0].Until.Equal(now) || ds[1].Contact != "ref@ac-demo.fr" ||
			!ds[1].Until.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("delegates %+v %+v", ds[0], ds[1])
		}

		es, err := db.FindJournal(ctx, journal.Filter{Chain: est.ID, Action: "privacy."})
		must(t, err)
		var got2 []string
		for _, e := range es {
			got2 = append(got2, e.Action+" "+strings.Join(e.Attributes, ","))
			if e.TargetName != est.UAI {
				t.Errorf("entry %s targets %q", e.Action, e.TargetName)
			}
		}
		want := []string{"privacy.controller.put name,role,contact", "privacy.controller.put contact,dpo_name,dpo_contact",
			"privacy.delegate.add delegate:" + d1.Name, "privacy.delegate.add delegate:" + d2.Name,
			"privacy.delegate.end delegate:" + d1.Name}
		if !slices.Equal(got2, want) {
			t.Fatalf("journal\n got %q\nwant %q", got2, want)
		}
	})
}

// TestPeopleStats counts people per profile, state and pending password
// change with one grouped query, once per person even when attached twice.
func TestPeopleStats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		a, b := dirtest.NewEstablishment(999502, directory.College), dirtest.NewEstablishment(999503, directory.Ecole)
		must(t, db.CreateEstablishment(ctx, a))
		must(t, db.CreateEstablishment(ctx, b))
		var people []directory.NewPerson
		add := func(login string, prof core.Profile, st directory.State, mustChange bool, ests ...string) {
			p := dirtest.NewPerson(login, prof, ests...)
			p.State, p.MustChangePassword = st, mustChange
			people = append(people, directory.NewPerson{Person: p, PasswordHash: "h"})
		}
		add("p1", core.ProfilePupil, directory.Active, true, a.ID)
		add("p2", core.ProfilePupil, directory.Active, false, a.ID)
		add("p3", core.ProfilePupil, directory.Pending, true, a.ID)
		add("p4", core.ProfilePupil, directory.Active, true, b.ID)
		add("t1", core.ProfileTeacher, directory.Active, false, a.ID, b.ID) // two schools: counted once
		add("t2", core.ProfileTeacher, directory.Disabled, false, a.ID)
		svc := dirtest.NewPerson("moodle", core.ProfileStaff, a.ID)
		svc.Service = true
		people = append(people, directory.NewPerson{Person: svc})
		must(t, db.CreatePeople(ctx, people))

		count := func(ests []string) map[string]int {
			cs, err := db.PeopleStats(ctx, ests)
			must(t, err)
			m := map[string]int{}
			for _, c := range cs {
				k := string(c.Profile) + "/" + string(c.State)
				if c.MustChange {
					k += "/must"
				}
				m[k] += c.N
			}
			return m
		}
		wantA := map[string]int{"pupil/active/must": 1, "pupil/active": 1, "pupil/pending/must": 1,
			"teacher/active": 1, "teacher/disabled": 1}
		if got := count([]string{a.ID}); !equalMaps(got, wantA) {
			t.Errorf("establishment a: %v, want %v", got, wantA)
		}
		wantAll := map[string]int{"pupil/active/must": 2, "pupil/active": 1, "pupil/pending/must": 1,
			"teacher/active": 1, "teacher/disabled": 1}
		if got := count([]string{a.ID, b.ID}); !equalMaps(got, wantAll) {
			t.Errorf("both: %v, want %v", got, wantAll)
		}
		if got := count(nil); !equalMaps(got, wantAll) {
			t.Errorf("deployment: %v, want %v", got, wantAll)
		}
		if got := count([]string{}); len(got) != 0 {
			t.Errorf("no establishment: %v", got)
		}
	})
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMyDataExportHoldsNoSecret_INF_ANN_n1 builds the "my data" export of a
// person who has every secret Préau keeps — password hash and history, TOTP
// seed, recovery codes, passkey key material and credential ID, picture
// sequence hash, session ID, SSO ticket — and checks that the JSON and CSV
// downloads hold everything else and none of those values.
// CARINE: INF-ANN-n1 (the people concerned are informed), INF-AUT-10 (no secret leaves)
func TestMyDataExportHoldsNoSecret_INF_ANN_n1(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		now := time.Now().UTC()
		est := dirtest.NewEstablishment(999504, directory.Ecole)
		must(t, db.CreateEstablishment(ctx, est))
		pupil := dirtest.NewPerson("lea.martin", core.ProfilePupil, est.ID)
		pupil.ExternalIDs = map[string]string{"ine": "123456789AB"}
		pupil.Mail = "lea.martin@eleves.e999504.demo.test"
		secrets := map[string]string{
			"password hash":     "$argon2id$v=19$m=65536,t=3,p=2$U0VDUkVULVNBTFQ$SECRETPASSWORDHASHVALUE",
			"old password hash": "$argon2id$v=19$m=65536,t=3,p=2$T0xELVNBTFQ$OLDPASSWORDHASHVALUE",
			"totp seed":         "JBSWY3DPEHPK3PXPSECRETSEED",
			"recovery code":     "rc-hash-3f1a2b-SECRET",
			"passkey id":        "cred-SECRET-ID-b64url",
			"passkey data":      "PUBLICKEY-SECRET-MATERIAL",
			"picture hash":      "$argon2id$v=19$PICTURE-SEQUENCE-HASH",
			"session id":        "sess-SECRET-0123456789abcdef",
			"sso ticket":        "ST-SECRET-TICKET-42",
			"api token hash":    "TOKEN-HASH-SECRET-0f0f0f",
			"api token id":      "TOKEN-ID-SECRET",
			"refresh token":     "RT-SECRET-REFRESH-TOKEN",
			"refresh data":      "RT-DATA-SECRET-CLAIMS",
		}
		must(t, db.CreatePeople(ctx, []directory.NewPerson{{Person: pupil, PasswordHash: secrets["old password hash"]}}))
		must(t, db.SetPasswordHash(ctx, pupil.ID, secrets["password hash"], false, journal.Entry{Action: "auth.password.change",
			TargetType: "person", TargetID: pupil.ID, TargetName: pupil.Login}))
		g := &directory.Group{ID: core.NewID(), Establishment: est.ID, Code: "CM1-A", Name: "CM1 A", Kind: "class",
			SchoolYear: 2026}
		must(t, db.CreateGroups(ctx, []*directory.Group{g}))
		must(t, db.AddMembers(ctx, []directory.Membership{{GroupID: g.ID, PersonID: pupil.ID, Role: "member"}}))
		must(t, db.CreateGrant(ctx, &directory.Grant{ID: core.NewID(), Establishment: est.ID, GroupID: g.ID,
			Right: core.RightPublishPublic, GrantedBy: "dir.ecole", From: now}))
		sess := &auth.Session{ID: secrets["session id"], PersonID: pupil.ID, CreatedAt: now, LastSeen: now,
			ExpiresAt: now.Add(time.Hour), Source: "192.0.2.7", UserAgent: "=cmd|' /C calc'!A0", AuthLevel: 1,
			Methods: []string{"pwd"}, AuthTime: now}
		must(t, db.CreateSession(ctx, sess, journal.Entry{Action: "auth.login", TargetType: "person", TargetID: pupil.ID,
			TargetName: pupil.Login}))
		must(t, db.PutTOTP(ctx, &auth.TOTPSecret{PersonID: pupil.ID, Secret: secrets["totp seed"], CreatedAt: now}))
		must(t, db.ConfirmTOTP(ctx, pupil.ID, 1, []string{secrets["recovery code"]},
			auth.SessionUpgrade{SessionID: sess.ID, Level: 2, Methods: []string{"pwd", "otp"}, At: now},
			journal.Entry{Action: "auth.totp.enrol", TargetType: "person", TargetID: pupil.ID}))
		must(t, db.AddPasskey(ctx, &auth.Passkey{ID: secrets["passkey id"], PersonID: pupil.ID, Name: "Clé bleue",
			Data: []byte(`{"pk":"` + secrets["passkey data"] + `"}`), CreatedAt: now},
			auth.SessionUpgrade{SessionID: sess.ID, Level: 2, Methods: []string{"hwk"}, At: now},
			journal.Entry{Action: "auth.passkey.add", TargetType: "person", TargetID: pupil.ID}))
		must(t, db.PutPictureSecrets(ctx, []*picture.Secret{{PersonID: pupil.ID, Avatar: "hibou",
			Hash: secrets["picture hash"], ChangedAt: now}}, nil))
		client := &sso.Client{ID: "moodle", Protocol: sso.CAS, Name: "Moodle", URIs: []string{"https://moodle.test/*"},
			MinLevel: 1, CreatedAt: now}
		must(t, db.PutClient(ctx, client, journal.Entry{Action: "sso.client.register"}))
		must(t, db.AddLogin(ctx, &sso.Login{SessionID: sess.ID, ClientID: "moodle", Service: "https://moodle.test/login",
			Ticket: secrets["sso ticket"], CreatedAt: now}))
		oidcClient := &sso.Client{ID: "nextcloud", Protocol: sso.OIDC, Name: "Nextcloud",
			URIs: []string{"https://cloud.test/cb"}, MinLevel: 1, CreatedAt: now}
		must(t, db.PutClient(ctx, oidcClient, journal.Entry{Action: "sso.client.register"}))
		must(t, db.CreateRefreshToken(ctx, &sso.RefreshToken{ID: secrets["refresh token"], Family: "f1", ClientID: "nextcloud",
			PersonID: pupil.ID, SessionID: sess.ID, Data: secrets["refresh data"], CreatedAt: now,
			ExpiresAt: now.Add(24 * time.Hour)}, ""))
		must(t, db.CreateToken(ctx, &auth.Token{ID: secrets["api token id"], PersonID: pupil.ID, Name: "jeton-cahier",
			Hash: secrets["api token hash"], CreatedAt: now}, journal.Entry{Action: "auth.token.create"}))
		must(t, db.CreateNotice(ctx, &notify.Notice{ID: core.NewID(), PersonID: pupil.ID, At: now,
			Subject: "Bienvenue", Body: "Votre compte est prêt."}))
		must(t, db.PutPrivacyController(ctx, &privacy.Controller{Establishment: est.ID, Name: "M. le DASEN",
			Role: "DASEN", Contact: "dasen@ac-demo.fr", UpdatedBy: "op"}))

		x, err := privacy.Build(ctx, privacy.Deps{Source: db, Clock: core.SystemClock{}}, pupil.ID)
		must(t, err)
		var js, cs bytes.Buffer
		must(t, x.WriteJSON(&js))
		must(t, x.WriteCSV(&cs))
		for name, out := range map[string][]byte{"JSON": js.Bytes(), "CSV": cs.Bytes()} {
			for what, secret := range secrets {
				if bytes.Contains(out, []byte(secret)) {
					t.Errorf("the %s export holds the %s %q", name, what, secret)
				}
			}
			if bytes.Contains(out, []byte("$argon2id")) {
				t.Errorf("the %s export holds a hash", name)
			}
			for _, want := range []string{"lea.martin", "123456789AB", "CM1 A", "Clé bleue", "hibou", "Moodle", "Nextcloud", "jeton-cahier",
				"192.0.2.7", "Bienvenue", "dasen@ac-demo.fr", "auth.password.change"} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("the %s export lacks %q", name, want)
				}
			}
		}
		var m map[string]any
		must(t, json.Unmarshal(js.Bytes(), &m))
		if sf := m["second_factors"].([]any); len(sf) != 2 {
			t.Errorf("second factors %v", sf)
		}
		if gs := m["grants"].([]any); len(gs) != 1 || gs[0].(map[string]any)["via_group"] != "CM1 A" {
			t.Errorf("grants %v", gs)
		}
		if pl := m["picture_login"].(map[string]any); pl["enabled"] != true {
			t.Errorf("picture login %v", pl)
		}
		if !strings.Contains(cs.String(), "sessions,1,user_agent,'=cmd") {
			t.Errorf("a formula in the CSV is not defused:\n%s", cs.String())
		}
	})
}

// TestPersonJournal returns the newest entries where the person acted or
// was acted on, bounded, and no one else's.
func TestPersonJournal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) *store.DB) {
		db := open(t)
		ctx := dirtest.Ctx()
		me, other := core.NewID(), core.NewID()
		add := func(actor, target, action string) {
			must(t, db.Journal(ctx, journal.Entry{Channel: "web", ActorID: actor, ActorLogin: "x", Action: action,
				TargetType: "person", TargetID: target}))
		}
		add(me, other, "a1")    // I acted
		add(other, me, "a2")    // about me
		add(other, other, "a3") // not mine
		add(me, me, "a4")       // both: listed once
		es, err := db.PersonJournal(ctx, me, 10)
		must(t, err)
		var got []string
		for _, e := range es {
			got = append(got, e.Action)
		}
		if !slices.Equal(got, []string{"a4", "a2", "a1"}) {
			t.Errorf("entries %v", got)
		}
		es, err = db.PersonJournal(ctx, me, 2)
		must(t, err)
		if len(es) != 2 || es[0].Action != "a4" || es[1].Action != "a2" {
			t.Errorf("bounded: %d entries", len(es))
		}
	})
}
