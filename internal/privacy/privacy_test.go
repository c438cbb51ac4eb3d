// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package privacy_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/notify"
	"github.com/preau/preau/internal/privacy"
)

func TestCheckContact(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"ce.0999001w@ac-demo.fr", "https://www.ac-demo.fr/rgpd", "dpd@ac-bordeaux.fr"} {
		if err := privacy.CheckContact("t", "contact", ok, true); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"06 12 34 56 78", "+33612345678", "0612345678", "Claire <c@x.fr>", "http://x.fr",
		"https://", "https://user:pw@x.fr", "c@x.fr\n", "mailto:c@x.fr"} {
		err := privacy.CheckContact("t", "contact", bad, true)
		if !core.IsKind(err, core.Invalid) {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := privacy.CheckContact("t", "contact", "", true); !core.IsKind(err, core.Invalid) {
		t.Error("a missing required contact is accepted")
	}
	if err := privacy.CheckContact("t", "contact", "", false); err != nil {
		t.Errorf("an optional empty contact: %v", err)
	}
}

// FuzzCheckContact: whatever an editor types, the check never panics, and
// what it accepts is a mail address or an https URL without a phone-like
// shape or a control character.
func FuzzCheckContact(f *testing.F) {
	for _, s := range []string{"a@b.fr", "https://x.fr/a?b=c", "06 12 34 56 78", "", "x\x00@y.fr", "Ａ@ｂ.fr",
		"https://[::1]/", "\"quoted\"@x.fr"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if privacy.CheckContact("fuzz", "contact", s, false) != nil || s == "" {
			return
		}
		if strings.ContainsAny(s, "\x00\n\r<>") {
			t.Fatalf("accepted %q", s)
		}
		if !strings.HasPrefix(s, "https://") && !strings.Contains(s, "@") {
			t.Fatalf("accepted %q, neither a mail address nor a web address", s)
		}
	})
}

// TestControllerAndDelegateValidate_INF_ANN_n1: the records the privacy
// page shows are complete and dated.
// CARINE: INF-ANN-n1
func TestControllerAndDelegateValidate_INF_ANN_n1(t *testing.T) {
	t.Parallel()
	c := privacy.Controller{Establishment: "e", Name: "  Mme Martin ", Role: "Principale", Contact: "ce@ac.fr"}
	if err := c.Validate(); err != nil || c.Name != "Mme Martin" {
		t.Fatalf("%v %q", err, c.Name)
	}
	c.DPOName = "DPD"
	if err := c.Validate(); !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), "data protection officer") {
		t.Errorf("a DPO without contact: %v", err)
	}
	c.Role = ""
	if err := c.Validate(); !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), "role") {
		t.Errorf("no role: %v", err)
	}
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	d := privacy.Delegate{Establishment: "e", Name: "Le référent", Scope: "sauvegardes", From: now, Until: now}
	if err := d.Validate(); !core.IsKind(err, core.Invalid) || !strings.Contains(core.MessageOf(err), "after") {
		t.Errorf("end before start: %v", err)
	}
	d.Until = now.Add(24 * time.Hour)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if !d.InForce(now) || d.InForce(now.Add(-time.Second)) || d.InForce(now.Add(24*time.Hour)) {
		t.Error("InForce bounds")
	}
	d.Scope = strings.Repeat("x", 501)
	if err := d.Validate(); !core.IsKind(err, core.Invalid) {
		t.Error("a scope of 501 characters is accepted")
	}
}

func TestCanEdit_INF_ANN_n1(t *testing.T) {
	t.Parallel()
	head := core.Principal{PersonID: "h", Profile: core.ProfileHead, Establishments: []string{"e1"}}
	tech := core.Principal{PersonID: "a", Profile: core.ProfileAdmin, Establishments: []string{"e1"}}
	op := core.Principal{PersonID: "o", Profile: core.ProfileStaff, Grants: []core.Grant{{Right: core.RightOperator}}}
	if !privacy.CanEdit(head, "e1") || privacy.CanEdit(head, "e2") || privacy.CanEdit(tech, "e1") || !privacy.CanEdit(op, "e9") {
		t.Error("only the head of the establishment and operators edit")
	}
	if !privacy.CanRead(tech, "e1") || privacy.CanRead(tech, "e2") {
		t.Error("a technical admin reads their establishments' records")
	}
}

// leaky is a Source whose records carry secrets in every field that can
// hold one, to prove Build copies none of them.
type leaky struct{}

const (
	leakTOTP    = "LEAK-TOTP-SEED"
	leakPasskey = "LEAK-PASSKEY-DATA"
	leakCredID  = "LEAK-CREDENTIAL-ID"
	leakSession = "LEAK-SESSION-ID"
)

var at = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)

