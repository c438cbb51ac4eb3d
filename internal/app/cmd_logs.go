// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/logs"
	"github.com/preau/preau/internal/logs/logsweb"
)

const logsUsage = `usage:
  preau logs verify                      check every sealed segment, manifest and chain
  preau logs verify --archive FILE [--identity KEYFILE]   check an archive offline (no data folder
                                         needed); KEYFILE decrypts an encrypted archive
  preau logs search [--text T] [--user LOGIN] [--host H] [--service S] [--class C] [--establishment ID]
                    [--since 1h|RFC3339] [--until …] [--justification KIND:REF] [--page N] [--limit N]
                    [--format text|csv|json|rfc5424] [--out FILE]
  preau logs archive --since … --until … --out FILE|s3://bucket/prefix/NAME [--recipient age1…]
                                         tar of sealed segments, verifiable offline; encrypted with
                                         age for each --recipient; s3:// writes it to a bucket
  preau logs purge                       delete segments past their retention now (journaled)
  preau logs stats                       size of each stream and its projection at its retention
  preau logs retention [--establishment ID --class C --days N]   show, or set (0: the default)
  preau logs query list|save|run|reports|report|delete …   saved queries and scheduled reports
  preau logs archive-schedule [--every monthly --to FOLDER|s3://… --recipient age1…]

A search that may identify people (a user, host or text, or connection and security
data) needs --justification incident:NUMBER, judicial:REFERENCE or consent:REFERENCE;
every search and export is journaled. Records reach search once sealed (logs.seal_interval).`

