// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitorweb

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/monitor"
	"github.com/preau/preau/internal/web"
)

// Period of the dashboard's figures.
const Period = 30 * 24 * time.Hour

// Source is what the dashboard reads: one grouped read each.
type Source interface {
	FindTargets(ctx context.Context, ests []string) ([]*monitor.Target, error)
	FindIncidents(ctx context.Context, f monitor.IncidentFilter) ([]*monitor.Incident, error)
	RequestStats(ctx context.Context, ests []string, since time.Time) ([]monitor.RequestCount, error)
}

// Figures computes the dashboard figures of the establishments in scope
// (nil: every one), with the names and account counts of all.
func Figures(ctx context.Context, src Source, all []*directory.EstablishmentSummary, scope []string, now time.Time) ([]monitor.Figures, error) {
	var ests []string
	byID := map[string]*directory.EstablishmentSummary{}
	for _, e := range all {
		if scope == nil || slices.Contains(scope, e.ID) {
			ests = append(ests, e.ID)
			byID[e.ID] = e
		}
	}
	since := now.Add(-Period)
	targets, err := src.FindTargets(ctx, scope)
	if err != nil {
		return nil, err
	}
	// Each target carries its window's counts: one row per target, not its
	// history (the store keeps them, see RecomputeWindows).
	samples := make([]monitor.Sample, 0, len(targets))
	for _, t := range targets {
		samples = append(samples, monitor.Sample{TargetID: t.ID, Checks: t.WindowChecks, Failures: t.WindowFailures})
	}
	open, err := src.FindIncidents(ctx, monitor.IncidentFilter{Establishments: scope, States: []monitor.IncidentState{monitor.Open, monitor.Acknowledged}, Limit: 100000})
	if err != nil {
		return nil, err
	}
	recent, err := src.FindIncidents(ctx, monitor.IncidentFilter{Establishments: scope, Since: since, Limit: 100000})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	incs := recent
	for _, i := range recent {
		seen[i.ID] = true
	}
	for _, i := range open {
		if !seen[i.ID] {
			incs = append(incs, i)
		}
	}
	reqs, err := src.RequestStats(ctx, scope, since)
	if err != nil {
		return nil, err
	}
	fs := monitor.Aggregate(ests, targets, samples, incs, reqs, now)
	for i := range fs {
		e := byID[fs[i].Establishment]
		fs[i].UAI, fs[i].Name, fs[i].AccountsTotal = e.UAI, e.Name, e.People
	}
	slices.SortFunc(fs, func(a, b monitor.Figures) int { return strings.Compare(a.UAI, b.UAI) })
	return fs, nil
}

type dashboardView struct {
	Total    monitor.Figures
	Rows     []monitor.Figures
	Fleet    bool // several establishments: the per-establishment table
	Charts   []web.Chart
	Period   int // days
	Services []string
	Storage  *storageView
	Mbps     float64 // mean bandwidth through the filtering proxy over the period, when counted
}

// storageView is the data folder's use, for those who read Préau's own
// services.
type storageView struct {
	Total, Free, Used uint64
}

func (h *Handler) dashboardData(r *http.Request) ([]monitor.Figures, error) {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	scope := monitor.ReadScope(p)
	if scope != nil && len(scope) == 0 {
		return nil, monitor.ErrMayNotRead
	}
	_, all, err := h.ests(ctx)
	if err != nil {
		return nil, err
	}
	fs, err := Figures(ctx, h.deps.Service.Store(), all, scope, h.deps.Clock.Now())
	if err != nil || h.deps.Internet == nil {
		return fs, err
	}
	use, err := h.deps.Internet(ctx, scope, h.deps.Clock.Now().Add(-Period))
	if err != nil {
		return nil, err
	}
	for i := range fs {
		u := use[fs[i].Establishment]
		fs[i].Internet = &u
	}
	return fs, nil
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.dashboardData(r)
	if err != nil {
		return err
	}
	v, err := h.dashboardView(r, fs)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "monitor/dashboard", v)
	return nil
}

