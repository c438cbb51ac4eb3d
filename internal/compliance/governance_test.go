// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/privacy"
)

// want checks one result's status and that its evidence holds every
// fragment (French or English).
func want(t *testing.T, rep *compliance.Report, id string, st compliance.Status, fragments ...string) {
	t.Helper()
	r := status(t, rep, id)
	if r.Status != st {
		t.Errorf("%s is %s, want %s: %s", id, r.Status, st, r.Evidence.EN)
	}
	for _, s := range fragments {
		if !strings.Contains(r.Evidence.FR, s) && !strings.Contains(r.Evidence.EN, s) {
			t.Errorf("%s: evidence lacks %q:\nFR %s\nEN %s", id, s, r.Evidence.FR, r.Evidence.EN)
		}
	}
}

// wantNot checks that a result's evidence holds none of the fragments.
func wantNot(t *testing.T, rep *compliance.Report, id string, fragments ...string) {
	t.Helper()
	r := status(t, rep, id)
	for _, s := range fragments {
		if strings.Contains(r.Evidence.FR, s) || strings.Contains(r.Evidence.EN, s) {
			t.Errorf("%s: evidence still says %q: %s", id, s, r.Evidence.EN)
		}
	}
}

var published = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// publish adds a published version of kind k to establishment est of the
// fake, with its acceptance counts.
func (f *fake) publish(est string, k charter.Kind, n int, at time.Time, stats ...charter.ProfileStat) {
	v := &charter.Version{Establishment: est, Kind: k, Number: n, Title: "Charte", PublishedAt: at}
	f.charters = append(f.charters, v)
	if f.stats == nil {
		f.stats = map[charter.Ref][]charter.ProfileStat{}
	}
	f.stats[v.Ref()] = stats
}

