// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package compliance

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/auth/policy"
	"github.com/preau/preau/internal/auth/sso"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/privacy"
)

// Passwords gives the password policies in force (*auth.Service).
type Passwords interface {
	Policies(ctx context.Context) policy.Policies
}

// AccountCounts are the counts of an establishment's active accounts.
type AccountCounts struct {
	People         int // active people, service accounts included
	Service        int // non-interactive service accounts
	MustChange     int // people who must still choose their password
	Heads          int // people with the head profile
	Admins         int // technical administrators
	PictureClasses int // classes with picture login turned on
}

// Accounts counts accounts per establishment (*store.DB).
type Accounts interface {
	AccountCounts(ctx context.Context, establishment string) (AccountCounts, error)
}

// JournalReader reads journal entries (*store.DB).
type JournalReader interface {
	FindJournal(ctx context.Context, f journal.Filter) ([]*journal.Entry, error)
}

// JournalCheck is the outcome of verifying every journal chain.
type JournalCheck struct {
	At       time.Time // when the verification ran; zero means now
	Chains   int
	Entries  int64
	Problems []JournalProblem // one per chain that does not verify
}

// JournalProblem is the first problem of a chain that does not verify.
type JournalProblem struct {
	Chain string // establishment ID or journal.DeploymentChain
	What  string // the verifier's description
}

// JournalVerifier verifies the journal's hash chains and checkpoints
// (the app, which holds the key).
type JournalVerifier interface {
	VerifyJournal(ctx context.Context) (JournalCheck, error)
}

// Zones lists an establishment's network zones (*store.DB).
type Zones interface {
	FindZones(ctx context.Context, establishment string) ([]*directory.Zone, error)
}

// Applications lists the applications registered for single sign-on
// (*store.DB).
type Applications interface {
	FindClients(ctx context.Context, p sso.Protocol) ([]*sso.Client, error)
}

// Charters reads the published policy documents of establishments and
// who accepted them (*store.DB).
type Charters interface {
	CurrentCharters(ctx context.Context, ests []string) ([]*charter.Version, error)
	CharterStats(ctx context.Context, ref charter.Ref) ([]charter.ProfileStat, error)
}

// Grants lists the rights granted in an establishment, in force or not
// (*store.DB).
type Grants interface {
	FindEstablishmentGrants(ctx context.Context, est string) ([]*directory.Grant, error)
}

// BreakGlass lists break-glass requests (*store.DB).
type BreakGlass interface {
	FindBreakGlasses(ctx context.Context, f breakglass.Filter) ([]*breakglass.Request, error)
}

// Privacy reads who is responsible for each establishment's data
// (*store.DB).
type Privacy interface {
	PrivacyController(ctx context.Context, establishment string) (*privacy.Controller, error)
	PrivacyDelegates(ctx context.Context, establishment string) ([]*privacy.Delegate, error)
}

// PrivacyRecord says whether an establishment named its data controller and
// how many delegations are in force (INF-ANN-n1).
type PrivacyRecord struct {
	Controller bool
	Delegates  int
}

// Settings reads stored settings (*store.DB).
type Settings interface {
	Setting(ctx context.Context, scope, name string) (string, error)
}

// Config is what the report reads of the bootstrap configuration.
type Config struct {
	StrongFor            []string // [auth] strong_for
	StrongMaxAge         time.Duration
	LDAPListening        bool // an LDAP or LDAPS listener is configured
	AllowPlainBindRemote bool // [ldap] allow_plain_bind_remote
	AllowAnonymousLDAP   bool // [ldap] allow_anonymous
	OperatorCertificate  bool // [tls] cert_file set (else Préau's own CA)
	BlobStore            string
	MailRelay            bool
	JournalRetention     time.Duration // 0 keeps everything
	TrustedProxies       []string      // [web] trusted_proxies: CIDRs whose X-Forwarded-For is believed
}