// dashboardView draws the charts of the figures.
func (h *Handler) dashboardView(r *http.Request, fs []monitor.Figures) (dashboardView, error) {
	ctx := r.Context()
	t := func(k string, a ...any) string { return web.T(ctx, k, a...) }
	v := dashboardView{Total: monitor.Total(fs), Rows: fs, Fleet: len(fs) > 1, Period: int(Period / (24 * time.Hour))}
	var labels []string
	var values []int
	for _, s := range v.Total.Services {
		labels = append(labels, s.Service)
		values = append(values, int(s.Availability*1000+0.5))
		v.Services = append(v.Services, s.Service)
	}
	avail := web.Chart{Title: t("monitor.chart.availability.title"), Desc: t("monitor.chart.availability.desc"),
		Percent: true, Series: []string{t("monitor.chart.availability.up"), t("monitor.chart.availability.down")},
		Empty: t("monitor.chart.availability.empty")}
	for i, l := range labels {
		avail.Rows = append(avail.Rows, web.ChartRow{Label: l, Values: []int{values[i], 1000 - values[i]}})
	}
	labels, values = nil, nil
	for _, c := range monitor.Categories {
		labels = append(labels, t("monitor.category."+string(c)))
		values = append(values, v.Total.ByCategory[c])
	}
	reqs := web.Bars(t("monitor.chart.requests.title", v.Period), t("monitor.chart.requests.desc"), labels, values)
	reqs.Empty = t("monitor.chart.requests.empty")
	inc := web.Bars(t("monitor.chart.incidents.title", v.Period), t("monitor.chart.incidents.desc"),
		[]string{t("monitor.chart.incidents.open"), t("monitor.chart.incidents.all"), t("monitor.chart.incidents.breached")},
		[]int{v.Total.IncidentsOpen, v.Total.Incidents, v.Total.RestoreBreached})
	inc.Empty = t("monitor.chart.incidents.empty")
	v.Charts = []web.Chart{avail, inc, reqs}
	if in := v.Total.Internet; in != nil {
		net := web.Bars(t("monitor.chart.internet.title", v.Period), t("monitor.chart.internet.desc"),
			[]string{t("monitor.chart.internet.allowed"), t("monitor.chart.internet.blocked")},
			[]int{int(in.Allowed), int(in.Blocked)})
		net.Empty = t("monitor.chart.internet.empty")
		v.Charts = append(v.Charts, net)
		v.Mbps = in.Mbps(Period)
	}
	if h.deps.Storage != nil && monitor.CanRead(core.PrincipalFromContext(ctx), "") {
		if total, free, parts, err := h.deps.Storage(ctx); err == nil {
			v.Storage = &storageView{Total: total, Free: free, Used: total - free}
			labels, values = nil, nil
			names := make([]string, 0, len(parts))
			for p := range parts {
				names = append(names, p)
			}
			slices.Sort(names)
			for _, p := range names {
				labels = append(labels, p)
				values = append(values, int(parts[p]>>10))
			}
			st := web.Bars(t("monitor.chart.storage.title"), t("monitor.chart.storage.desc"), labels, values)
			st.Empty = t("monitor.chart.storage.empty")
			v.Charts = append(v.Charts, st)
		}
	}
	if h.deps.Charts != nil {
		more, err := h.deps.Charts(r)
		if err != nil {
			return v, err
		}
		v.Charts = append(v.Charts, more...)
	}
	return v, nil
}

// CSVHeader is the first line of the dashboard export: the figures national
// surveys ask for, one line per establishment. No column can hold a person.
var CSVHeader = []string{"uai", "name", "period_days", "availability_pct", "checks_declared", "checks_down",
	"incidents", "incidents_open", "mean_time_to_restore_min", "restore_target_breached", "requests", "requests_open",
	"mean_request_delay_h", "accounts", "bandwidth_mbps", "filtered_requests"}

func pct(a float64) string {
	if a < 0 {
		return ""
	}
	return strconv.FormatFloat(a*100, 'f', 2, 64)
}