// Publishing the charte, then the admin charter, moves the rows the
// charters support: their evidence names the version, its date and the
// acceptance per profile; before, it says that nothing is published and
// nobody is asked to accept anything.
// CARINE: INF-SEC-3, INF-AUT-5, MCO-JAL-4, UTI-MSG-8, INF-PDT-19, INF-AUT-n2
func TestCharterPublicationFlips_INF_SEC_3(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	want(t, rep, "INF-SEC-3", compliance.Organisational, "0999001W: no document published", "the model charter is for information only")
	want(t, rep, "INF-AUT-5", compliance.Organisational, "2 technical administrator accounts",
		"No administrator charter published for 0999001W: technical administrators there are asked to accept none")
	for _, id := range []string{"INF-PDT-19", "INF-AUT-11", "INF-AUT-n2", "MCO-SVG-10", "MCO-REG-8", "UTI-MSG-5"} {
		want(t, rep, id, compliance.Organisational, "No charter published for 0999001W", "the acceptance gate is not active")
	}
	want(t, rep, "MCO-JAL-4", compliance.Organisational, "Audit journal kept without time limit", "No charter published for 0999001W",
		"Log retention in force: connection 365 days, system 183 days, security 365 days (0999001W).")
	want(t, rep, "UTI-MSG-8", compliance.NotMet, "forbids automatic forwarding", "No charter published", "Service “Messaging")
	want(t, rep, "UTI-MSG-n2", compliance.NotMet, "PERSONNEL/PRIVÉ", "No charter published")
	want(t, rep, "UTI-MSG-10", compliance.Partly, "never stores a pupil’s private address", "No charter published")

	// A draft is not a charter: nothing changes until the head publishes.
	f.charters = append(f.charters, &charter.Version{Establishment: "est-1", Kind: charter.KindCharte, Number: 1, Title: "Brouillon"})
	want(t, evaluate(t, f), "INF-SEC-3", compliance.Organisational, "no document published")

	f.publish("est-1", charter.KindCharte, 2, published.AddDate(0, -2, 0))
	f.publish("est-1", charter.KindCharte, 3, published,
		charter.ProfileStat{Profile: core.ProfilePupil, People: 500, Accepted: 460},
		charter.ProfileStat{Profile: core.ProfileTeacher, People: 40, Accepted: 40})
	rep = evaluate(t, f, func(d *compliance.Deps) { d.Config.JournalRetention = 365 * 24 * time.Hour })
	accepted := "charte v3 publiée le 02/11/2026 ; acceptée par 92 % des élèves (460/500), 100 % des enseignants (40/40)"
	want(t, rep, "INF-SEC-3", compliance.Organisational, "0999001W : "+accepted,
		"administrator charter not published, no one is asked to accept it — security policy not published.", "Internal rules and contracts")
	want(t, rep, "INF-PDT-19", compliance.Organisational, "0999001W: charter v3 published on 2026-11-02; accepted by 92% of pupils (460/500), 100% of teachers (40/40); the others will accept it at their next login.")
	want(t, rep, "MCO-JAL-4", compliance.Met, "Journal d’audit conservé 365 jours", "annex appended to the published charter", accepted, "legal basis")
	want(t, rep, "UTI-MSG-8", compliance.Partly, accepted, "Service “Messaging")
	want(t, rep, "UTI-MSG-n2", compliance.Partly, accepted)
	want(t, rep, "INF-AUT-6", compliance.Met, accepted)
	want(t, rep, "INF-AUT-5", compliance.Organisational, "No administrator charter published for 0999001W")
	wantNot(t, rep, "INF-PDT-19", "No charter published", "charte v2")

	// The admin charter, accepted by one of the two technical admins.
	f.publish("est-1", charter.KindAdminCharte, 1, published.AddDate(0, 0, 1),
		charter.ProfileStat{Profile: core.ProfileAdmin, People: 2, Accepted: 1})
	f.publish("est-1", charter.KindSecurityPolicy, 1, published)
	rep = evaluate(t, f)
	want(t, rep, "INF-AUT-5", compliance.Organisational,
		"0999001W : charte administrateur v1 publiée le 03/11/2026 ; acceptée par 50 % des administrateurs techniques (1/2) ; les autres l’accepteront à leur prochaine connexion.")
	want(t, rep, "INF-SEC-3", compliance.Organisational, accepted, "administrator charter v1 published on 2026-11-03", "security policy v1 published on 2026-11-02")
	wantNot(t, rep, "INF-SEC-3", "not published")
	want(t, rep, "MCO-JAL-6", compliance.Met, "administrator charter v1 published on 2026-11-03")
	want(t, rep, "MCO-REG-9", compliance.Organisational, "named account", "administrator charter v1 published on 2026-11-03")
	want(t, rep, "UTI-MSG-2", compliance.NotMet, "schoolwork", accepted)
	want(t, rep, "UTI-MSG-n3", compliance.NotMet, "private correspondence", accepted)
	want(t, rep, "MCO-SEI-7", compliance.Partly, "administrator charter v1 published on 2026-11-03")
}

// With two establishments in scope, a row the annex supports is met partly
// only when both published their charte, and the evidence names the one
// that did not.
// CARINE: MCO-JAL-4, UTI-MSG-8
func TestCharterPerEstablishment_MCO_JAL_4(t *testing.T) {
	f := newFake()
	f.publish("est-1", charter.KindCharte, 1, published, charter.ProfileStat{Profile: core.ProfilePupil, People: 10, Accepted: 10})
	ecole := &directory.Establishment{ID: "est-2", UAI: "0999002X", Type: directory.Ecole, Name: "École Jules Ferry"}
	rep, err := compliance.Evaluate(t.Context(), f.deps(), []*directory.Establishment{college, ecole})
	if err != nil {
		t.Fatal(err)
	}
	want(t, rep, "MCO-JAL-4", compliance.Organisational, "0999001W: charter v1 published on 2026-11-02; accepted by 100% of pupils (10/10).", "No charter published for 0999002X")
	want(t, rep, "UTI-MSG-8", compliance.NotMet, "No charter published for 0999002X")
	want(t, rep, "INF-SEC-3", compliance.Organisational, "0999002X: no document published")
	f.publish("est-2", charter.KindCharte, 1, published)
	rep, err = compliance.Evaluate(t.Context(), f.deps(), []*directory.Establishment{college, ecole})
	if err != nil {
		t.Fatal(err)
	}
	want(t, rep, "MCO-JAL-4", compliance.Met, "0999002X: charter v1 published on 2026-11-02; no one has to accept it yet.")
	// With the log store disabled, the annex says nothing is collected: partly.
	f.logs.Enabled = false
	rep, err = compliance.Evaluate(t.Context(), f.deps(), []*directory.Establishment{college, ecole})
	if err != nil {
		t.Fatal(err)
	}
	want(t, rep, "MCO-JAL-4", compliance.Partly, "The log store is disabled", "no technical log is collected")
	want(t, rep, "UTI-MSG-8", compliance.Partly)
}

