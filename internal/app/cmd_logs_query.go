// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/logs"
)

const logsQueryUsage = `usage:
  preau logs query list                                  the saved queries you may run
  preau logs query save --name N --purpose P --audience admin,head [--logins a,b]
                        [--establishment ID|deployment] [--text T] [--user L] [--host H] [--service S]
                        [--class C] [--window 7d] [--justification KIND:REF]
                        [--schedule daily|weekly|monthly|off] [--keep DAYS] [--id ID (change)]
  preau logs query run ID|NAME [--since …] [--until …] [--justification KIND:REF] [--page N]
                        [--format text|csv] [--out FILE]
  preau logs query reports ID|NAME                       the reports a schedule made
  preau logs query report REPORT-ID --out FILE           download a report's CSV (journaled)
  preau logs query delete ID|NAME                        delete the query and its reports
  preau logs archive-schedule [--every monthly|weekly|daily|off --to FOLDER|s3://bucket/prefix?…
                        [--recipient age1…]]             show or set the scheduled archive

A saved query has a declared purpose and an audience (profiles and logins, who must also
hold logs.read); a query that may identify people asks for --justification at each run
unless it carries one, and only a query carrying one can be scheduled. Every save, run,
download and deletion is journaled (MCO-JAL-5).`

func runLogsQuery(ctx context.Context, env Env, cmd string, args []string) error {
	if cmd == "query" && (len(args) == 0 || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(env.Stdout, logsQueryUsage)
		return nil
	}
	action := "archive-schedule"
	if cmd == "query" {
		action, args = args[0], args[1:]
	}
	var g globals
	fs := flag.NewFlagSet("preau logs "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	var f struct {
		as, id, name, purpose, est, text, user, host, service, class, window, audience, logins, just, schedule string
		since, until, format, out, every, to                                                                   string
		keep, page                                                                                             int
		recipients                                                                                             multiFlag
	}
	fs.StringVar(&f.as, "as", "", "act as this person (their rights and audience apply)")
	fs.StringVar(&f.id, "id", "", "save: the ID of the query to change")
	fs.StringVar(&f.name, "name", "", "the query's name")
	fs.StringVar(&f.purpose, "purpose", "", "the query's declared purpose")
	fs.StringVar(&f.est, "establishment", "", "establishment ID or UAI (\"deployment\" for the deployment stream)")
	fs.StringVar(&f.text, "text", "", "text in the message, object or fields")
	fs.StringVar(&f.user, "user", "", "login")
	fs.StringVar(&f.host, "host", "", "source host or address")
	fs.StringVar(&f.service, "service", "", "service")
	fs.StringVar(&f.class, "class", "", "connection, system or security")
	fs.StringVar(&f.window, "window", "", "default period of a run (24h, 7d)")
	fs.StringVar(&f.audience, "audience", "", "profiles allowed to run it: admin, head, staff, teacher (comma-separated)")
	fs.StringVar(&f.logins, "logins", "", "logins allowed to run it (comma-separated)")
	fs.StringVar(&f.just, "justification", "", "incident:NUMBER, judicial:REFERENCE or consent:REFERENCE")
	fs.StringVar(&f.schedule, "schedule", "", "daily, weekly, monthly or off")
	fs.IntVar(&f.keep, "keep", 0, "days the reports are kept (default 90)")
	fs.StringVar(&f.since, "since", "", "run: start (a duration back from now, RFC 3339 or a date); default the query's window")
	fs.StringVar(&f.until, "until", "", "run: end (exclusive)")
	fs.StringVar(&f.format, "format", "text", "run: text or csv")
	fs.StringVar(&f.out, "out", "", "output file")
	fs.IntVar(&f.page, "page", 1, "run: result page (50 records)")
	fs.StringVar(&f.every, "every", "", "archive-schedule: daily, weekly, monthly or off")
	fs.StringVar(&f.to, "to", "", "archive-schedule: target folder or s3://bucket/prefix?endpoint=…")
	fs.Var(&f.recipients, "recipient", "archive-schedule: age recipient (age1…); repeatable")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	b, cctx, err := openCLI(ctx, env, g, f.as)
	if err != nil {
		return err
	}
	defer b.Close()
	p := core.PrincipalFromContext(cctx)
	readable := logs.Readable(p)
	if p.System {
		readable = nil
	}
	if readable != nil && len(readable) == 0 {
		return core.E("logs", core.Permission, "%s may not read logs: the head grants logs.read", p.Login)
	}
	find := func() (*logs.SavedQuery, error) {
		if len(pos) != 1 {
			return nil, usageErr("name one saved query (its ID or name)\n%s", logsQueryUsage)
		}
		all, err := b.db.LogQueries(cctx)
		if err != nil {
			return nil, err
		}
		var hits []*logs.SavedQuery
		for _, q := range all {
			if q.ID == pos[0] || q.Name == pos[0] {
				hits = append(hits, q)
			}
		}
		switch {
		case len(hits) == 0:
			return nil, core.E("logs.query", core.NotFound, "no saved query %q", pos[0])
		case len(hits) > 1:
			return nil, core.E("logs.query", core.Invalid, "%d saved queries are named %q: give the ID", len(hits), pos[0])
		case !hits[0].MayRun(p, readable):
			return nil, core.E("logs.query", core.Permission, "%s is not in the audience of %q or may not read its establishment's logs",
				p.Login, hits[0].Name)
		}
		return hits[0], nil
	}
	loc := time.Local
	switch action {
	case "list":
		all, err := b.db.LogQueries(cctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tESTABLISHMENT\tCRITERIA\tAUDIENCE\tSCHEDULE\tLAST\tPURPOSE")
		for _, q := range all {
			if !q.MayRun(p, readable) {
				continue
			}
			sched := "on demand"
			if q.Schedule != logs.Never {
				sched = string(q.Schedule) + ", next " + q.NextRun.In(loc).Format("2006-01-02 15:04")
			}
			last := dash(q.LastResult)
			if q.LastResult == "failed" {
				last += ": " + q.LastDetail
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", q.ID, q.Name, dash(q.Establishment),
				q.Criteria.Query(nil, time.Time{}, time.Time{}).Summary(), q.Audience.String(), sched, last, clip(q.Purpose, 60))
		}
		return tw.Flush()
	case "save":
		q := &logs.SavedQuery{}
		if f.id != "" {
			if q, err = b.db.LogQuery(cctx, f.id); err != nil {
				return err
			}
			if !mayChangeCLI(p, q, readable) {
				return core.E("logs.query", core.Permission, "only the query's author or the establishment's administrators change it")
			}
		} else {
			switch {
			case f.est == "deployment":
				q.Establishment = logs.DeploymentScope
			case f.est != "":
				e, err := b.dir.Establishment(cctx, f.est)
				if err != nil {
					return fmt.Errorf("--establishment %s: %w", f.est, err)
				}
				q.Establishment = e.ID
			case readable != nil && len(readable) == 1:
				q.Establishment = readable[0]
			case readable != nil:
				return usageErr("--establishment: you read the logs of several establishments, name one")
			}
			if readable != nil && !containsStr(readable, q.Establishment) {
				return core.E("logs.query", core.Permission, "%s may not read the logs of %s", p.Login, f.est)
			}
		}
		set := func(v *string, flagv, name string) {
			if flagv != "" || f.id == "" || flagSet(fs, name) {
				*v = flagv
			}
		}
		set(&q.Name, f.name, "name")
		set(&q.Purpose, f.purpose, "purpose")
		set(&q.Criteria.Text, f.text, "text")
		set(&q.Criteria.User, f.user, "user")
		set(&q.Criteria.Host, f.host, "host")
		set(&q.Criteria.Service, f.service, "service")
		set(&q.Criteria.Window, f.window, "window")
		cl := string(q.Criteria.Class)
		set(&cl, f.class, "class")
		q.Criteria.Class = logs.Class(cl)
		if f.id == "" || flagSet(fs, "audience") {
			q.Audience.Profiles = nil
			for _, s := range splitList(f.audience) {
				q.Audience.Profiles = append(q.Audience.Profiles, core.Profile(s))
			}
		}
		if f.id == "" || flagSet(fs, "logins") {
			q.Audience.Logins = splitList(f.logins)
		}
		if f.id == "" || flagSet(fs, "justification") {
			if q.Justification, err = logs.ParseJustification(f.just); err != nil {
				return err
			}
		}
		if f.id == "" || flagSet(fs, "schedule") {
			if q.Schedule, err = logs.ParseCadence(f.schedule); err != nil {
				return err
			}
		}
		if f.keep != 0 {
			q.KeepDays = f.keep
		}
		q.NextRun = q.Schedule.FirstDue(b.clock.Now(), loc)
		if err := b.db.SaveLogQuery(cctx, q); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "saved query %s %q (journaled)\n", q.ID, q.Name)
		if q.Schedule != logs.Never {
			fmt.Fprintf(env.Stdout, "%s report, next due %s\n", q.Schedule, q.NextRun.In(loc).Format("2006-01-02 15:04 MST"))
		}
		return nil
	case "delete":
		q, err := find()
		if err != nil {
			return err
		}
		if !mayChangeCLI(p, q, readable) {
			return core.E("logs.query", core.Permission, "only the query's author or the establishment's administrators delete it")
		}
		keys, err := b.db.DeleteLogQuery(cctx, q.ID)
		if err != nil {
			return err
		}
		if len(keys) > 0 {
			bs, err := bloburl.Open(ctx, b.cfg.Blobs, filepath.Join(b.cfg.Data, "blobs"), env.Getenv)
			if err != nil {
				return fmt.Errorf("opening the blob store: %w", err)
			}
			for _, k := range keys {
				_ = bs.Delete(ctx, k)
			}
		}
		fmt.Fprintf(env.Stdout, "deleted query %q and %d reports (journaled)\n", q.Name, len(keys))
		return nil
	case "run":
		q, err := find()
		if err != nil {
			return err
		}
		just, err := logs.ParseJustification(f.just)
		if err != nil {
			return err
		}
		now := b.clock.Now()
		since, err := parseWhen(f.since, now)
		if err != nil {
			return usageErr("--since: %v", err)
		}
		until, err := parseWhen(f.until, now)
		if err != nil {
			return usageErr("--until: %v", err)
		}
		if since.IsZero() && q.Criteria.Window != "" {
			d, _ := logs.ParseWindow(q.Criteria.Window)
			since = now.Add(-d)
		}
		if f.page < 1 {
			return usageErr("--page must be at least 1")
		}
		bs, err := bloburl.Open(ctx, b.cfg.Blobs, filepath.Join(b.cfg.Data, "blobs"), env.Getenv)
		if err != nil {
			return fmt.Errorf("opening the blob store: %w", err)
		}
		st, err := logs.Open(ctx, logs.Config{Blobs: bs, Key: b.key, ReadOnly: true, Node: b.cfg.Logs.Node, Clock: b.clock})
		if err != nil {
			return err
		}
		defer st.Close()
		sq := q.Criteria.Query(q.Scope(readable), since, until)
		switch f.format {
		case "csv":
			sq.Limit = logs.MaxExport
		case "text":
			sq.Limit, sq.Offset = 50, (f.page-1)*50
		default:
			return usageErr("--format: text or csv")
		}
		res, err := logs.Run(cctx, st, b.db, q, sq, just)
		if err != nil {
			return err
		}
		if f.format == "csv" {
			write := func(w io.Writer) error { return logs.WriteCSV(w, res.Records) }
			if f.out == "" {
				return write(env.Stdout)
			}
			if err := fsutil.WriteFile(f.out, 0o600, false, write); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "%d records written to %s (journaled)\n", len(res.Records), f.out)
			return nil
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tESTABLISHMENT\tSOURCE\tSERVICE\tUSER\tACTION\tRESULT\tMESSAGE")
		for _, r := range res.Records {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339), dash(r.Establishment), dash(r.Source),
				dash(r.Service), dash(r.User), dash(r.Action), dash(r.Result), clip(r.Message, 120))
		}
		tw.Flush()
		more := ""
		if res.More {
			more = fmt.Sprintf("; next: --page %d", f.page+1)
		}
		fmt.Fprintf(env.Stdout, "%q page %d: %d records%s (this run is journaled)\n", q.Name, f.page, len(res.Records), more)
		return nil
	case "reports":
		q, err := find()
		if err != nil {
			return err
		}
		rs, err := b.db.LogReports(cctx, q.ID, 100)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPORT\tFROM\tTO\tRECORDS\tTOP RESULTS\tKEPT UNTIL")
		for _, r := range rs {
			var top []string
			for _, c := range r.Summary.Results[:min(3, len(r.Summary.Results))] {
				top = append(top, fmt.Sprintf("%s %d", c.Value, c.N))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Since.In(loc).Format("2006-01-02 15:04"), r.Until.In(loc).Format("2006-01-02 15:04"),
				r.Summary.Records, dash(strings.Join(top, ", ")), r.Expires.In(loc).Format("2006-01-02"))
		}
		return tw.Flush()
	case "report":
		if len(pos) != 1 || f.out == "" {
			return usageErr("preau logs query report REPORT-ID --out FILE")
		}
		rep, err := b.db.LogReport(cctx, pos[0])
		if err != nil {
			return err
		}
		q, err := b.db.LogQuery(cctx, rep.QueryID)
		if err != nil {
			return err
		}
		if !q.MayRun(p, readable) {
			return core.E("logs.query", core.Permission, "%s is not in the audience of %q", p.Login, q.Name)
		}
		bs, err := bloburl.Open(ctx, b.cfg.Blobs, filepath.Join(b.cfg.Data, "blobs"), env.Getenv)
		if err != nil {
			return fmt.Errorf("opening the blob store: %w", err)
		}
		rc, _, err := bs.Open(ctx, rep.Key)
		if err != nil {
			return err
		}
		defer rc.Close()
		if err := b.db.JournalLogReportDownload(cctx, rep); err != nil {
			return err
		}
		if err := fsutil.WriteFile(f.out, 0o600, false, func(w io.Writer) error { _, err := io.Copy(w, rc); return err }); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "report of %q (%d records) written to %s (journaled)\n", q.Name, rep.Summary.Records, f.out)
		return nil
	case "archive-schedule":
		if readable != nil {
			return core.E("logs.archive", core.Permission, "the scheduled archive covers every establishment: operators only")
		}
		if f.every != "" {
			c, err := logs.ParseCadence(f.every)
			if err != nil {
				return err
			}
			a := &logs.ArchiveSchedule{Cadence: c, Target: f.to, Recipients: f.recipients}
			a.NextRun = c.FirstDue(b.clock.Now(), loc)
			if c != logs.Never && !strings.HasPrefix(f.to, "s3://") && f.to != "" {
				if a.Target, err = filepath.Abs(f.to); err != nil {
					return err
				}
			}
			if err := b.db.SetLogArchiveSchedule(cctx, a); err != nil {
				return err
			}
		}
		a, err := b.db.LogArchiveSchedule(cctx)
		if core.IsKind(err, core.NotFound) || err == nil && a.Cadence == logs.Never {
			fmt.Fprintln(env.Stdout, "no scheduled archive (set one with --every monthly --to FOLDER|s3://…)")
			return nil
		} else if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s archive to %s, %d recipients, next %s\n", a.Cadence, a.Target, len(a.Recipients),
			a.NextRun.In(loc).Format("2006-01-02 15:04 MST"))
		if a.LastResult != "" {
			fmt.Fprintf(env.Stdout, "last run %s: %s (%s)\n", a.LastRun.In(loc).Format("2006-01-02 15:04"), a.LastResult, a.LastDetail)
		}
		return nil
	}
	return usageErr("unknown logs query command %q\n%s", action, logsQueryUsage)
}

func mayChangeCLI(p core.Principal, q *logs.SavedQuery, readable []string) bool {
	if p.System || p.Operator() {
		return true
	}
	if q.Establishment == "" || q.Establishment == logs.DeploymentScope || !containsStr(readable, q.Establishment) {
		return false
	}
	return p.Login == q.CreatedBy || p.CanAdminister(q.Establishment)
}

func containsStr(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if !containsStr(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
