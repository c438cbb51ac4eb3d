// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/proxyd"
	"github.com/preau/preau/internal/store"
)

// runFilter is `preau filter`: import the UT1 lists (the archive as UT1
// publishes it, or an unpacked folder), check why a URL is blocked for a
// person, and show what is in force.
func runFilter(ctx context.Context, env Env, args []string) error {
	var g globals
	var as, user string
	fs := flag.NewFlagSet("preau filter", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&as, "as", "", "act as this person instead of as the system (journaled as the author)")
	fs.StringVar(&user, "user", "", "check: the login whose rules apply (default: a pupil with no group)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau filter import-lists FILE.tar.gz|DIR\n"+
			"       preau filter fetch [URL]   (download, check against MD5SUM.LST, import; run it nightly)\n"+
			"       preau filter check URL [--user LOGIN]\n"+
			"       preau filter status\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageErr("preau filter needs one of import-lists, check, status")
	}
	b, ctx, err := openCLI(ctx, env, g, as)
	if err != nil {
		return err
	}
	defer b.Close()
	switch {
	case pos[0] == "import-lists" && len(pos) == 2:
		return filterImport(ctx, env, b, pos[1])
	case pos[0] == "fetch" && len(pos) <= 2:
		u := b.cfg.Filter.ListsURL
		if len(pos) == 2 {
			u = pos[1]
		}
		if u == "" {
			u = UT1ArchiveURL
		}
		return filterFetch(ctx, env, b, u)
	case pos[0] == "check" && len(pos) == 2:
		return filterCheck(ctx, env, b, pos[1], user)
	case pos[0] == "status" && len(pos) == 1:
		return filterStatus(ctx, env, b)
	}
	fs.Usage()
	return usageErr("unknown or incomplete filter command %q", strings.Join(pos, " "))
}

// UT1ArchiveURL is where UT1 publishes the whole archive (formats.md §1.1).
const UT1ArchiveURL = "https://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz"

// filterFetch downloads the archive, checks it against the MD5SUM.LST
// published beside it, and imports it. A download that does not match its
// checksum changes nothing. UT1 asks for downloads outside 08:00–19:00
// GMT: schedule it at night (a systemd timer or cron).
func filterFetch(ctx context.Context, env Env, b *base, archiveURL string) error {
	tmp, n, err := downloadFilterLists(ctx, &http.Client{Timeout: 15 * time.Minute}, archiveURL, filepath.Join(b.cfg.Data, "filter"))
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	fmt.Fprintf(env.Stderr, "Downloaded %s (%d bytes, MD5 checked).\n", archiveURL, n)
	u, _ := url.Parse(archiveURL)
	return filterImportAs(ctx, env, b, tmp, path.Base(u.Path))
}

// httpGetSmall fetches a small document (at most 1 MiB).
func httpGetSmall(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "Preau/"+Version)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// filterImport checks that the lists load, then installs them in the data
// folder by an atomic rename (a folder is packed into the same archive
// form) and records the import; running nodes reload within seconds. A
// list that does not load changes nothing.
func filterImport(ctx context.Context, env Env, b *base, src string) error {
	return filterImportAs(ctx, env, b, src, filepath.Base(src))
}

func filterImportAs(ctx context.Context, env Env, b *base, src, name string) error {
	fmt.Fprintf(env.Stderr, "Reading %s …\n", src)
	opts := installOpts{}
	if bs, err := bloburl.Open(ctx, b.cfg.Blobs, filepath.Join(b.cfg.Data, "blobs"), nil); err == nil {
		opts.Blobs = bs // shared with the other servers
	} else {
		fmt.Fprintf(env.Stderr, "The blob store cannot be opened (%v): the other servers will not get these lists.\n", err)
	}
	im, st, err := installFilterLists(ctx, b.db, b.cfg, src, name, opts)
	if err != nil {
		return err
	}
	dst := filterListsPath(b.cfg)
	fmt.Fprintf(env.Stdout, "Imported %d categories: %d domains, %d URLs, %d expressions in %s (%d lines refused).\n",
		st.Categories, st.Domains, st.URLs, st.Exprs, st.Duration.Round(time.Millisecond), st.Skipped)
	for _, ex := range st.Examples {
		fmt.Fprintf(env.Stdout, "  refused: %s\n", ex)
	}
	fmt.Fprintf(env.Stdout, "Installed in %s (sha256 %s); running servers reload them within seconds.\n", dst, im.SHA256[:16])
	return nil
}