// Grants in force are counted per right, to people and to groups, with who
// granted them; revoked, expired and future grants are not in force.
// CARINE: INF-SEC-n3, INF-DIF-5, UTI-MSG-12, MCO-SEI-9, UTI-PUB-6
func TestGrantsCounted_INF_SEC_n3(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	want(t, rep, "INF-SEC-n3", compliance.Partly, "only they (or an operator) grant and revoke rights", "No grant in force: only the head holds")
	want(t, rep, "UTI-MSG-12", compliance.Partly, "Only the head (or an operator) grants and revokes the sms.send right",
		"No grant of sms.send in force for 0999001W: only the head holds it.", "Service “Messaging")
	want(t, rep, "INF-DIF-5", compliance.Partly, "No grant of signage.publish in force")
	want(t, rep, "MCO-SEI-9", compliance.Met, "No grant of monitor.read in force", "Supervision opens its data only to holders of this right")
	want(t, rep, "UTI-PUB-6", compliance.NotMet, "No grant of publish.public in force")

	f.grants = []*directory.Grant{
		{Establishment: "est-1", PersonID: "p1", Right: core.RightSMSSend, Zone: "admin", GrantedBy: "m.dupont", From: now.Add(-time.Hour)},
		{Establishment: "est-1", GroupID: "g1", Right: core.RightSMSSend, Zone: "admin", GrantedBy: "m.dupont", From: now.Add(-time.Hour)},
		{Establishment: "est-1", PersonID: "p2", Right: core.RightMonitorRead, GrantedBy: "op.rectorat", From: now.Add(-time.Hour)},
		{Establishment: "est-1", PersonID: "p3", Right: core.RightSMSSend, GrantedBy: "m.dupont", From: now.Add(-48 * time.Hour), RevokedAt: now.Add(-time.Hour)},
		{Establishment: "est-1", PersonID: "p4", Right: core.RightSMSSend, GrantedBy: "m.dupont", From: now.Add(-48 * time.Hour), Until: now.Add(-time.Hour)},
		{Establishment: "est-1", PersonID: "p5", Right: core.RightSMSSend, GrantedBy: "m.dupont", From: now.Add(time.Hour)},
		{Establishment: "est-9", PersonID: "p6", Right: core.RightSMSSend, GrantedBy: "x.autre", From: now.Add(-time.Hour)},
	}
	rep = evaluate(t, f)
	want(t, rep, "UTI-MSG-12", compliance.Partly, "0999001W : 2 attributions de sms.send en vigueur (1 à des personnes, 1 à des groupes), par m.dupont.")
	want(t, rep, "MCO-SEI-9", compliance.Met, "0999001W: 1 grant of monitor.read in force (1 to people, 0 to groups), by op.rectorat.")
	want(t, rep, "INF-SEC-n3", compliance.Partly, "3 grants in force (sms.send 2, monitor.read 1), by m.dupont, op.rectorat.", "3 attributions en vigueur")
	want(t, rep, "INF-DIF-5", compliance.Partly, "No grant of signage.publish in force")
	wantNot(t, rep, "UTI-MSG-12", "x.autre")

	// Revoking both ends them.
	f.grants[0].RevokedAt, f.grants[1].RevokedAt = now, now
	want(t, evaluate(t, f), "UTI-MSG-12", compliance.Partly, "No grant of sms.send in force for 0999001W")
}

