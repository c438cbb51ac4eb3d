// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/preau/preau/internal/blob/bloburl"
	"github.com/preau/preau/internal/files"
)

// runFiles is `preau files scrub|spaces|quota|maintain`.
func runFiles(ctx context.Context, env Env, args []string) error {
	var g globals
	var format, as, est string
	fs := flag.NewFlagSet("preau files", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.register(fs)
	fs.StringVar(&format, "format", "table", "output format: table or json")
	fs.StringVar(&as, "as", "", "act as this person (an administrator) instead of the system")
	fs.StringVar(&est, "establishment", "", "spaces: only this establishment (ID or UAI)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, `Usage:
  preau files scrub                     check the SHA-256 of every stored file and version; journal mismatches
  preau files spaces [--establishment]  sizes, quotas and file counts of the spaces (never names inside)
  preau files quota LOGIN SIZE          set a person's quota (e.g. 20G, 500M; 0 = the profile's default)
  preau files quota-group GROUPID SIZE  set a group space's quota
  preau files quota-default --establishment UAI KIND SIZE
                                        set a default quota: KIND is pupil, teacher, staff, head, admin,
                                        group or establishment
  preau files maintain                  apply the trash and version retention now

Flags:`)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageErr("preau files needs: scrub, spaces, quota, quota-group or maintain")
	}
	if format != "table" && format != "json" {
		return usageErr("--format: table or json")
	}
	b, ctx, err := openCLI(ctx, env, g, as)
	if err != nil {
		return err
	}
	defer b.Close()
	blobs, err := bloburl.Open(ctx, b.cfg.Blobs, filepath.Join(b.cfg.Data, "blobs"), env.Getenv)
	if err != nil {
		return fmt.Errorf("opening the blob store: %w", err)
	}
	svc := b.filesService(blobs)
	out := func(v any) error {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	switch pos[0] {
	case "scrub":
		progress := func(done int, bytes int64) {
			if done%500 == 0 {
				fmt.Fprintf(env.Stderr, "\rscrub: %d objects, %s checked", done, files.HumanSize(bytes))
			}
		}
		rep, err := svc.Scrub(ctx, progress)
		if rep != nil && rep.Checked >= 500 {
			fmt.Fprintln(env.Stderr)
		}
		if err != nil {
			return err
		}
		if format == "json" {
			return out(rep)
		}
		fmt.Fprintf(env.Stdout, "checked %d objects (%s), %d mismatches, %d orphan objects removed\n",
			rep.Checked, files.HumanSize(rep.Bytes), len(rep.Mismatches), rep.Orphans)
		for _, m := range rep.Mismatches {
			fmt.Fprintf(env.Stdout, "MISMATCH space=%s node=%s version=%s: %s\n", m.Ref.Space, m.Ref.NodeID,
				m.Ref.Version, m.Reason)
		}
		if len(rep.Mismatches) > 0 {
			return fmt.Errorf("%d stored objects do not match their checksum (journaled as files.scrub.mismatch)",
				len(rep.Mismatches))
		}
		return nil
	case "spaces":
		if est != "" {
			e, err := b.db.FindEstablishment(ctx, est)
			if err != nil {
				return err
			}
			est = e.ID
		}
		st, err := svc.AdminSpaces(ctx, est)
		if err != nil {
			return err
		}
		if format == "json" {
			return out(st)
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "KIND\tNAME\tUSED\tQUOTA\tFILES\tFOLDERS")
		for _, s := range st {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\n", s.Kind, s.Name, files.HumanSize(s.Used), files.HumanSize(s.Quota),
				s.Files, s.Folders)
		}
		return w.Flush()
	case "quota", "quota-group":
		if len(pos) != 3 {
			return usageErr("preau files %s needs a login (or group ID) and a size", pos[0])
		}
		n, err := ParseSize(pos[2])
		if err != nil {
			return usageErr("%v", err)
		}
		kind := files.Personal
		if pos[0] == "quota-group" {
			kind = files.GroupSpace
		}
		sp, err := svc.SetQuota(ctx, kind, pos[1], n)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "quota of %s set to %s\n", sp.Name, files.HumanSize(n))
		return nil
	case "quota-default":
		if len(pos) != 3 || est == "" {
			return usageErr("preau files quota-default needs --establishment, a kind and a size")
		}
		e, err := b.db.FindEstablishment(ctx, est)
		if err != nil {
			return err
		}
		n, err := ParseSize(pos[2])
		if err != nil {
			return usageErr("%v", err)
		}
		if err := svc.SetDefaultQuota(ctx, e.ID, pos[1], n); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "default quota of %s in %s set to %s\n", pos[1], e.UAI, files.HumanSize(n))
		return nil
	case "maintain":
		n, err := svc.Maintain(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d trashed items and versions removed\n", n)
		return nil
	}
	fs.Usage()
	return usageErr("unknown files command %q", pos[0])
}

// ParseSize reads "20G", "500M", "1024K", "123" (bytes), "1.5G".
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimSuffix(strings.TrimSuffix(s, "B"), "I")
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<60 {
		return 0, fmt.Errorf("%q is not a size (examples: 20G, 500M, 0)", s)
	}
	return int64(f * float64(mult)), nil
}