// Deps are the live sources of a report. All are required except Verifier
// (without it the journal chain counts as not verified).
type Deps struct {
	Passwords    Passwords
	Accounts     Accounts
	Journal      JournalReader
	Verifier     JournalVerifier
	Zones        Zones
	Applications Applications
	Settings     Settings
	Charters     Charters
	Grants       Grants
	BreakGlass   BreakGlass
	Privacy      Privacy // nil: the data-controller records are not assessed
	Backups      Backups // nil: no backup facts (MCO-SVG assessed as not set up)
	Logs         Logs    // nil: no log facts (MCO-JAL assessed as the log store disabled)
	Monitor      Monitor // nil: no supervision facts (no counts in MCO-SEI)
	Filter       Filter  // nil: no filter facts (INF-SEC-8 assessed as no lists)
	Config       Config
	Clock        core.Clock
	Version      string
}

// ImportRun is one directory import, from the journal.
type ImportRun struct {
	At     time.Time
	Source string // siecle, sts, aaf, csv, ldif…
	Mode   string
}

// Document is a policy document an establishment published: its current
// version and, for the kinds people must accept, the acceptance counts of
// the profiles that must accept it (profiles without anyone left out).
type Document struct {
	Kind        charter.Kind
	Number      int
	Title       string
	PublishedAt time.Time
	Acceptance  []charter.ProfileStat
}

// BreakGlassCounts count the break-glass requests of the report's scope
// made over the last year (BreakGlassWindow).
type BreakGlassCounts struct {
	Requests  int
	Approved  int                      // approved by the head (then used, expired or closed)
	Refused   int                      // refused by the head
	Uses      int                      // accesses to content under an approved request
	InForce   int                      // windows open now
	UsesBy    map[breakglass.Scope]int // uses per scope
	Truncated bool                     // more requests than one read returns: counts are lower bounds
}

// BreakGlassWindow is how far back the report counts break-glass requests.
const BreakGlassWindow = 365 * 24 * time.Hour

// maxBreakGlass is the most requests one report reads.
const maxBreakGlass = 1000

// Facts are everything the assessment reads, gathered once.
type Facts struct {
	Now            time.Time
	Version        string
	Establishments []*directory.Establishment
	Policies       policy.Policies
	Accounts       map[string]AccountCounts             // by establishment ID
	Zones          map[string][]string                  // zone names by establishment ID
	ZoneRanges     map[string]map[string][]netip.Prefix // establishment ID → zone name → ranges
	Documents      map[string][]Document                // published documents by establishment ID, in charter.FixedKinds order then CGUs
	Grants         map[string][]*directory.Grant        // grants in force now, by establishment ID
	BreakGlass     BreakGlassCounts
	Privacy        map[string]PrivacyRecord // by establishment ID; nil when not read
	Imports        map[string][]ImportRun   // newest first, by establishment ID
	// Sources holds each establishment's declarations of generic
	// directory sources (INF-ANN-7), by establishment ID.
	Sources       map[string][]directory.SourceDeclaration
	Journal       *JournalCheck // nil when not verified
	LastEntry     time.Time     // newest journal entry of the establishments
	Clients       []*sso.Client
	ForgottenText bool // the establishment wrote its own forgotten-password procedure
	Backup        *BackupFacts
	Logs          *LogFacts     // nil when not read
	Monitor       *MonitorFacts // nil when not read
	Filter        *FilterFacts  // nil when not read
	Config        Config
}

// ForgottenPasswordSetting is the auth setting holding the forgotten-password
// procedure (auth.SettingForgottenPassword).
const ForgottenPasswordSetting = "forgotten_password_text"

