// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Saved queries and reports (MCO-JAL-5): the authorities define their
// log-consultation needs once — a named search with a declared purpose and
// the audience allowed to run it — and may have it run on a calendar, each
// run producing a report (counts and the CSV) kept for a while and
// announced to the audience. Every creation, change, run and download is
// journaled; a query that may identify people keeps the justification
// rule of any search (MCO-JAL-6).

// Criteria are the search criteria of a saved query: those of Query
// except the period, which a run gives (Window for an interactive run, the
// schedule's period for a report).
type Criteria struct {
	Text    string `json:"text,omitempty"`
	User    string `json:"user,omitempty"`
	Host    string `json:"host,omitempty"`
	Service string `json:"service,omitempty"`
	Class   Class  `json:"class,omitempty"`
	// Window is how far back an interactive run looks by default ("24h",
	// "7d"); empty: everything kept.
	Window string `json:"window,omitempty"`
}

// Query returns the search of c over [since, until) in establishments
// (nil: all; "" names the deployment stream).
func (c Criteria) Query(establishments []string, since, until time.Time) Query {
	q := Query{Text: c.Text, User: c.User, Host: c.Host, Service: c.Service, Since: since, Until: until,
		Establishments: establishments}
	if c.Class != "" {
		q.Classes = []Class{c.Class}
	}
	return q
}

// IdentifiesPeople says whether a run may return records that identify
// people, and so needs a justification.
func (c Criteria) IdentifiesPeople() bool {
	return c.Query(nil, time.Time{}, time.Time{}).IdentifiesPeople()
}

// Audience is who may run a saved query and receives its reports: people
// of these profiles (in the query's establishment) and these logins. They
// must hold logs.read too: the audience narrows, never widens, the right.
type Audience struct {
	Profiles []core.Profile `json:"profiles,omitempty"`
	Logins   []string       `json:"logins,omitempty"`
}

// String describes a in words for the journal: "admin,head +jdupont".
func (a Audience) String() string {
	var p []string
	for _, pr := range a.Profiles {
		p = append(p, string(pr))
	}
	for _, l := range a.Logins {
		p = append(p, "+"+l)
	}
	return strings.Join(p, " ")
}

// Includes reports whether p is in the audience.
func (a Audience) Includes(p core.Principal) bool {
	return slices.Contains(a.Profiles, p.Profile) || (p.Login != "" && slices.Contains(a.Logins, p.Login))
}

// Cadence is how often a saved query's report (or an archive) is made.
type Cadence string

// Cadences. A report is made after its period ends: a daily one just after
// midnight for the previous day, a weekly one on Monday for the previous
// week (Monday to Monday), a monthly one on the 1st for the previous
// month, in the server's time zone.
const (
	Never   Cadence = ""
	Daily   Cadence = "daily"
	Weekly  Cadence = "weekly"
	Monthly Cadence = "monthly"
)

// Cadences lists the cadences a form offers.
var Cadences = []Cadence{Daily, Weekly, Monthly}

// ScheduleDelay is how long after a period ends its report is made: the
// records of its last minutes must have been sealed (logs.seal_interval,
// 5 min by default).
const ScheduleDelay = 15 * time.Minute

// ParseCadence reads a cadence (French names accepted); "", "none", "off"
// and "jamais" are Never.
func ParseCadence(s string) (Cadence, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "off", "never", "jamais", "aucune":
		return Never, nil
	case "daily", "quotidien", "quotidienne", "jour":
		return Daily, nil
	case "weekly", "hebdomadaire", "semaine":
		return Weekly, nil
	case "monthly", "mensuel", "mensuelle", "mois":
		return Monthly, nil
	}
	return Never, core.E("logs.ParseCadence", core.Invalid, "unknown cadence %q: daily, weekly, monthly or off", s)
}

