// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Run is one traced backup operation (MCO-SVG-13): a backup, a
// verification, a restore drill, a prune or a restore.
type Run struct {
	ID            string
	Op            string // backup, check, drill, prune, restore
	Repo          string // where (a folder or a receiver URL)
	Establishment string
	Snapshot      string
	Kind          string // full, incremental, selective; for restore: disaster, selective
	Started       time.Time
	Finished      time.Time
	Result        string // done, failed
	Files         int64
	Bytes         int64
	AddedBytes    int64
	RepoBytes     int64
	Actor         string
	Detail        string // what went wrong, or what was restored where
}

// Run ops.
const (
	OpBackup  = "backup"
	OpCheck   = "check"
	OpDrill   = "drill"
	OpPrune   = "prune"
	OpRestore = "restore"
)

// Policy is an establishment's backup policy (MCO-SVG-2, -3, -8).
type Policy struct {
	Establishment string   `json:"establishment"` // "" for the deployment
	Enabled       bool     `json:"enabled"`
	Repo          string   `json:"repo"`       // a folder, or https://… of a receiver
	Schedule      string   `json:"schedule"`   // calendar expression, see ParseCalendar
	FullEvery     int      `json:"full_every"` // every Nth run reads everything (0: never)
	Include       []string `json:"include"`    // selection: listing paths (data, blobs/files/…); empty = all
	Exclude       []string `json:"exclude"`    // name patterns (*.iso, *.tmp)
	// ModifiedSince and ModifiedBefore select the files of the data folder
	// and the blob store by modification time (zero: no bound). The
	// database and the catalogue are always taken whole.
	ModifiedSince  time.Time `json:"modified_since,omitzero"`
	ModifiedBefore time.Time `json:"modified_before,omitzero"`
	// Off-site transfers: at most RateLimit bytes per second (0: no
	// limit); scheduled runs start only within Window ("22:00-06:00", ""
	// any time); ClientCert (a sender certificate and key, PEM) and CA (the
	// receiver's CA, PEM) for a receiver requiring mutual TLS.
	RateLimit     int64     `json:"rate_limit,omitempty"`
	Window        string    `json:"window,omitempty"`
	ClientCert    string    `json:"client_cert,omitempty"`
	CA            string    `json:"ca,omitempty"`
	Retention     Retention `json:"retention"`      //
	CheckSchedule string    `json:"check_schedule"` // unattended verification
	DrillDays     int       `json:"drill_days"`     // prompt the key holder for a restore drill every N days
	UpdatedAt     time.Time `json:"updated_at"`
}

// DefaultPolicy is the policy of a deployment that set none: every night,
// a full read once a week, 14 daily, 8 weekly, 12 monthly, 3 yearly,
// verification every Sunday, a drill prompted every 90 days.
func DefaultPolicy() Policy {
	return Policy{Enabled: true, Schedule: "daily 02:30", FullEvery: 7,
		Retention:     Retention{Last: 3, Daily: 14, Weekly: 8, Monthly: 12, Yearly: 3},
		CheckSchedule: "weekly sun 05:00", DrillDays: 90, Exclude: []string{"*.tmp", ".tmp-*"}}
}

// Validate checks a policy and names what is wrong.
func (p Policy) Validate() error {
	const op = "backup.Policy.Validate"
	if _, err := ParseCalendar(p.Schedule); err != nil {
		return err
	}
	if p.CheckSchedule != "" {
		if _, err := ParseCalendar(p.CheckSchedule); err != nil {
			return err
		}
	}
	if _, err := ParseWindow(p.Window); err != nil {
		return err
	}
	if p.RateLimit < 0 {
		return core.E(op, core.Invalid, "the rate limit cannot be negative")
	}
	r := p.Retention
	if r.Last < 0 || r.Daily < 0 || r.Weekly < 0 || r.Monthly < 0 || r.Yearly < 0 || p.FullEvery < 0 || p.DrillDays < 0 {
		return core.E(op, core.Invalid, "retention counts and intervals cannot be negative")
	}
	if !p.ModifiedSince.IsZero() && !p.ModifiedBefore.IsZero() && !p.ModifiedSince.Before(p.ModifiedBefore) {
		return core.E(op, core.Invalid, "the selection's dates are reversed: modified since %s is not before %s",
			p.ModifiedSince.Format("2006-01-02"), p.ModifiedBefore.Format("2006-01-02"))
	}
	for _, x := range p.Exclude {
		if _, err := path.Match(x, "x"); err != nil {
			return core.E(op, core.Invalid, "exclusion pattern %q is not valid", x)
		}
	}
	for _, x := range p.Include {
		if !validPath(strings.Trim(x, "/")) {
			return core.E(op, core.Invalid, "selection %q is not a path like data/keys or blobs/files", x)
		}
	}
	return nil
}

// Selects reports whether a listing path is selected by the policy.
func (p Policy) Selects(pth string) bool {
	base := path.Base(pth)
	for _, x := range p.Exclude {
		if ok, _ := path.Match(x, base); ok {
			return false
		}
	}
	if len(p.Include) == 0 {
		return true
	}
	for _, inc := range p.Include {
		inc = strings.Trim(inc, "/")
		// A folder on the way to a selected path is kept too.
		if Matches([]string{inc}, pth) || strings.HasPrefix(inc, pth+"/") {
			return true
		}
	}
	return false
}