// Gather reads the facts of the report on ests through deps.
func Gather(ctx context.Context, deps Deps, ests []*directory.Establishment) (*Facts, error) {
	const op = "compliance.Gather"
	f := &Facts{Now: deps.Clock.Now(), Version: deps.Version, Establishments: ests, Config: deps.Config,
		Policies: deps.Passwords.Policies(ctx), Accounts: map[string]AccountCounts{},
		Zones: map[string][]string{}, ZoneRanges: map[string]map[string][]netip.Prefix{}, Imports: map[string][]ImportRun{},
		Sources:   map[string][]directory.SourceDeclaration{},
		Documents: map[string][]Document{}, Grants: map[string][]*directory.Grant{}}
	if deps.Backups != nil {
		b, err := deps.Backups.BackupFacts(ctx)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		f.Backup = b
	}
	ids := make([]string, 0, len(ests))
	for _, e := range ests {
		ids = append(ids, e.ID)
	}
	if deps.Logs != nil {
		l, err := deps.Logs.LogFacts(ctx, ids)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		f.Logs = l
	}
	if deps.Monitor != nil {
		m, err := deps.Monitor.MonitorFacts(ctx, ids)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		f.Monitor = m
	}
	if deps.Filter != nil {
		fl, err := deps.Filter.FilterFacts(ctx)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		f.Filter = fl
	}
	var chains []string
	for _, e := range ests {
		chains = append(chains, e.ID)
		c, err := deps.Accounts.AccountCounts(ctx, e.ID)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		f.Accounts[e.ID] = c
		zs, err := deps.Zones.FindZones(ctx, e.ID)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		f.ZoneRanges[e.ID] = map[string][]netip.Prefix{}
		for _, z := range zs {
			if len(z.CIDRs) > 0 {
				f.Zones[e.ID] = append(f.Zones[e.ID], z.Name)
				f.ZoneRanges[e.ID][z.Name] = z.CIDRs
			}
		}
		gs, err := deps.Grants.FindEstablishmentGrants(ctx, e.ID)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		for _, g := range gs {
			if g.InForce(f.Now) {
				f.Grants[e.ID] = append(f.Grants[e.ID], g)
			}
		}
		runs, err := deps.Journal.FindJournal(ctx, journal.Filter{Chain: e.ID, Action: "directory.import.run",
			Result: journal.Done, NewFirst: true, Limit: 20})
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		for _, r := range runs {
			src, mode, _ := strings.Cut(r.Reason, " ")
			f.Imports[e.ID] = append(f.Imports[e.ID], ImportRun{At: r.At, Source: src, Mode: mode})
		}
		for _, src := range directory.GenericSources {
			v, err := deps.Settings.Setting(ctx, e.ID, "directory.source."+src)
			if core.IsKind(err, core.NotFound) {
				continue
			} else if err != nil {
				return nil, core.Wrap(op, core.KindOf(err), err)
			}
			var d directory.SourceDeclaration
			if json.Unmarshal([]byte(v), &d) == nil {
				f.Sources[e.ID] = append(f.Sources[e.ID], d)
			}
		}
	}
	if len(chains) > 0 {
		last, err := deps.Journal.FindJournal(ctx, journal.Filter{Chains: chains, NewFirst: true, Limit: 1})
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		if len(last) == 1 {
			f.LastEntry = last[0].At
		}
	}
	if err := gatherDocuments(ctx, deps.Charters, f, chains); err != nil {
		return nil, core.Wrap(op, core.KindOf(err), err)
	}
	if err := gatherBreakGlass(ctx, deps.BreakGlass, f, chains); err != nil {
		return nil, core.Wrap(op, core.KindOf(err), err)
	}
	if deps.Privacy != nil {
		f.Privacy = map[string]PrivacyRecord{}
		for _, e := range ests {
			var rec PrivacyRecord
			_, err := deps.Privacy.PrivacyController(ctx, e.ID)
			switch {
			case err == nil:
				rec.Controller = true
			case !core.IsKind(err, core.NotFound):
				return nil, core.Wrap(op, core.KindOf(err), err)
			}
			ds, err := deps.Privacy.PrivacyDelegates(ctx, e.ID)
			if err != nil {
				return nil, core.Wrap(op, core.KindOf(err), err)
			}
			for _, d := range ds {
				if d.InForce(f.Now) {
					rec.Delegates++
				}
			}
			f.Privacy[e.ID] = rec
		}
	}
	if deps.Verifier != nil {
		c, err := deps.Verifier.VerifyJournal(ctx)
		if err != nil {
			return nil, core.Wrap(op, core.KindOf(err), err)
		}
		// Only the chains in scope (and the deployment's) concern the report.
		c.Problems = slices.DeleteFunc(c.Problems, func(p JournalProblem) bool {
			return p.Chain != journal.DeploymentChain && !slices.Contains(chains, p.Chain)
		})
		f.Journal = &c
	}
	var err error
	if f.Clients, err = deps.Applications.FindClients(ctx, ""); err != nil {
		return nil, core.Wrap(op, core.KindOf(err), err)
	}
	f.Clients = slices.DeleteFunc(f.Clients, func(c *sso.Client) bool { return !c.DisabledAt.IsZero() })
	v, err := deps.Settings.Setting(ctx, "auth", ForgottenPasswordSetting)
	switch {
	case err == nil:
		f.ForgottenText = strings.TrimSpace(v) != ""
	case !core.IsKind(err, core.NotFound):
		return nil, core.Wrap(op, core.KindOf(err), err)
	}
	return f, nil
}