func runLogs(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stdout, logsUsage)
		return nil
	}
	if args[0] == "query" || args[0] == "archive-schedule" {
		return runLogsQuery(ctx, env, args[0], args[1:])
	}
	var g globals
	fs := flag.NewFlagSet("preau logs "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	var f struct {
		archive, text, user, host, service, class, est, since, until, just, format, out, as string
		page, limit, days                                                                   int
		recipients                                                                          multiFlag
		identity                                                                            string
	}
	fs.Var(&f.recipients, "recipient", "archive: encrypt for this age recipient (age1…, or a file of them); repeatable")
	fs.StringVar(&f.identity, "identity", "", "verify --archive: age identity file decrypting an encrypted archive")
	fs.StringVar(&f.archive, "archive", "", "archive file to verify offline")
	fs.StringVar(&f.text, "text", "", "text in the message, object or fields")
	fs.StringVar(&f.user, "user", "", "login")
	fs.StringVar(&f.host, "host", "", "source host or address")
	fs.StringVar(&f.service, "service", "", "service (proxy, dns, sshd …)")
	fs.StringVar(&f.class, "class", "", "connection, system or security")
	fs.StringVar(&f.est, "establishment", "", "establishment ID or UAI (\"deployment\" for the deployment stream)")
	fs.StringVar(&f.since, "since", "", "start: a duration back from now (1h, 7d) or an RFC 3339 time or a date")
	fs.StringVar(&f.until, "until", "", "end (exclusive), same forms")
	fs.StringVar(&f.just, "justification", "", "incident:NUMBER, judicial:REFERENCE or consent:REFERENCE")
	fs.StringVar(&f.format, "format", "text", "text, csv, json (JSON lines) or rfc5424")
	fs.StringVar(&f.out, "out", "", "output file (archive, export)")
	fs.StringVar(&f.as, "as", "", "act as this admin (their rights apply)")
	fs.IntVar(&f.page, "page", 1, "result page")
	fs.IntVar(&f.limit, "limit", 50, "records per page")
	fs.IntVar(&f.days, "days", -1, "retention in days (0: back to the default)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("unexpected %q\n%s", pos[0], logsUsage)
	}
	if args[0] == "verify" && f.archive != "" {
		return verifyArchiveFile(ctx, env, f.archive, f.identity)
	}
	b, cctx, err := openCLI(ctx, env, g, f.as)
	if err != nil {
		return err
	}
	defer b.Close()
	bs, err := bloburl.Open(ctx, b.cfg.Blobs, filepath.Join(b.cfg.Data, "blobs"), nil)
	if err != nil {
		return fmt.Errorf("opening the blob store: %w", err)
	}
	st, err := logs.Open(ctx, logs.Config{Blobs: bs, Key: b.key, ReadOnly: true, Node: b.cfg.Logs.Node, Clock: b.clock})
	if err != nil {
		return err
	}
	// Local root is a technical admin; --as applies that person's rights
	// (logs.read or the establishment's administration, MCO-JAL-7).
	p := core.PrincipalFromContext(cctx)
	var allowed []string
	if !p.System && !p.Operator() {
		if !logsweb.Allowed(p) {
			return core.E("logs", core.Permission, "%s may not read logs: the head grants logs.read", p.Login)
		}
		for _, e := range p.Establishments {
			if p.HasRight(core.RightLogsRead, e) || (p.Profile == core.ProfileAdmin && p.CanAdminister(e)) {
				allowed = append(allowed, e)
			}
		}
	}
	now := b.clock.Now()
	q := logs.Query{Text: f.text, User: f.user, Host: f.host, Service: f.service, Limit: f.limit}
	if q.Since, err = parseWhen(f.since, now); err != nil {
		return usageErr("--since: %v", err)
	}
	if q.Until, err = parseWhen(f.until, now); err != nil {
		return usageErr("--until: %v", err)
	}
	if f.class != "" {
		if _, ok := logs.RuleOf(logs.Class(f.class)); !ok {
			return usageErr("--class: %q is not connection, system or security", f.class)
		}
		q.Classes = []logs.Class{logs.Class(f.class)}
	}
	if f.est != "" {
		id := ""
		if f.est != "deployment" {
			e, err := b.dir.Establishment(cctx, f.est)
			if err != nil {
				return fmt.Errorf("--establishment %s: %w", f.est, err)
			}
			id = e.ID
		}
		q.Establishments = []string{id}
	}
	if allowed != nil {
		if q.Establishments == nil {
			q.Establishments = allowed
		} else if !slices.Contains(allowed, q.Establishments[0]) {
			return core.E("logs", core.Permission, "%s may not read the logs of %s", p.Login, f.est)
		}
	}
	switch args[0] {
	case "verify":
		rep, err := logs.Verify(ctx, bs, st.PublicKey())
		if err != nil {
			return err
		}
		return printReport(env.Stdout, rep, logs.KeyID(st.PublicKey()))
	case "search":
		just, err := logs.ParseJustification(f.just)
		if err != nil {
			return err
		}
		if f.format != "text" {
			w := env.Stdout
			if f.out != "" {
				return fsutil.WriteFile(f.out, 0o600, false, func(w io.Writer) error {
					n, err := logs.Export(cctx, st, b.db, q, just, f.format, w)
					if err == nil {
						fmt.Fprintf(env.Stderr, "%d records exported to %s (journaled)\n", n, f.out)
					}
					return err
				})
			}
			_, err := logs.Export(cctx, st, b.db, q, just, f.format, w)
			return err
		}
		if f.page < 1 || f.limit < 1 || f.limit > 10000 {
			return usageErr("--page must be at least 1 and --limit between 1 and 10000")
		}
		q.Offset = (f.page - 1) * f.limit
		res, err := logs.Consult(cctx, st, b.db, q, just)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tESTABLISHMENT\tSOURCE\tSERVICE\tUSER\tACTION\tOBJECT\tRESULT\tMESSAGE")
		for _, r := range res.Records {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339), dash(r.Establishment),
				dash(r.Source), dash(r.Service), dash(r.User), dash(r.Action), dash(clip(r.Object, 60)), dash(r.Result), clip(r.Message, 120))
		}
		tw.Flush()
		more := ""
		if res.More {
			more = fmt.Sprintf("; next: --page %d", f.page+1)
		}
		fmt.Fprintf(env.Stdout, "page %d: %d records%s (this search is journaled)\n", f.page, len(res.Records), more)
		return nil
	case "archive":
		if f.out == "" || q.Since.IsZero() || q.Until.IsZero() {
			return usageErr("preau logs archive needs --since, --until and --out")
		}
		rs, err := archiveRecipients(f.recipients)
		if err != nil {
			return err
		}
		var idx *logs.ArchiveIndex
		if storeURL, key, ok, err := splitArchiveURL(f.out); err != nil {
			return err
		} else if ok {
			// Straight to an S3 bucket (credentials from the environment,
			// as for --blobs): the object appears whole or not at all.
			target, err := bloburl.Open(ctx, storeURL, "", env.Getenv)
			if err != nil {
				return fmt.Errorf("opening the archive target: %w", err)
			}
			if idx, err = st.ArchiveToBlob(cctx, target, key, q.Since, q.Until, rs); err != nil {
				return err
			}
		} else if err := fsutil.WriteFile(f.out, 0o600, false, func(w io.Writer) error {
			ew, err := logs.EncryptArchive(w, rs)
			if err != nil {
				return err
			}
			if idx, err = st.ExportArchive(cctx, ew, q.Since, q.Until); err != nil {
				return err
			}
			return ew.Close()
		}); err != nil {
			return err
		}
		n := int64(0)
		for _, s := range idx.Streams {
			n += s.Records
		}
		format, verify := "tar", "preau logs verify --archive "+f.out
		if strings.HasPrefix(f.out, "s3://") {
			format, verify = "tar to S3", "preau logs verify --archive FILE (once downloaded)"
		}
		if len(rs) > 0 {
			format, verify = fmt.Sprintf("%s, age (%d recipients)", format, len(rs)), verify+" --identity KEYFILE"
		}
		if err := b.db.JournalLogAccess(cctx, logs.Access{Action: "archive", Query: logs.Query{Since: q.Since, Until: q.Until},
			Format: format, Records: int(n)}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %d streams, %d records, signed with key %s\nVerify it anywhere with: %s\n",
			f.out, len(idx.Streams), n, idx.KeyID, verify)
		return nil
	case "stats":
		policy, err := retentionPolicy(cctx, b.db)
		if err != nil {
			return err
		}
		us, err := st.Usage(cctx, policy)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STREAM	SEGMENTS	RECORDS	SIZE	FROM	TO	PER DAY	RETENTION	PROJECTED")
		var total, projected int64
		for _, u := range us {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d d\t%s\n", u.Stream, u.Segments, u.Records, mib(u.Bytes),
				u.First.UTC().Format("2006-01-02"), u.Last.UTC().Format("2006-01-02"), mib(u.PerDay), u.Retention, mib(u.Projected))
			total += u.Bytes
			projected += u.Projected
		}
		tw.Flush()
		fmt.Fprintf(env.Stdout, "total %s now, about %s once every stream holds its full retention\n", mib(total), mib(projected))
		return nil
	case "purge":
		jctx := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:retention", core.ChannelCLI))
		if err := purgeLogsOnce(jctx, b.db, st, now); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "retention purge done (journaled)")
		return nil
	case "retention":
		if f.days >= 0 {
			if f.class == "" {
				return usageErr("--days needs --class")
			}
			est := ""
			if len(q.Establishments) == 1 {
				est = q.Establishments[0]
			}
			if err := b.db.SetLogRetention(cctx, est, logs.Class(f.class), f.days); err != nil {
				return err
			}
		}
		rs, err := b.db.LogRetentions(cctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLASS\tDEFAULT\tBOUNDS\tBASIS")
		for _, r := range logs.Rules {
			fmt.Fprintf(tw, "%s\t%d days\t%d–%d\t%s\n", r.Class, r.Default, r.Min, r.Max, r.BasisEN)
		}
		tw.Flush()
		for _, r := range rs {
			fmt.Fprintf(env.Stdout, "establishment %s: %s kept %d days\n", dash(r.Establishment), r.Class, r.Days)
		}
		return nil
	}
	return usageErr("unknown logs command %q\n%s", args[0], logsUsage)
}