// start returns the start of the period of c holding t, in loc.
func (c Cadence) start(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	switch c {
	case Weekly:
		wd := (int(day.Weekday()) + 6) % 7 // Monday 0
		return day.AddDate(0, 0, -wd)
	case Monthly:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
	return day
}

// next returns the start of the period following the one starting at s.
func (c Cadence) next(s time.Time) time.Time {
	switch c {
	case Weekly:
		return s.AddDate(0, 0, 7)
	case Monthly:
		return s.AddDate(0, 1, 0)
	}
	return s.AddDate(0, 0, 1)
}

// FirstDue returns when the first report of a schedule set at now is due:
// after the end of the current period.
func (c Cadence) FirstDue(now time.Time, loc *time.Location) time.Time {
	return c.next(c.start(now, loc)).Add(ScheduleDelay).UTC()
}

// Period returns the period a report due at due covers: the whole period
// that ended ScheduleDelay before it.
func (c Cadence) Period(due time.Time, loc *time.Location) (since, until time.Time) {
	until = c.start(due.Add(-ScheduleDelay), loc)
	// until is a period start; the report covers the period before it.
	switch c {
	case Weekly:
		since = until.AddDate(0, 0, -7)
	case Monthly:
		since = until.AddDate(0, -1, 0)
	default:
		since = until.AddDate(0, 0, -1)
	}
	return since.UTC(), until.UTC()
}

// NextDue returns the due time following due (the next period's report).
func (c Cadence) NextDue(due time.Time, loc *time.Location) time.Time {
	_, until := c.Period(due, loc)
	return c.next(until.In(loc)).Add(ScheduleDelay).UTC()
}

// Label names the period [since, until) of c for a file or a subject:
// 2026-11-28, 2026-W48, 2026-11.
func (c Cadence) Label(since time.Time, loc *time.Location) string {
	s := since.In(loc)
	switch c {
	case Weekly:
		y, w := s.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case Monthly:
		return s.Format("2006-01")
	}
	return s.Format("2006-01-02")
}

// SavedQuery is a named log search with its purpose and audience, run on
// demand or on a schedule (MCO-JAL-5).
type SavedQuery struct {
	ID            string
	Establishment string // the establishment searched; "" every establishment the runner may read (operators only)
	Name          string
	Purpose       string // why this consultation exists (declared, shown, journaled)
	Criteria      Criteria
	Audience      Audience
	// Justification is carried by every run when set (an open incident, a
	// standing judicial requisition); a query that may identify people
	// without one asks for it at each run, and cannot be scheduled.
	Justification Justification
	Schedule      Cadence
	KeepDays      int       // how long its reports are kept (default 90, at most 366)
	NextRun       time.Time // when its next report is due (zero: not scheduled)
	NotBefore     time.Time // a failed run is retried from then
	LastRun       time.Time
	LastResult    string // "", "ok", "failed"
	LastDetail    string // the reason of a failure, or the report's size
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// DefaultKeepDays is how long reports are kept when not said.
const DefaultKeepDays = 90

// Validate checks a saved query before it is stored.
func (q *SavedQuery) Validate() error {
	const op = "logs.SavedQuery"
	q.Name, q.Purpose = strings.TrimSpace(q.Name), strings.TrimSpace(q.Purpose)
	switch {
	case q.Name == "" || len([]rune(q.Name)) > 80:
		return core.E(op, core.Invalid, "a saved query needs a name of 1 to 80 characters")
	case len([]rune(q.Purpose)) < 10 || len([]rune(q.Purpose)) > 500:
		return core.E(op, core.Invalid, "declare the query's purpose in 10 to 500 characters (why these logs are consulted, for whom)")
	case len(q.Audience.Profiles) == 0 && len(q.Audience.Logins) == 0:
		return core.E(op, core.Invalid, "name the audience allowed to run the query: profiles (admin, head …) or logins")
	case q.Criteria.Class != "":
		if _, ok := RuleOf(q.Criteria.Class); !ok {
			return core.E(op, core.Invalid, "unknown log class %q: connection, system or security", q.Criteria.Class)
		}
	}
	for _, p := range q.Audience.Profiles {
		if !p.Valid() || p == core.ProfilePupil {
			return core.E(op, core.Invalid, "%q cannot be in a log query's audience: admin, head, staff or teacher", p)
		}
	}
	for _, l := range q.Audience.Logins {
		if l == "" || strings.ContainsAny(l, " ,;\n\t") || len(l) > 64 {
			return core.E(op, core.Invalid, "%q is not a login", l)
		}
	}
	if q.Criteria.Window != "" {
		if _, err := ParseWindow(q.Criteria.Window); err != nil {
			return err
		}
	}
	for _, s := range []string{q.Criteria.Text, q.Criteria.User, q.Criteria.Host, q.Criteria.Service} {
		if len(s) > 200 {
			return core.E(op, core.Invalid, "a criterion is longer than 200 bytes")
		}
	}
	if q.KeepDays == 0 {
		q.KeepDays = DefaultKeepDays
	}
	if q.KeepDays < 1 || q.KeepDays > 366 {
		return core.E(op, core.Invalid, "reports are kept 1 to 366 days")
	}
	if q.Schedule != Never && q.Criteria.IdentifiesPeople() && q.Justification.Basis == "" {
		return core.E(op, core.Invalid, "this query may identify people: a scheduled report must carry its justification "+
			"(incident:NUMBER, judicial:REFERENCE or consent:REFERENCE)")
	}
	return nil
}

// ParseWindow reads a run's default window: a duration ("90m", "24h") or
// days ("7d", at most 3660).
func ParseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n > 0 && n <= 3660 && fmt.Sprint(n) == d {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, core.E("logs.ParseWindow", core.Invalid, "the window %q is neither a duration (24h) nor days (7d)", s)
}

// MayRun reports whether p may run (and read the reports of) q: p reads
// logs in q's establishment (readable: the establishments p may read, nil
// for all) and is in the audience, its author, or an operator.
func (q *SavedQuery) MayRun(p core.Principal, readable []string) bool {
	if readable != nil && (q.Establishment == "" || !slices.Contains(readable, q.Establishment)) {
		return false
	}
	return p.Operator() || q.Audience.Includes(p) || (p.Login != "" && p.Login == q.CreatedBy)
}

// Scope returns the establishments a run of q searches for a runner who may
// read readable (nil: all).
func (q *SavedQuery) Scope(readable []string) []string {
	if q.Establishment != "" {
		if q.Establishment == DeploymentScope {
			return []string{""}
		}
		return []string{q.Establishment}
	}
	return readable
}

// DeploymentScope is the Establishment of a query over the deployment
// stream (operators).
const DeploymentScope = "deployment"

// Run runs a saved query the way Consult does — refused and journaled
// without a justification when it may identify people, journaled before
// any record is shown — and names the saved query in the journal entry
// (logs.query.run). just is the one given at the run; the query's own is
// used when none is given.
func Run(ctx context.Context, s *Store, j AccessJournal, sq *SavedQuery, q Query, just Justification) (*Result, error) {
	return runSaved(ctx, s, j, sq, q, just, "query.run")
}

// ExportSaved writes the whole result of a saved query's run (at most
// MaxExport records) as CSV to w, with Run's rules, journaled as
// logs.query.export.
func ExportSaved(ctx context.Context, s *Store, j AccessJournal, sq *SavedQuery, q Query, just Justification, w io.Writer) (int, error) {
	q.Limit, q.Offset = MaxExport, 0
	res, err := runSaved(ctx, s, j, sq, q, just, "query.export")
	if err != nil {
		return 0, err
	}
	return len(res.Records), WriteCSV(w, res.Records)
}

func runSaved(ctx context.Context, s *Store, j AccessJournal, sq *SavedQuery, q Query, just Justification, action string) (*Result, error) {
	if just.Basis == "" {
		just = sq.Justification
	}
	acc := Access{Establishment: chainOf(q), Action: action, Query: q, Justification: just, Saved: sq.Name}
	if sq.Establishment != "" && sq.Establishment != DeploymentScope {
		acc.Establishment = sq.Establishment
	}
	if q.IdentifiesPeople() && just.Basis == "" {
		acc.Refused = "no justification for a search on personal data"
		if err := j.JournalLogAccess(ctx, acc); err != nil {
			return nil, err
		}
		return nil, core.E("logs.Run", core.Permission, msgNoJustification)
	}
	res, err := s.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	acc.Records = len(res.Records)
	if err := j.JournalLogAccess(ctx, acc); err != nil {
		return nil, err
	}
	return res, nil
}

// Count is a value and how many records have it.
type Count struct {
	Value string `json:"value"`
	N     int    `json:"n"`
}

// Summary counts a report's records by class, result, host and user
// (the most frequent TopN of each).
type Summary struct {
	Records   int     `json:"records"`
	Truncated bool    `json:"truncated,omitempty"` // more than MaxExport matched
	Classes   []Count `json:"classes"`
	Results   []Count `json:"results"`
	Hosts     []Count `json:"hosts"`
	Users     []Count `json:"users"`
}

// TopN is how many values of each dimension a summary keeps.
const TopN = 20

// Summarize counts recs.
func Summarize(recs []Record) Summary {
	by := [4]map[string]int{{}, {}, {}, {}}
	for i := range recs {
		r := &recs[i]
		by[0][string(r.Class)]++
		by[1][r.Result]++
		by[2][r.Source]++
		by[3][r.User]++
	}
	top := func(m map[string]int) []Count {
		out := make([]Count, 0, len(m))
		for v, n := range m {
			if v == "" {
				v = "-"
			}
			out = append(out, Count{v, n})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].N != out[j].N {
				return out[i].N > out[j].N
			}
			return out[i].Value < out[j].Value
		})
		return out[:min(len(out), TopN)]
	}
	return Summary{Records: len(recs), Classes: top(by[0]), Results: top(by[1]), Hosts: top(by[2]), Users: top(by[3])}
}