// gatherDocuments reads the current published documents of ests and, for
// those people must accept, the acceptance counts.
func gatherDocuments(ctx context.Context, src Charters, f *Facts, ests []string) error {
	if len(ests) == 0 {
		return nil
	}
	vs, err := src.CurrentCharters(ctx, ests)
	if err != nil {
		return err
	}
	order := func(k charter.Kind) int {
		if i := slices.Index(charter.FixedKinds, k); i >= 0 {
			return i
		}
		return len(charter.FixedKinds)
	}
	slices.SortStableFunc(vs, func(a, b *charter.Version) int {
		if d := order(a.Kind) - order(b.Kind); d != 0 {
			return d
		}
		return strings.Compare(string(a.Kind), string(b.Kind))
	})
	for _, v := range vs {
		if v.Draft() {
			continue
		}
		d := Document{Kind: v.Kind, Number: v.Number, Title: v.Title, PublishedAt: v.PublishedAt}
		if v.Kind.MustAccept(core.ProfilePupil) || v.Kind.MustAccept(core.ProfileAdmin) {
			stats, err := src.CharterStats(ctx, v.Ref())
			if err != nil {
				return err
			}
			for _, s := range stats {
				if v.Kind.MustAccept(s.Profile) && s.People > 0 {
					d.Acceptance = append(d.Acceptance, s)
				}
			}
		}
		f.Documents[v.Establishment] = append(f.Documents[v.Establishment], d)
	}
	return nil
}

// gatherBreakGlass counts the break-glass requests of ests made over the
// last BreakGlassWindow.
func gatherBreakGlass(ctx context.Context, src BreakGlass, f *Facts, ests []string) error {
	f.BreakGlass.UsesBy = map[breakglass.Scope]int{}
	if len(ests) == 0 {
		return nil
	}
	rs, err := src.FindBreakGlasses(ctx, breakglass.Filter{Establishments: ests, Limit: maxBreakGlass})
	if err != nil {
		return err
	}
	since := f.Now.Add(-BreakGlassWindow)
	c := &f.BreakGlass
	c.Truncated = len(rs) >= maxBreakGlass
	for _, r := range rs {
		if r.CreatedAt.Before(since) {
			continue
		}
		c.Requests++
		switch {
		case r.WasApproved():
			c.Approved++
		case r.State == breakglass.Refused:
			c.Refused++
		}
		c.Uses += r.Uses
		c.UsesBy[r.Scope] += r.Uses
		if r.InForce(f.Now) {
			c.InForce++
		}
	}
	return nil
}

// Evaluate gathers the facts of ests and assesses them.
func Evaluate(ctx context.Context, deps Deps, ests []*directory.Establishment) (*Report, error) {
	f, err := Gather(ctx, deps, ests)
	if err != nil {
		return nil, err
	}
	return Assess(f), nil
}