// packDir writes a folder of lists as a gzip-compressed tar, keeping the
// category aliases (symbolic links to a sibling folder).
func packDir(w io.Writer, root string) error {
	if st, err := os.Stat(filepath.Join(root, "blacklists")); err == nil && st.IsDir() {
		root = filepath.Join(root, "blacklists")
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		name := "blacklists/" + filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil || strings.ContainsAny(t, `/\`) {
				return nil // only sibling aliases
			}
			return tw.WriteHeader(&tar.Header{Name: name, Linkname: t, Typeflag: tar.TypeSymlink, Mode: 0o777})
		case d.IsDir():
			return tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		case d.Type().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			info, err := f.Stat()
			if err != nil {
				return err
			}
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime()}); err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// filterCheck answers "why is this URL blocked?" (INF-SEC-9) for a person.
func filterCheck(ctx context.Context, env Env, b *base, raw, login string) error {
	eng, err := loadEngine(ctx, b)
	if err != nil {
		return err
	}
	host, path, err := filter.NormalizeURL(raw)
	if err != nil {
		return err
	}
	full, _ := filter.NormalizeHost(strings.SplitN(strings.TrimPrefix(strings.TrimPrefix(raw, "http://"), "https://"), "/", 2)[0])
	if full != "" {
		host = full
	}
	req := filter.Request{Host: host, Path: path, URL: raw, Profile: core.ProfilePupil, Time: b.clock.Now()}
	if login != "" {
		p, err := b.db.FindPersonByLogin(ctx, login)
		if err != nil {
			return fmt.Errorf("%s: %w", login, err)
		}
		req.Login, req.Profile, req.Establishment = p.Login, p.Profile, p.MainEstablishment()
		gs, err := b.db.FilterGroupsOf(ctx, p.ID, core.SchoolYear(b.clock.Now()))
		if err != nil {
			return err
		}
		for _, g := range gs {
			req.Groups = append(req.Groups, g.Code)
		}
	}
	d := eng.Decide(&req)
	verdict := "ALLOWED"
	if !d.Allow {
		verdict = "BLOCKED"
	}
	fmt.Fprintf(env.Stdout, "%s %s\n  layer: %s\n  rule: %s\n", verdict, host, d.Layer, d.Rule)
	if d.Category != "" {
		fmt.Fprintf(env.Stdout, "  category: %s\n", d.Category)
	}
	if d.Site != "" {
		fmt.Fprintf(env.Stdout, "  site entry: %s\n", d.Site)
	}
	fmt.Fprintf(env.Stdout, "  %s\n", proxyd.Explain(d, "en", nil))
	return nil
}

// loadEngine builds an engine from the store and the lists in force.
func loadEngine(ctx context.Context, b *base) (*filter.Engine, error) {
	eng := filter.NewEngine()
	var lists *filter.Lists
	if p := filterListsPath(b.cfg); fileExists(p) {
		l, err := filter.Load(p)
		if err != nil {
			return nil, err
		}
		lists = l
	}
	docs, err := b.db.FilterSettings(ctx)
	if err != nil {
		return nil, err
	}
	var national filter.National
	settings := map[string]filter.Settings{}
	for scope, doc := range docs {
		if scope == store.FilterScopeNational {
			_ = json.Unmarshal([]byte(doc), &national)
			continue
		}
		var s filter.Settings
		if json.Unmarshal([]byte(doc), &s) == nil {
			settings[scope] = s
		}
	}
	os, err := b.db.FilterOverrides(ctx, b.clock.Now())
	if err != nil {
		return nil, err
	}
	eng.Update(lists, national, settings, os)
	return eng, nil
}

func filterStatus(ctx context.Context, env Env, b *base) error {
	im, err := b.db.LastFilterImport(ctx)
	if core.IsKind(err, core.NotFound) {
		fmt.Fprintln(env.Stdout, "No lists imported yet: run 'preau filter import-lists blacklists.tar.gz'.")
	} else if err != nil {
		return err
	} else {
		age := b.clock.Now().Sub(im.At).Round(time.Hour)
		fmt.Fprintf(env.Stdout, "Lists: %s, imported %s by %s (%s ago): %d categories, %d domains, %d URLs\n",
			im.Source, im.At.Format(time.DateTime), im.By, age, im.Categories, im.Domains, im.URLs)
		if age > 14*24*time.Hour {
			fmt.Fprintln(env.Stdout, "Warning: the lists are more than two weeks old (INF-SEC-8).")
		}
	}
	if runs, err := b.db.FilterFetchRuns(ctx, 1); err == nil && len(runs) == 1 {
		r := runs[0]
		result := "succeeded"
		if !r.OK {
			result = "FAILED"
		}
		fmt.Fprintf(env.Stdout, "Last download (%s): %s %s: %s\n", r.Cause, r.Started.Format(time.DateTime), result, r.Message)
	}
	if c, err := b.db.FilterFetchConfig(ctx); err == nil {
		state := "off"
		if c.Enabled {
			state = fmt.Sprintf("every %d h from %02d:%02d UTC", c.EveryHours, c.AtMinute/60, c.AtMinute%60)
		}
		fmt.Fprintf(env.Stdout, "Scheduled download: %s (%s)\n", state, c.URL)
	}
	if custom, err := customLists(b.cfg); err == nil && len(custom) > 0 {
		names := make([]string, 0, len(custom))
		for name := range custom {
			names = append(names, name)
		}
		slices.Sort(names)
		fmt.Fprintf(env.Stdout, "Custom lists: %s\n", strings.Join(names, ", "))
	}
	os, err := b.db.FilterOverrides(ctx, b.clock.Now())
	if err != nil {
		return err
	}
	n := 0
	for _, o := range os {
		if o.Active(b.clock.Now()) {
			n++
			what := o.Site + o.Category
			if o.Kind != filter.KindDelegation {
				what = strings.Join(o.Sites, ", ")
			}
			fmt.Fprintf(env.Stdout, "In force: %s for %s until %s by %s: %s\n", o.Kind, o.Target,
				o.Until.Format(time.DateTime), o.AuthorLogin, what)
		}
	}
	if n == 0 {
		fmt.Fprintln(env.Stdout, "No delegation or exam mode in force.")
	}
	return nil
}