// The admin-zone gate of signage and SMS: the evidence says where the
// admin zone is defined with its ranges, that the rights cannot be used at
// all without one, and whose X-Forwarded-For header the zones believe.
// CARINE: INF-DIF-1, UTI-MSG-13, INF-PDT-15
func TestAdminZoneFlips_INF_DIF_1(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	for _, id := range []string{"INF-DIF-1", "UTI-MSG-13"} {
		want(t, rep, id, compliance.Partly, "can only be used from the admin network zone", "0999001W: admin zone defined (10.0.1.0/24).",
			"X-Forwarded-For header ignored (no trusted proxy)")
	}
	want(t, rep, "UTI-MSG-13", compliance.Partly, "sms.send", "Service “Messaging")
	want(t, rep, "INF-DIF-1", compliance.Partly, "signage.publish")
	want(t, rep, "INF-PDT-15", compliance.Partly, "X-Forwarded-For header ignored")

	proxied := func(d *compliance.Deps) { d.Config.TrustedProxies = []string{"192.0.2.10/32", "10.0.0.0/30"} }
	rep = evaluate(t, f, proxied)
	for _, id := range []string{"INF-DIF-1", "UTI-MSG-13", "INF-PDT-15", "MCO-PAR-12"} {
		want(t, rep, id, compliance.Partly, "X-Forwarded-For header believed only from the trusted proxies 192.0.2.10/32, 10.0.0.0/30")
	}

	// Deleting the admin zone makes both rights unusable.
	f.zones["est-1"] = f.zones["est-1"][1:]
	rep = evaluate(t, f)
	want(t, rep, "INF-DIF-1", compliance.Partly, "No admin zone is defined (0999001W): the signage.publish right cannot be used by anyone, not even the head")
	want(t, rep, "UTI-MSG-13", compliance.Partly, "Aucune zone admin n’est définie (0999001W) : le droit sms.send ne peut être utilisé par personne")
	// A zone without ranges is no zone.
	f.zones["est-1"] = append(f.zones["est-1"], &directory.Zone{Name: "admin"})
	want(t, evaluate(t, f), "INF-DIF-1", compliance.Partly, "No admin zone is defined")
	f.zones["est-1"][1].CIDRs = []netip.Prefix{netip.MustParsePrefix("192.168.10.0/24"), netip.MustParsePrefix("fd00:1::/64")}
	want(t, evaluate(t, f), "INF-DIF-1", compliance.Partly, "admin zone defined (192.168.10.0/24, fd00:1::/64)")
}

// Break-glass requests of the last twelve months are counted: requests,
// the head's approvals and refusals, accesses (per scope), windows open;
// older requests and other establishments' are not.
// CARINE: UTI-ESF-8, MCO-SVG-11, MCO-JAL-6, MCO-SEI-7
func TestBreakGlassCounted_UTI_ESF_8(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	want(t, rep, "UTI-ESF-8", compliance.Met, "the head’s approval, never the requester’s",
		"Over the last 12 months: 0 requests, 0 approved by the head, 0 refused, 0 accesses to content (0 of scope files); 0 windows open now.", "0 demande, 0 approuvée par la direction, 0 refusée, 0 accès au contenu",
		"File storage goes through this access")
	want(t, rep, "MCO-SVG-11", compliance.Met, "encrypted to a recovery key the server does not keep")
	want(t, rep, "MCO-JAL-6", compliance.Met, "refused without a justification", "No administrator charter published")
	want(t, rep, "MCO-SEI-7", compliance.Partly, "Supervision collects no private content")
	for _, id := range []string{"UTI-ESF-8", "MCO-SVG-11", "MCO-JAL-6", "MCO-SEI-7"} {
		wantNot(t, rep, id, "not available")
	}

	day := 24 * time.Hour
	f.glass = []*breakglass.Request{
		{Establishment: "est-1", Scope: breakglass.ScopeFiles, State: breakglass.Closed, CreatedAt: now.Add(-30 * day),
			From: now.Add(-30 * day), Until: now.Add(-29 * day), Uses: 3},
		{Establishment: "est-1", Scope: breakglass.ScopeBackup, State: breakglass.Approved, CreatedAt: now.Add(-2 * time.Hour),
			From: now.Add(-time.Hour), Until: now.Add(3 * time.Hour), Uses: 1},
		{Establishment: "est-1", Scope: breakglass.ScopeFiles, State: breakglass.Refused, CreatedAt: now.Add(-10 * day)},
		{Establishment: "est-1", Scope: breakglass.ScopeLogs, State: breakglass.Requested, CreatedAt: now.Add(-time.Hour)},
		{Establishment: "est-1", Scope: breakglass.ScopeFiles, State: breakglass.Closed, CreatedAt: now.Add(-400 * day),
			From: now.Add(-400 * day), Until: now.Add(-399 * day), Uses: 7},
		{Establishment: "est-9", Scope: breakglass.ScopeFiles, State: breakglass.Closed, CreatedAt: now.Add(-day),
			From: now.Add(-day), Until: now.Add(-day + time.Hour), Uses: 5},
	}
	rep = evaluate(t, f)
	want(t, rep, "UTI-ESF-8", compliance.Met, "Over the last 12 months: 4 requests, 2 approved by the head, 1 refused, 4 accesses to content (3 of scope files); 1 window open now.")
	want(t, rep, "MCO-SVG-11", compliance.Met, "Sur les 12 derniers mois : 4 demandes, 2 approuvées par la direction, 1 refusée, 4 accès au contenu (dont 1 de portée sauvegardes)")
	want(t, rep, "MCO-JAL-6", compliance.Met, "(0 of scope logs)")
}

