// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/logs"
)

// fake is every live source of a report, in memory.
type fake struct {
	policies policy.Policies
	accounts map[string]compliance.AccountCounts
	zones    map[string][]*directory.Zone
	entries  []*journal.Entry
	check    compliance.JournalCheck
	clients  []*sso.Client
	settings map[string]string
	charters []*charter.Version
	stats    map[charter.Ref][]charter.ProfileStat
	grants   []*directory.Grant
	glass    []*breakglass.Request
	logs     *compliance.LogFacts     // nil: no log source
	monitor  *compliance.MonitorFacts // nil: no supervision source
	backup   *compliance.BackupFacts  // nil: no backup source
	filter   *compliance.FilterFacts  // nil: no filter source
}

func (f *fake) FilterFacts(context.Context) (*compliance.FilterFacts, error) { return f.filter, nil }

func (f *fake) LogFacts(context.Context, []string) (*compliance.LogFacts, error) { return f.logs, nil }
func (f *fake) MonitorFacts(context.Context, []string) (*compliance.MonitorFacts, error) {
	return f.monitor, nil
}

// CurrentCharters returns the newest published version of each document.
func (f *fake) CurrentCharters(_ context.Context, ests []string) ([]*charter.Version, error) {
	latest := map[string]*charter.Version{}
	for _, v := range f.charters {
		k := v.Establishment + "/" + string(v.Kind)
		if slices.Contains(ests, v.Establishment) && !v.Draft() && (latest[k] == nil || v.Number > latest[k].Number) {
			latest[k] = v
		}
	}
	var out []*charter.Version
	for _, v := range latest {
		out = append(out, v)
	}
	return out, nil
}
func (f *fake) CharterStats(_ context.Context, ref charter.Ref) ([]charter.ProfileStat, error) {
	return f.stats[ref], nil
}
func (f *fake) FindEstablishmentGrants(_ context.Context, est string) ([]*directory.Grant, error) {
	var out []*directory.Grant
	for _, g := range f.grants {
		if g.Establishment == est {
			out = append(out, g)
		}
	}
	return out, nil
}
func (f *fake) FindBreakGlasses(_ context.Context, fl breakglass.Filter) ([]*breakglass.Request, error) {
	var out []*breakglass.Request
	for _, r := range f.glass {
		if fl.Establishments == nil || slices.Contains(fl.Establishments, r.Establishment) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fake) Policies(context.Context) policy.Policies { return f.policies }
func (f *fake) AccountCounts(_ context.Context, est string) (compliance.AccountCounts, error) {
	return f.accounts[est], nil
}
func (f *fake) FindZones(_ context.Context, est string) ([]*directory.Zone, error) {
	return f.zones[est], nil
}
func (f *fake) FindJournal(_ context.Context, fl journal.Filter) ([]*journal.Entry, error) {
	var out []*journal.Entry
	for i := len(f.entries) - 1; i >= 0; i-- {
		e := f.entries[i]
		if strings.HasPrefix(e.Action, fl.Action) && (fl.Chain == "" || e.Chain == fl.Chain) && (fl.Result == "" || e.Result == fl.Result) {
			out = append(out, e)
		}
	}
	if fl.Limit > 0 && len(out) > fl.Limit {
		out = out[:fl.Limit]
	}
	return out, nil
}
func (f *fake) VerifyJournal(context.Context) (compliance.JournalCheck, error) { return f.check, nil }
func (f *fake) FindClients(context.Context, sso.Protocol) ([]*sso.Client, error) {
	return f.clients, nil
}
func (f *fake) Setting(_ context.Context, scope, name string) (string, error) {
	if v, ok := f.settings[scope+"/"+name]; ok {
		return v, nil
	}
	return "", core.E("fake.Setting", core.NotFound, "no setting")
}

var now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

var college = &directory.Establishment{ID: "est-1", UAI: "0999001W", Type: directory.College, Name: "Collège Jean Moulin"}

func newFake() *fake {
	return &fake{
		policies: policy.Defaults(),
		accounts: map[string]compliance.AccountCounts{"est-1": {People: 40, MustChange: 7, Heads: 1, Admins: 2}},
		zones: map[string][]*directory.Zone{"est-1": {
			{Name: "admin", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}},
			{Name: "byod", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.9.0/24")}}}},
		entries: []*journal.Entry{
			{Chain: "est-1", At: now.Add(-48 * time.Hour), Action: "directory.import.run", Result: journal.Done, Reason: "siecle full"},
			{Chain: "est-1", At: now.Add(-time.Hour), Action: "auth.login", Result: journal.Done}},
		check:    compliance.JournalCheck{Chains: 2, Entries: 120},
		settings: map[string]string{},
		// A deployment whose log store, supervision and backups run.
		logs:    &compliance.LogFacts{Enabled: true, Retention: map[string]map[logs.Class]int{}},
		monitor: &compliance.MonitorFacts{Targets: 6, Down: 1, OpenIncidents: 1, OpenRequests: 2},
		// and whose filter serves both doors with lists imported two days ago.
		filter: &compliance.FilterFacts{ListsAt: now.Add(-48 * time.Hour), Source: "https://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz",
			Categories: 96, Domains: 5200000, URLs: 120000, Proxy: true, DNS: true},
		backup: &compliance.BackupFacts{Configured: true, ScheduleSet: true, LastBackup: now.Add(-5 * time.Hour),
			LastCheck: now.Add(-48 * time.Hour), LastCheckOK: true, LastDrill: now.Add(-20 * 24 * time.Hour), LastDrillOK: true,
			DrillDays: 90, PolicyText: compliance.T("Sauvegarde chaque nuit à 02:30.", "Backup every day at 02:30.")},
	}
}

func (f *fake) deps() compliance.Deps {
	d := compliance.Deps{Passwords: f, Accounts: f, Journal: f, Verifier: f, Zones: f, Applications: f, Settings: f,
		Charters: f, Grants: f, BreakGlass: f,
		Config: compliance.Config{StrongFor: []string{"admin"}, StrongMaxAge: 30 * time.Minute, LDAPListening: true},
		Clock:  core.NewFakeClock(now), Version: "test"}
	if f.logs != nil {
		d.Logs = f
	}
	if f.monitor != nil {
		d.Monitor = f
	}
	if f.filter != nil {
		d.Filter = f
	}
	if f.backup != nil {
		d.Backups = backupFacts(*f.backup)
	}
	return d
}

func evaluate(t *testing.T, f *fake, edit ...func(*compliance.Deps)) *compliance.Report {
	t.Helper()
	d := f.deps()
	for _, e := range edit {
		e(&d)
	}
	rep, err := compliance.Evaluate(context.Background(), d, []*directory.Establishment{college})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func status(t *testing.T, rep *compliance.Report, id string) compliance.Result {
	t.Helper()
	r, ok := rep.Result(id)
	if !ok {
		t.Fatalf("no result for %s", id)
	}
	return r
}

func TestCatalogueCounts(t *testing.T) {
	reqs := compliance.Catalogue()
	numbered, narrative := 0, 0
	perService := map[string]int{}
	for _, q := range reqs {
		if q.Narrative {
			narrative++
			continue
		}
		numbered++
		perService[q.Service]++
	}
	if numbered != 163 || narrative != 20 || len(reqs) != 183 {
		t.Fatalf("catalogue: %d numbered, %d narrative, %d rows; want 163, 20, 183", numbered, narrative, len(reqs))
	}
	// requirements.md, "Requirement counts".
	want := map[string]int{"INF-ANN": 8, "INF-PDT": 20, "INF-AUT": 13, "INF-SEC": 12, "INF-DIF": 13, "MCO-SVG": 13,
		"MCO-REG": 9, "MCO-SEI": 10, "MCO-JAL": 8, "MCO-PAR": 13, "UTI-ESF": 13, "UTI-MSG": 15, "UTI-CTR": 2,
		"UTI-PUB": 8, "UTI-REC": 6}
	for s, n := range want {
		if perService[s] != n {
			t.Errorf("%s: %d numbered requirements, want %d", s, perService[s], n)
		}
	}
	if len(compliance.Services()) != 15 {
		t.Fatal("want 15 services")
	}
	for _, q := range reqs {
		if _, ok := compliance.ServiceByCode(q.Service); !ok || q.Topic == "" || q.Text == "" {
			t.Errorf("%s: service %q, topic %q", q.ID, q.Service, q.Topic)
		}
	}
}

func TestEveryRequirementHasStatusAndEvidence(t *testing.T) {
	rep := evaluate(t, newFake())
	if len(rep.Results) != 183 || rep.Overall.Total() != 183 {
		t.Fatalf("%d results, totals %d", len(rep.Results), rep.Overall.Total())
	}
	for _, r := range rep.Results {
		if r.Evidence.FR == "" || r.Evidence.EN == "" || r.Status.Label("fr") == "" {
			t.Errorf("%s: status %q, evidence %+v", r.ID, r.Status, r.Evidence)
		}
		if r.Tag == "X" && r.Status != compliance.Organisational || r.Tag == "S" && r.Status != compliance.Organisational && r.ID != "MCO-JAL-4" {
			t.Errorf("%s [%s] is %s, want organisational", r.ID, r.Tag, r.Status)
		}
	}
	sum := 0
	for _, s := range rep.Services {
		sum += s.Total()
	}
	if sum != 183 {
		t.Fatalf("service totals add up to %d", sum)
	}
	f := newFake()
	f.filter = nil
	if r := status(t, evaluate(t, f), "INF-SEC-8"); r.Status != compliance.NotMet || !strings.Contains(r.Evidence.EN, "UT1") {
		t.Fatalf("INF-SEC-8 without the filter: %+v", r)
	}
	f = newFake()
	f.backup = nil
	if r := status(t, evaluate(t, f), "MCO-SVG-8"); r.Status != compliance.NotMet || !strings.Contains(r.Evidence.FR, "restauration") {
		t.Fatalf("MCO-SVG-8 without backups: %+v", r)
	}
}

// CARINE: INF-AUT-6
func TestWeakPupilPolicyFlips_INF_AUT_6(t *testing.T) {
	f := newFake()
	if r := status(t, evaluate(t, f), "INF-AUT-6"); r.Status != compliance.Met {
		t.Fatalf("defaults: %+v", r)
	}
	f.policies.Profiles[core.ProfilePupil] = policy.Policy{MinLength: 6, MinClasses: 1}
	r := status(t, evaluate(t, f), "INF-AUT-6")
	if r.Status != compliance.Partly || !strings.Contains(r.Evidence.EN, "pupils 6 characters, 1 kinds, common passwords accepted") {
		t.Fatalf("weak pupil policy: %+v", r)
	}
	// An establishment override weaker than the floor counts too.
	f = newFake()
	f.policies.Establishments = map[string]map[core.Profile]policy.Policy{"est-1": {core.ProfileAdmin: {MinLength: 10, MinClasses: 3, RejectCommon: true}}}
	if r := status(t, evaluate(t, f), "INF-AUT-6"); r.Status != compliance.Partly || !strings.Contains(r.Evidence.FR, "administrateurs 10 caractères") {
		t.Fatalf("weak override: %+v", r)
	}
}

// CARINE: INF-AUT-2
func TestStrongForEmptyFlips_INF_AUT_2(t *testing.T) {
	f := newFake()
	if r := status(t, evaluate(t, f), "INF-AUT-2"); r.Status != compliance.Met || !strings.Contains(r.Evidence.EN, "admin") {
		t.Fatalf("default: %+v", r)
	}
	noStrong := func(d *compliance.Deps) { d.Config.StrongFor = nil }
	if r := status(t, evaluate(t, f, noStrong), "INF-AUT-2"); r.Status != compliance.NotMet || !strings.Contains(r.Evidence.EN, "strong_for is empty") {
		t.Fatalf("strong_for empty: %+v", r)
	}
	f.clients = []*sso.Client{{Protocol: sso.CAS, Name: "Pronote", MinLevel: 2}}
	if r := status(t, evaluate(t, f, noStrong), "INF-AUT-2"); r.Status != compliance.Partly {
		t.Fatalf("strong_for empty, one strong application: %+v", r)
	}
}

// CARINE: INF-ANN-4
func TestBrokenJournalFlips_INF_ANN_4(t *testing.T) {
	f := newFake()
	r := status(t, evaluate(t, f), "INF-ANN-4")
	if r.Status != compliance.Met || !strings.Contains(r.Evidence.EN, "120 entries in 2 chains") || !strings.Contains(r.Evidence.EN, "2026-11-30 08:00 UTC") {
		t.Fatalf("verified: %+v", r)
	}
	f.check.Problems = []compliance.JournalProblem{{Chain: "est-9", What: "chain est-9: entry 3 deleted"}}
	if r := status(t, evaluate(t, f), "INF-ANN-4"); r.Status != compliance.Met {
		t.Fatalf("a problem in another establishment's chain: %+v", r)
	}
	f.check.Problems = append(f.check.Problems, compliance.JournalProblem{Chain: "est-1", What: "chain est-1: entry 12 altered"})
	rep := evaluate(t, f)
	if r := status(t, rep, "INF-ANN-4"); r.Status != compliance.NotMet || !strings.Contains(r.Evidence.FR, "entry 12 altered") ||
		strings.Contains(r.Evidence.FR, "est-9") {
		t.Fatalf("tampered: %+v", r)
	}
	if r := status(t, rep, "UTI-ESF-10"); r.Status != compliance.NotMet {
		t.Fatalf("UTI-ESF-10 with a tampered journal: %+v", r)
	}
	if r := status(t, evaluate(t, f, func(d *compliance.Deps) { d.Verifier = nil }), "INF-ANN-4"); r.Status != compliance.Partly {
		t.Fatalf("not verified: %+v", r)
	}
}

// CARINE: INF-PDT-15, MCO-PAR-12
func TestNoZonesFlips_INF_PDT_15(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	if r := status(t, rep, "INF-PDT-15"); r.Status != compliance.Partly || !strings.Contains(r.Evidence.EN, "Network zone byod defined for 0999001W") {
		t.Fatalf("byod zone: %+v", r)
	}
	f.zones = nil
	rep = evaluate(t, f)
	for _, id := range []string{"INF-PDT-15", "MCO-PAR-12"} {
		if r := status(t, rep, id); r.Status != compliance.NotMet || !strings.Contains(r.Evidence.EN, "0999001W") {
			t.Fatalf("%s without zones: %+v", id, r)
		}
	}
}

// CARINE: INF-ANN-5
func TestPlainBindsFlip_INF_ANN_5(t *testing.T) {
	f := newFake()
	if r := status(t, evaluate(t, f), "INF-ANN-5"); r.Status != compliance.Met {
		t.Fatalf("default: %+v", r)
	}
	r := status(t, evaluate(t, f, func(d *compliance.Deps) { d.Config.AllowPlainBindRemote = true }), "INF-ANN-5")
	if r.Status != compliance.NotMet || !strings.Contains(r.Evidence.EN, "allow_plain_bind_remote") {
		t.Fatalf("plain binds allowed: %+v", r)
	}
}

// CARINE: INF-AUT-7, INF-ANN-3, INF-ANN-7
func TestLiveCounts_INF_AUT_7(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f)
	if r := status(t, rep, "INF-AUT-7"); r.Status != compliance.Met || !strings.Contains(r.Evidence.EN, "7 accounts must still choose") {
		t.Fatalf("INF-AUT-7: %+v", r)
	}
	if r := status(t, rep, "INF-ANN-3"); r.Status != compliance.Met || !strings.Contains(r.Evidence.EN, "last siecle import on 2026-11-28") {
		t.Fatalf("INF-ANN-3: %+v", r)
	}
	f.entries = f.entries[1:]
	if r := status(t, evaluate(t, f), "INF-ANN-3"); r.Status != compliance.Partly || !strings.Contains(r.Evidence.EN, "No directory import for: 0999001W") {
		t.Fatalf("INF-ANN-3 without import: %+v", r)
	}
	f.entries = append(f.entries, &journal.Entry{Chain: "est-1", At: now, Action: "directory.import.run", Result: journal.Done, Reason: "csv full"})
	if r := status(t, evaluate(t, f), "INF-ANN-7"); r.Status != compliance.Organisational ||
		!strings.Contains(r.Evidence.EN, "generic sources imported without a declaration: 0999001W CSV.") {
		t.Fatalf("INF-ANN-7 after an undeclared CSV import: %+v", r)
	}
	f.settings["est-1/directory.source.csv"] = `{"Source":"csv","Justification":"the music school's pupils are in no national file","Reference":"RT-2026-014"}`
	if r := status(t, evaluate(t, f), "INF-ANN-7"); r.Status != compliance.Organisational ||
		strings.Contains(r.Evidence.EN, "without a declaration") || !strings.Contains(r.Evidence.EN, "Generic sources declared: 0999001W CSV (RT-2026-014).") {
		t.Fatalf("INF-ANN-7 after the declaration: %+v", r)
	}
}

func TestTotalsAndFilter(t *testing.T) {
	rep := evaluate(t, newFake())
	var aut compliance.Totals
	for _, s := range rep.Services {
		if s.Service.Code == "INF-AUT" {
			aut = s
		}
	}
	if aut.Total() != 16 || len(rep.Filter("INF-AUT", "")) != 16 || aut.Met != len(rep.Filter("INF-AUT", compliance.Met)) {
		t.Fatalf("INF-AUT totals %+v", aut)
	}
	if aut.Score() < 50 || aut.Score() > 100 {
		t.Fatalf("INF-AUT score %d", aut.Score())
	}
	if s := rep.Scope("fr"); s != "Collège Jean Moulin (0999001W)" {
		t.Fatalf("scope %q", s)
	}
}

// CARINE: MCO-SVG-n3, MCO-JAL-n2, MCO-JAL-4
func TestOrganisationalSupport_MCO_JAL_n2(t *testing.T) {
	f := newFake()
	rep := evaluate(t, f, func(d *compliance.Deps) { d.Config.JournalRetention = 365 * 24 * time.Hour })
	if r := status(t, rep, "MCO-SVG-n3"); r.Status != compliance.Organisational || !strings.Contains(r.Evidence.EN, "physically apart") {
		t.Fatalf("MCO-SVG-n3: %+v", r)
	}
	for _, id := range []string{"MCO-JAL-n2", "MCO-JAL-4"} { // no charter published: MCO-JAL-4 stays organisational
		if r := status(t, rep, id); r.Status != compliance.Organisational || !strings.Contains(r.Evidence.FR, "Journal d’audit conservé 365 jours") {
			t.Fatalf("%s: %+v", id, r)
		}
	}
	if r := status(t, evaluate(t, f), "MCO-JAL-n2"); !strings.Contains(r.Evidence.EN, "kept without time limit") {
		t.Fatalf("MCO-JAL-n2 without retention: %+v", r)
	}
}

// A deployment without any establishment yet still gets a whole report.
func TestNoEstablishment(t *testing.T) {
	f := newFake()
	rep, err := compliance.Evaluate(context.Background(), f.deps(), nil)
	if err != nil || len(rep.Results) != 183 {
		t.Fatalf("%v, %d results", err, len(rep.Results))
	}
	for _, id := range []string{"INF-PDT-15", "INF-ANN-3"} {
		if r := status(t, rep, id); !strings.Contains(r.Evidence.EN, "No establishment in the report’s scope") {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if rep.Scope("en") != "no establishment" {
		t.Errorf("scope %q", rep.Scope("en"))
	}
}