// QueryReport is one scheduled run's output: its counts (in the SQL store) and
// its CSV (an object of the blob store, under Key), kept until Expires.
type QueryReport struct {
	ID            string
	QueryID       string
	QueryName     string
	Establishment string
	Since, Until  time.Time
	Created       time.Time
	Expires       time.Time
	Key           string // blob key of the CSV
	Bytes         int64
	Summary       Summary
}

// ReportKey is the blob key of a report's CSV: under logs-reports/, beside
// (never inside) the sealed streams, so that verification, archives and
// forwarding never see it.
func ReportKey(queryID, reportID string) string {
	return "logs-reports/" + keyPart(queryID) + "/" + keyPart(reportID) + ".csv"
}

// ReportCSV returns recs as the report's CSV.
func ReportCSV(recs []Record) ([]byte, error) {
	var b bytes.Buffer
	err := WriteCSV(&b, recs)
	return b.Bytes(), err
}

// Readable returns the establishments whose logs p may read (MCO-JAL-7):
// nil for an operator (all, and the deployment stream), else those where p
// holds logs.read or administers the establishment as a technical admin.
func Readable(p core.Principal) []string {
	if p.Operator() {
		return nil
	}
	out := []string{}
	for _, e := range p.Establishments {
		if p.HasRight(core.RightLogsRead, e) || (p.Profile == core.ProfileAdmin && p.CanAdminister(e)) {
			out = append(out, e)
		}
	}
	return out
}