func (leaky) FindPerson(context.Context, string) (*directory.Person, error) {
	return &directory.Person{ID: "p1", Login: "lea", GivenName: "Léa", FamilyName: "Martin", DisplayName: "Léa Martin",
		Profile: core.ProfilePupil, State: directory.Active, Establishments: []string{"e1"},
		ExternalIDs: map[string]string{"ine": "INE1", "be1d_id": "B1"}, MustChangePassword: true}, nil
}
func (leaky) FindEstablishment(context.Context, string) (*directory.Establishment, error) {
	return &directory.Establishment{ID: "e1", UAI: "0999001W", Name: "École du Lac", Type: directory.Ecole}, nil
}
func (leaky) FindMemberships(context.Context, string) ([]directory.PersonGroup, error) {
	return []directory.PersonGroup{{Group: &directory.Group{Establishment: "e1", Code: "CM1", Name: "CM1 A"}, Role: "member"}}, nil
}
func (leaky) FindGrants(context.Context, string) ([]*directory.Grant, error) { return nil, nil }
func (leaky) FindSessions(context.Context, string) ([]*auth.Session, error) {
	return []*auth.Session{{ID: leakSession, PersonID: "p1", CreatedAt: at, LastSeen: at, Source: "10.0.0.1"}}, nil
}
func (leaky) PersonSSOLogins(context.Context, string) ([]*privacy.SSOLogin, error) { return nil, nil }
func (leaky) PersonTokens(context.Context, string) ([]*privacy.APIToken, error) {
	return []*privacy.APIToken{{Name: "moodle-sync", CreatedAt: at}}, nil
}
func (leaky) TOTP(context.Context, string) (*auth.TOTPSecret, error) {
	return &auth.TOTPSecret{PersonID: "p1", Secret: leakTOTP, Confirmed: true, CreatedAt: at}, nil
}
func (leaky) RecoveryCodesLeft(context.Context, string) (int, error) { return 7, nil }
func (leaky) Passkeys(context.Context, string) ([]*auth.Passkey, error) {
	return []*auth.Passkey{{ID: leakCredID, PersonID: "p1", Name: "Clé", Data: []byte(leakPasskey), CreatedAt: at}}, nil
}
func (leaky) PasswordChangedAt(context.Context, string) (time.Time, error) { return at, nil }
func (leaky) PersonPictureLogin(context.Context, string) (*privacy.PictureLogin, error) {
	return &privacy.PictureLogin{}, nil
}
func (leaky) FindNotices(context.Context, string, bool) ([]*notify.Notice, error) { return nil, nil }
func (leaky) PersonJournal(context.Context, string, int) ([]*journal.Entry, error) {
	return []*journal.Entry{{At: at, Action: "auth.session.expire", TargetType: "session", TargetID: leakSession,
		Result: journal.Done, Hash: "h", PrevHash: "p"}}, nil
}
func (leaky) PrivacyController(context.Context, string) (*privacy.Controller, error) {
	return nil, core.E("t", core.NotFound, "")
}
func (leaky) PrivacyDelegates(context.Context, string) ([]*privacy.Delegate, error) { return nil, nil }

// TestBuildDropsSecrets_INF_ANN_n1: Build copies no secret a source record
// carries, and every JSON field reaches the CSV.
// CARINE: INF-ANN-n1
func TestBuildDropsSecrets_INF_ANN_n1(t *testing.T) {
	t.Parallel()
	x, err := privacy.Build(context.Background(), privacy.Deps{Source: leaky{}, Clock: core.NewFakeClock(at),
		PasswordExpired: func(context.Context, *directory.Person) bool { return true }}, "p1")
	if err != nil {
		t.Fatal(err)
	}
	var js, cs bytes.Buffer
	if err := x.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := x.WriteCSV(&cs); err != nil {
		t.Fatal(err)
	}
	for _, out := range [][]byte{js.Bytes(), cs.Bytes()} {
		for _, s := range []string{leakTOTP, leakPasskey, leakCredID, leakSession} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("export holds %s", s)
			}
		}
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	pw := m["password"].(map[string]any)
	if pw["must_change"] != true || pw["expired"] != true || pw["set"] != true {
		t.Errorf("password %v", pw)
	}
	// Every top-level JSON key appears in the CSV's category column, and
	// empty lists are [] rather than null.
	csvText := cs.String()
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], []string{"category", "item", "field", "value"}) {
		t.Errorf("CSV header %v", rows[0])
	}
	cats := map[string]bool{}
	for _, r := range rows[1:] {
		cats[r[0]] = true
	}
	for k, v := range m {
		if l, ok := v.([]any); ok && len(l) == 0 {
			continue
		}
		if v == nil {
			t.Errorf("%s is null", k)
		}
		if !cats[k] {
			t.Errorf("category %s is missing from the CSV", k)
		}
	}
	if !strings.Contains(csvText, "external_ids,2,value,INE1") || !strings.Contains(csvText, "identity,,login,lea") {
		t.Errorf("CSV rows:\n%s", csvText)
	}
	if j := m["journal"].([]any)[0].(map[string]any); j["target"] != "session" {
		t.Errorf("a session's journal entry names %v", j["target"])
	}
}