func (h *Handler) dashboardCSV(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.dashboardData(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="preau-supervision-`+h.deps.Clock.Now().Format("2006-01-02")+`.csv"`)
	return WriteCSV(w, fs)
}

// figureJSON is one establishment in the JSON export: the CSV's columns.
type figureJSON struct {
	UAI              string         `json:"uai"`
	Name             string         `json:"name"`
	PeriodDays       int            `json:"period_days"`
	Availability     *float64       `json:"availability_pct"` // null without any check
	Services         map[string]any `json:"availability_by_service_pct"`
	Checks           int            `json:"checks_declared"`
	ChecksDown       int            `json:"checks_down"`
	Incidents        int            `json:"incidents"`
	IncidentsOpen    int            `json:"incidents_open"`
	MeanRestoreMin   float64        `json:"mean_time_to_restore_min"`
	RestoreBreached  int            `json:"restore_target_breached"`
	Requests         int            `json:"requests"`
	RequestsOpen     int            `json:"requests_open"`
	RequestsByCat    map[string]int `json:"requests_by_category"`
	MeanRequestDelay float64        `json:"mean_request_delay_h"`
	Accounts         int            `json:"accounts"`
	BandwidthMbps    *float64       `json:"bandwidth_mbps"`            // null when not counted
	Allowed          *int64         `json:"internet_requests_allowed"` // null when not counted
	Filtered         *int64         `json:"filtered_requests"`         // null when not counted
}

func (h *Handler) dashboardJSON(w http.ResponseWriter, r *http.Request) error {
	fs, err := h.dashboardData(r)
	if err != nil {
		return err
	}
	out := make([]figureJSON, 0, len(fs))
	for _, f := range fs {
		j := figureJSON{UAI: f.UAI, Name: f.Name, PeriodDays: int(Period / (24 * time.Hour)), Services: map[string]any{},
			Checks: f.Targets, ChecksDown: f.TargetsDown, Incidents: f.Incidents, IncidentsOpen: f.IncidentsOpen,
			MeanRestoreMin: f.MeanRestore.Minutes(), RestoreBreached: f.RestoreBreached, Requests: f.Requests,
			RequestsOpen: f.RequestsOpen, RequestsByCat: map[string]int{}, MeanRequestDelay: f.MeanDelay.Hours(),
			Accounts: f.AccountsTotal}
		if in := f.Internet; in != nil {
			mbps := in.Mbps(Period)
			j.BandwidthMbps, j.Allowed, j.Filtered = &mbps, &in.Allowed, &in.Blocked
		}
		if f.Availability >= 0 {
			a := f.Availability * 100
			j.Availability = &a
		}
		for _, s := range f.Services {
			j.Services[s.Service] = s.Availability * 100
		}
		for c, n := range f.ByCategory {
			j.RequestsByCat[string(c)] = n
		}
		out = append(out, j)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(map[string]any{"establishments": out})
}

// WriteCSV writes the figures as CSV (RFC 4180), CSVHeader first: the
// bandwidth is the period's mean through the filtering proxy, the filtered
// requests those it and the DNS filter blocked.
func WriteCSV(w interface{ Write([]byte) (int, error) }, fs []monitor.Figures) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	days := strconv.Itoa(int(Period / (24 * time.Hour)))
	for _, f := range fs {
		if err := cw.Write([]string{f.UAI, csvSafe(f.Name), days, pct(f.Availability), strconv.Itoa(f.Targets),
			strconv.Itoa(f.TargetsDown), strconv.Itoa(f.Incidents), strconv.Itoa(f.IncidentsOpen),
			fmt.Sprintf("%.0f", f.MeanRestore.Minutes()), strconv.Itoa(f.RestoreBreached), strconv.Itoa(f.Requests),
			strconv.Itoa(f.RequestsOpen), fmt.Sprintf("%.1f", f.MeanDelay.Hours()), strconv.Itoa(f.AccountsTotal),
			internetCSV(f.Internet, func(u *monitor.InternetUse) string { return fmt.Sprintf("%.3f", u.Mbps(Period)) }),
			internetCSV(f.Internet, func(u *monitor.InternetUse) string { return strconv.FormatInt(u.Blocked, 10) })}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// internetCSV is a cell of the internet columns: empty when not counted.
func internetCSV(u *monitor.InternetUse, cell func(*monitor.InternetUse) string) string {
	if u == nil {
		return ""
	}
	return cell(u)
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
