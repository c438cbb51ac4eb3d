// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/preau/preau/internal/directory/dirsync"
)

// printRollover shows the preview of a school-year rollover: per level and
// class the pupils moving up, repeating, leaving and arriving, the classes
// created and archived, the teachers' services, and with -v every pupil.
func printRollover(w io.Writer, r *dirsync.Rollover, verbose bool) {
	fmt.Fprintf(w, "School-year rollover %s → %s\n", dirsync.YearName(r.From), dirsync.YearName(r.To))
	if r.OutsideWindow {
		fmt.Fprintf(w, "warning: a rollover is expected between June and September; check that these really are the files of %s\n",
			dirsync.YearName(r.To))
	}
	if r.NoServices {
		fmt.Fprintf(w, "warning: no STS-Web file: teachers keep no class or group of %s until its sts_emp file is imported (again with --rollover)\n",
			dirsync.YearName(r.To))
	}
	fmt.Fprintf(w, "\n  %-10s %7s %8s %7s %6s %7s %7s\n", "level", "before", "move up", "repeat", "leave", "arrive", "after")
	for _, l := range r.Levels {
		fmt.Fprintf(w, "  %-10s %7d %8d %7d %6d %7d %7d\n", l.Level, l.Before, l.MoveUp, l.Repeat, l.Leave, l.Arrive, l.After)
	}
	fmt.Fprintf(w, "\n  Classes of %s (archived: memberships end):\n", dirsync.YearName(r.From))
	fmt.Fprintf(w, "  %-14s %-8s %7s %7s %8s %8s\n", "class", "level", "pupils", "moving", "staying", "leaving")
	for _, c := range r.Old {
		fmt.Fprintf(w, "  %-14s %-8s %7d %7d %8d %8d\n", c.Code, c.Level, c.Pupils, c.Moving, c.Staying, c.Leaving)
	}
	fmt.Fprintf(w, "\n  Classes of %s:\n", dirsync.YearName(r.To))
	fmt.Fprintf(w, "  %-14s %-8s %7s %7s %8s %8s\n", "class", "level", "pupils", "moving", "staying", "arriving")
	for _, c := range r.New {
		fmt.Fprintf(w, "  %-14s %-8s %7d %7d %8d %8d\n", c.Code, c.Level, c.Pupils, c.Moving, c.Staying, c.Arriving)
	}
	fmt.Fprintf(w, "\n  %d classes and groups created, %d archived (%d memberships end)\n", len(r.Created), len(r.Archived), r.EndedMemberships)
	if len(r.PictureLogins) > 0 {
		fmt.Fprintf(w, "  Picture login ends for %s: turn it on for the new classes and print new cards\n", strings.Join(r.PictureLogins, ", "))
	}
	fmt.Fprintf(w, "  Teachers: %d with services in %s, %d changed\n", len(r.Teachers), dirsync.YearName(r.To), r.TeachersChanged)
	for _, l := range r.Teachers {
		if verbose || strings.Contains(l.Detail, "(") {
			fmt.Fprintf(w, "  %-8s %-28s %-30s %s\n", "teaches", l.Login, l.Name, l.Detail)
		}
	}
	if verbose {
		for _, l := range r.Pupils {
			fmt.Fprintf(w, "  %-8s %-28s %-30s %s\n", "pupil", l.Login, l.Name, l.Detail)
		}
	} else if len(r.Pupils) > 0 {
		fmt.Fprintf(w, "  (-v lists every pupil and teacher)\n")
	}
	fmt.Fprintln(w)
}