// splitArchiveURL splits an s3://bucket/prefix/name?… archive target into
// the blob store's URL (query kept) and the object's key; ok is false for a
// local file.
func splitArchiveURL(out string) (storeURL, key string, ok bool, err error) {
	if !strings.HasPrefix(out, "s3://") {
		return "", "", false, nil
	}
	u, err := url.Parse(out)
	if err != nil {
		return "", "", false, usageErr("--out %q is not a valid URL: %v", out, err)
	}
	dir, name := path.Split(strings.TrimPrefix(u.Path, "/"))
	if u.Host == "" || name == "" {
		return "", "", false, usageErr("--out %q: an S3 target is s3://bucket[/prefix]/NAME[?endpoint=…]", out)
	}
	u.Path = "/" + strings.TrimSuffix(dir, "/")
	if u.Path == "/" {
		u.Path = ""
	}
	return u.String(), name, true, nil
}

// archiveRecipients reads --recipient values: age1… recipients, or files
// holding them (one a line, # comments).
func archiveRecipients(vals []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, v := range vals {
		var src io.Reader = strings.NewReader(v)
		if !strings.HasPrefix(strings.TrimSpace(v), "age1") {
			b, err := os.ReadFile(v)
			if err != nil {
				return nil, usageErr("--recipient %q is neither an age recipient (age1…) nor a readable file: %v", v, err)
			}
			src = bytes.NewReader(b)
		}
		rs, err := age.ParseRecipients(src)
		if err != nil {
			return nil, usageErr("--recipient %q: %v", v, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

func verifyArchiveFile(ctx context.Context, env Env, path, identity string) error {
	var ids []age.Identity
	if identity != "" {
		b, err := os.ReadFile(identity)
		if err != nil {
			return fmt.Errorf("reading the identity file: %w", err)
		}
		if ids, err = age.ParseIdentities(bytes.NewReader(b)); err != nil {
			return usageErr("--identity %s holds no age identity: %v", identity, err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, kid, err := logs.VerifyArchive(ctx, f, "", nil, ids...)
	if err != nil {
		return err
	}
	return printReport(env.Stdout, rep, kid)
}

func printReport(w io.Writer, rep *logs.Report, keyID string) error {
	for _, p := range rep.Problems {
		fmt.Fprintln(w, "PROBLEM", p.String())
	}
	fmt.Fprintf(w, "%d streams, %d segments, %d records checked; key %s\n", rep.Streams, rep.Segments, rep.Records, keyID)
	if !rep.OK() {
		return errors.New("log verification failed: see the problems above")
	}
	fmt.Fprintln(w, "OK: every segment, manifest and chain verifies")
	return nil
}

// parseWhen reads "" (none), a duration back from now ("90m", "1h",
// "7d"), an RFC 3339 time or a date (midnight UTC).
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (1h, 7d), an RFC 3339 time nor a date", s)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "\t", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
