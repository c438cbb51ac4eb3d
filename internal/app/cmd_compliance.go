// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/preau/preau/internal/compliance"
	"github.com/preau/preau/internal/compliance/report"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/store"
)

func runCompliance(ctx context.Context, env Env, args []string) error {
	var g globals
	var format, uai, lang, out string
	fs := flag.NewFlagSet("preau compliance", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&format, "format", "csv", "report format: csv, html or pdf")
	fs.StringVar(&uai, "uai", "", "only this establishment (default: every establishment)")
	fs.StringVar(&lang, "lang", "fr", "language of the evidence and labels: fr or en")
	fs.StringVar(&out, "out", "", "output file, written atomically (default standard output)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau compliance [--format csv|html|pdf] [--uai UAI] [--lang fr|en] [--out FILE]\n\n"+
			"The live CARINE compliance report: every requirement (163 numbered, 20 narrative) with its status\n"+
			"(met, partly, not-met, organisational) and the evidence read from this deployment.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return usageErr("preau compliance takes no argument, got %q", pos[0])
	}
	if !slices.Contains(report.Formats, format) {
		return usageErr("--format %q: expected csv, html or pdf", format)
	}
	if lang != "fr" && lang != "en" {
		return usageErr("--lang %q: expected fr or en", lang)
	}
	b, ctx, err := openCLI(ctx, env, g, "")
	if err != nil {
		return err
	}
	defer b.Close()
	var ests []*directory.Establishment
	if uai != "" {
		e, err := b.dir.Establishment(ctx, uai)
		if err != nil {
			return fmt.Errorf("--uai %s: %w", uai, err)
		}
		ests = append(ests, e)
	} else {
		sums, err := b.dir.Establishments(ctx)
		if err != nil {
			return err
		}
		for _, s := range sums {
			ests = append(ests, &s.Establishment)
		}
	}
	rep, err := compliance.Evaluate(ctx, b.complianceDeps(0), ests)
	if err != nil {
		return err
	}
	if out == "" {
		return report.Write(env.Stdout, rep, format, lang)
	}
	if err := fsutil.WriteFile(out, 0o644, false, func(w io.Writer) error { return report.Write(w, rep, format, lang) }); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(env.Stderr, "CARINE compliance report (%s, %d requirements) written to %s\n", format, len(rep.Results), out)
	return nil
}

// complianceDeps are the live sources of the compliance report; the
// journal verification is reused for verifyTTL (0: verified each time).
func (b *base) complianceDeps(verifyTTL time.Duration) compliance.Deps {
	c := b.cfg
	v := journalVerifier{db: b.db, pub: b.key.Public().(ed25519.PublicKey), clock: b.clock, ttl: verifyTTL,
		mu: new(sync.Mutex), last: new(compliance.JournalCheck)}
	return compliance.Deps{Passwords: b.auth, Accounts: b.db, Journal: b.db, Zones: b.db, Applications: b.db, Settings: b.db,
		Charters: b.db, Grants: b.db, BreakGlass: b.db, Privacy: b.db, Verifier: v, Clock: b.clock, Version: Version,
		Backups: backupFacts{b}, Logs: logFacts{b}, Monitor: monitorFacts{b}, Filter: filterFacts{b},
		Config: compliance.Config{StrongFor: c.Auth.StrongFor, StrongMaxAge: c.Auth.StrongMaxAge,
			LDAPListening: c.Listen.LDAP != "" || c.Listen.LDAPS != "", AllowPlainBindRemote: c.LDAP.AllowPlainBindRemote,
			AllowAnonymousLDAP: c.LDAP.AllowAnonymous, OperatorCertificate: c.TLS.CertFile != "", BlobStore: c.Blobs,
			MailRelay: c.Mail.Relay != "", JournalRetention: c.Journal.Retention, TrustedProxies: c.Web.TrustedProxies}}
}

// logFacts gives the compliance report the log service's facts: whether
// the store runs, where it forwards, and each establishment's retention
// per class (its setting or the class default).
type logFacts struct{ b *base }

func (f logFacts) LogFacts(ctx context.Context, ests []string) (*compliance.LogFacts, error) {
	c := f.b.cfg.Logs
	out := &compliance.LogFacts{Enabled: !c.Disabled, ForwardTo: c.ForwardTo, Retention: map[string]map[logs.Class]int{}}
	policy, err := retentionPolicy(ctx, f.b.db)
	if err != nil {
		return nil, err
	}
	for _, e := range ests {
		out.Retention[e] = map[logs.Class]int{}
		for _, r := range logs.Rules {
			out.Retention[e][r.Class] = policy(logs.Stream{Class: r.Class, Establishment: e})
		}
	}
	return out, nil
}

// monitorFacts gives the compliance report the supervision's counts for
// the establishments of the report.
type monitorFacts struct{ b *base }

func (f monitorFacts) MonitorFacts(ctx context.Context, ests []string) (*compliance.MonitorFacts, error) {
	out := &compliance.MonitorFacts{}
	if len(ests) == 0 {
		return out, nil
	}
	ts, err := f.b.db.FindTargets(ctx, ests)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Enabled {
			out.Targets++
			if t.State == monitor.Down {
				out.Down++
			}
		}
	}
	is, err := f.b.db.FindIncidents(ctx, monitor.IncidentFilter{Establishments: ests, States: []monitor.IncidentState{monitor.Open, monitor.Acknowledged}})
	if err != nil {
		return nil, err
	}
	out.OpenIncidents = len(is)
	rs, err := f.b.db.FindRequests(ctx, monitor.RequestFilter{Establishments: ests,
		States: []monitor.RequestState{monitor.ReqNew, monitor.ReqAssigned, monitor.ReqAnswered}})
	if err != nil {
		return nil, err
	}
	out.OpenRequests = len(rs)
	return out, nil
}

// journalVerifier verifies the journal for the compliance report. With a
// ttl (the server), a verification serves the reports of the next ttl, so
// that a large journal is not walked at every page view; concurrent
// reports wait for the one verification in progress.
type journalVerifier struct {
	db    *store.DB
	pub   ed25519.PublicKey
	clock core.Clock
	ttl   time.Duration
	mu    *sync.Mutex
	last  *compliance.JournalCheck
}

func (v journalVerifier) VerifyJournal(ctx context.Context) (compliance.JournalCheck, error) {
	if v.ttl > 0 {
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.last.Chains > 0 && v.clock.Now().Sub(v.last.At) < v.ttl {
			return *v.last, nil
		}
	}
	at := v.clock.Now()
	rep, err := v.db.VerifyJournal(ctx, v.pub, nil)
	if err != nil {
		return compliance.JournalCheck{}, err
	}
	c := compliance.JournalCheck{At: at, Chains: rep.Chains, Entries: rep.Entries}
	for _, p := range rep.Problems {
		c.Problems = append(c.Problems, compliance.JournalProblem{Chain: p.Chain, What: p.String()})
	}
	if v.ttl > 0 {
		*v.last = c
	}
	return c, nil
}