// SelectsTime reports whether a file modified at t is within the policy's
// date bounds: at or after ModifiedSince, strictly before ModifiedBefore.
func (p Policy) SelectsTime(t time.Time) bool {
	if !p.ModifiedSince.IsZero() && t.Before(p.ModifiedSince) {
		return false
	}
	if !p.ModifiedBefore.IsZero() && !t.Before(p.ModifiedBefore) {
		return false
	}
	return true
}

// Dated reports whether the policy selects files by date.
func (p Policy) Dated() bool { return !p.ModifiedSince.IsZero() || !p.ModifiedBefore.IsZero() }

// MarshalPolicy and ParsePolicy give the stored form.
func MarshalPolicy(p Policy) string { b, _ := json.Marshal(p); return string(b) }

// ParsePolicy decodes a stored policy.
func ParsePolicy(s string) (Policy, error) {
	var p Policy
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, core.E("backup.ParsePolicy", core.Invalid, "stored backup policy: %v", err)
	}
	return p, nil
}

// Calendar is a parsed schedule: "hourly", "daily HH:MM", "weekdays HH:MM",
// "weekly DAY HH:MM" (DAY: mon … sun), "monthly N HH:MM" (N: 1-28) or
// "every DURATION" (at least 15m). Times are in the deployment's time zone
// (UTC unless the caller converts).
type Calendar struct {
	kind     string
	hh, mm   int
	weekday  time.Weekday
	monthDay int
	every    time.Duration
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"dim": time.Sunday, "lun": time.Monday, "mar": time.Tuesday, "mer": time.Wednesday, "jeu": time.Thursday,
	"ven": time.Friday, "sam": time.Saturday}

// ParseCalendar parses a schedule expression.
func ParseCalendar(s string) (Calendar, error) {
	bad := core.E("backup.ParseCalendar", core.Invalid,
		"schedule %q: write hourly, daily 02:30, weekdays 02:30, weekly sun 03:00, monthly 1 04:00 or every 6h", s)
	f := strings.Fields(strings.ToLower(strings.TrimSpace(s)))
	if len(f) == 0 {
		return Calendar{}, bad
	}
	hm := func(x string) (int, int, bool) {
		a, b, ok := strings.Cut(x, ":")
		h, e1 := strconv.Atoi(a)
		m, e2 := strconv.Atoi(b)
		return h, m, ok && e1 == nil && e2 == nil && h >= 0 && h < 24 && m >= 0 && m < 60
	}
	c := Calendar{kind: f[0]}
	var ok bool
	switch {
	case f[0] == "hourly" && len(f) == 1:
		return c, nil
	case (f[0] == "daily" || f[0] == "weekdays") && len(f) == 2:
		c.hh, c.mm, ok = hm(f[1])
	case f[0] == "weekly" && len(f) == 3:
		var known bool
		c.weekday, known = weekdays[f[1]]
		c.hh, c.mm, ok = hm(f[2])
		ok = ok && known
	case f[0] == "monthly" && len(f) == 3:
		n, err := strconv.Atoi(f[1])
		c.monthDay = n
		c.hh, c.mm, ok = hm(f[2])
		ok = ok && err == nil && n >= 1 && n <= 28
	case f[0] == "every" && len(f) == 2:
		d, err := time.ParseDuration(f[1])
		c.every = d
		ok = err == nil && d >= 15*time.Minute
	}
	if !ok {
		return Calendar{}, bad
	}
	return c, nil
}

// Next returns the first time strictly after t that the schedule names.
func (c Calendar) Next(t time.Time) time.Time {
	switch c.kind {
	case "hourly":
		return t.Truncate(time.Hour).Add(time.Hour)
	case "every":
		return t.Truncate(c.every).Add(c.every)
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), c.hh, c.mm, 0, 0, t.Location())
	for i := 0; i < 400; i++ {
		if d.After(t) && c.matchesDay(d) {
			return d
		}
		d = d.AddDate(0, 0, 1)
	}
	return d
}

func (c Calendar) matchesDay(d time.Time) bool {
	switch c.kind {
	case "weekdays":
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
	case "weekly":
		return d.Weekday() == c.weekday
	case "monthly":
		return d.Day() == c.monthDay
	}
	return true
}

// Describe returns the schedule in words, in French and English.
func (c Calendar) Describe(lang string) string {
	fr := lang != "en"
	hm := fmt.Sprintf("%02d:%02d", c.hh, c.mm)
	frDays := map[time.Weekday]string{0: "dimanche", 1: "lundi", 2: "mardi", 3: "mercredi", 4: "jeudi", 5: "vendredi", 6: "samedi"}
	switch c.kind {
	case "hourly":
		return map[bool]string{true: "toutes les heures", false: "every hour"}[fr]
	case "every":
		return map[bool]string{true: "toutes les ", false: "every "}[fr] + c.every.String()
	case "daily":
		return map[bool]string{true: "chaque nuit à " + hm, false: "every day at " + hm}[fr]
	case "weekdays":
		return map[bool]string{true: "du lundi au vendredi à " + hm, false: "Monday to Friday at " + hm}[fr]
	case "weekly":
		return map[bool]string{true: "chaque " + frDays[c.weekday] + " à " + hm, false: "every " + c.weekday.String() + " at " + hm}[fr]
	case "monthly":
		return map[bool]string{true: fmt.Sprintf("le %d de chaque mois à %s", c.monthDay, hm), false: fmt.Sprintf("on day %d of each month at %s", c.monthDay, hm)}[fr]
	}
	return ""
}