// Every [S] requirement stays organisational whatever is published, but
// MCO-JAL-4, met once the charter's annex states the live retention of
// every log class.
func TestSupportRowsStayOrganisational(t *testing.T) {
	f := newFake()
	f.publish("est-1", charter.KindCharte, 1, published, charter.ProfileStat{Profile: core.ProfilePupil, People: 1, Accepted: 1})
	f.publish("est-1", charter.KindAdminCharte, 1, published, charter.ProfileStat{Profile: core.ProfileAdmin, People: 1, Accepted: 1})
	for _, r := range evaluate(t, f).Results {
		if r.Tag == "S" && r.Status != compliance.Organisational && r.ID != "MCO-JAL-4" {
			t.Errorf("%s [S] is %s with the charters published: %s", r.ID, r.Status, r.Evidence.EN)
		}
		for _, stale := range []string{"Charter text not available", "Administrator charter and its acceptance not available", "Terms of use not available"} {
			if strings.Contains(r.Evidence.EN, stale) {
				t.Errorf("%s still says %q", r.ID, stale)
			}
		}
	}
}

// fakePrivacy holds the data-controller records of the report's
// establishment.
type fakePrivacy struct {
	controller bool
	delegates  []*privacy.Delegate
}

func (p fakePrivacy) PrivacyController(context.Context, string) (*privacy.Controller, error) {
	if !p.controller {
		return nil, core.E("fake", core.NotFound, "")
	}
	return &privacy.Controller{Name: "Mme Martin"}, nil
}

func (p fakePrivacy) PrivacyDelegates(context.Context, string) ([]*privacy.Delegate, error) {
	return p.delegates, nil
}

// TestPrivacyRecordsInReport_INF_ANN_n1: the report says which
// establishments have not named their data controller, and how many
// delegations are in force; the requirement stays organisational.
// CARINE: INF-ANN-n1
func TestPrivacyRecordsInReport_INF_ANN_n1(t *testing.T) {
	evidence := func(p compliance.Privacy) (compliance.Status, string) {
		for _, r := range evaluate(t, newFake(), func(d *compliance.Deps) { d.Privacy = p }).Results {
			if r.ID == "INF-ANN-n1" {
				return r.Status, r.Evidence.EN
			}
		}
		t.Fatal("no INF-ANN-n1")
		return "", ""
	}
	st, ev := evidence(fakePrivacy{})
	if st != compliance.Organisational || !strings.Contains(ev, "Data controller not entered") || !strings.Contains(ev, "0999001W") {
		t.Errorf("without a controller: %s %s", st, ev)
	}
	in := &privacy.Delegate{From: now.Add(-time.Hour)}
	ended := &privacy.Delegate{From: now.Add(-48 * time.Hour), Until: now.Add(-24 * time.Hour)}
	st, ev = evidence(fakePrivacy{controller: true, delegates: []*privacy.Delegate{in, ended}})
	if st != compliance.Organisational || !strings.Contains(ev, "1 delegation(s) in force") ||
		!strings.Contains(ev, "entered for every establishment") {
		t.Errorf("with a controller: %s %s", st, ev)
	}
}
