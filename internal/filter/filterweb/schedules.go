// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/web"
)

// Paths of the schedule, holiday and national-layer pages.
const (
	SchedulesPath = "/filter/schedules"
	NationalPath  = "/filter/national"
)

// weekDays in the order a French week is read (Monday first).
var weekDays = []int{1, 2, 3, 4, 5, 6, 0}

type scheduleRow struct {
	filter.Schedule
	Index int
}

type holidayRow struct {
	filter.Holiday
	Index int
}

type schedulesView struct {
	Schedules  []scheduleRow
	Holidays   []holidayRow
	Profiles   []string
	Categories []option
	Days       []int
	Form       *web.Form
	Holiday    *web.Form
	Error      string
	TimeZone   string
}

func (h *Handler) schedulesView(ctx context.Context, st filter.Settings, f, hf *web.Form) *schedulesView {
	v := &schedulesView{Form: f, Holiday: hf, Days: weekDays, TimeZone: st.TimeZone}
	if v.TimeZone == "" {
		v.TimeZone = "Europe/Paris"
	}
	for i, s := range st.Schedules {
		v.Schedules = append(v.Schedules, scheduleRow{Schedule: s, Index: i})
	}
	for i, x := range st.Holidays {
		v.Holidays = append(v.Holidays, holidayRow{Holiday: x, Index: i})
	}
	for _, p := range st.Profiles {
		v.Profiles = append(v.Profiles, p.Name)
	}
	lang := web.LangFromContext(ctx)
	if l := h.d.Service.Engine().Lists(); l != nil {
		for _, c := range l.Categories() {
			if !c.WhiteOnly() {
				v.Categories = append(v.Categories, option{Value: c.Name, Label: c.Label(lang)})
			}
		}
		slices.SortFunc(v.Categories, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	}
	return v
}

func (h *Handler) schedules(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	st, err := h.d.Service.Settings(ctx, est)
	if err != nil {
		return err
	}
	f := web.NewForm(ctx, nil)
	f.Values.Set("from", "12:00")
	f.Values.Set("to", "14:00")
	h.rd.Page(w, r, http.StatusOK, "filter/schedules", h.schedulesView(ctx, st, f, web.NewForm(ctx, nil)))
	return nil
}

// saveSchedules adds a schedule or a holiday, or removes one ("delete"
// names its kind and index), then validates and stores the whole settings
// (journaled; a refused change names every problem and writes nothing).
func (h *Handler) saveSchedules(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, f, st, err := h.settingsChange(r)
	if err != nil {
		return err
	}
	form, hform := web.NewForm(ctx, nil), web.NewForm(ctx, nil)
	reason := ""
	switch what := f.Value("what"); what {
	case "schedule":
		form = f
		sc := filter.Schedule{Name: f.Required("name", "filter.field.schedule_name"), Profile: f.Value("profile"),
			From: f.Value("from"), To: f.Value("to"), BlockAll: f.Checked("block_all"), Holidays: f.Value("holidays"),
			BlockCategories: f.Values["categories"]}
		for _, d := range f.Values["days"] {
			if n, err := strconv.Atoi(d); err == nil && n >= 0 && n <= 6 {
				sc.Days = append(sc.Days, n)
			}
		}
		if len(sc.Days) == 0 {
			f.Fail("days", "filter.form.no_days")
		}
		for _, k := range []string{"from", "to"} {
			if _, err := time.Parse("15:04", f.Value(k)); err != nil {
				f.Fail(k, "filter.form.bad_time")
			}
		}
		if !sc.BlockAll && len(sc.BlockCategories) == 0 {
			f.Fail("categories", "filter.form.schedule_blocks_nothing")
		}
		st.Schedules = slices.DeleteFunc(st.Schedules, func(x filter.Schedule) bool { return x.Name == sc.Name })
		st.Schedules = append(st.Schedules, sc)
		reason = "schedule " + sc.Name
	case "holiday":
		hform = f
		hd := filter.Holiday{Name: f.Required("hname", "filter.field.holiday_name"), From: f.Value("hfrom"), To: f.Value("hto")}
		for _, k := range []string{"hfrom", "hto"} {
			if _, err := time.Parse(time.DateOnly, f.Value(k)); err != nil {
				f.Fail(k, "filter.form.bad_date")
			}
		}
		st.Holidays = append(st.Holidays, hd)
		reason = "holiday " + hd.Name
	case "delete-schedule", "delete-holiday":
		i := f.Int("index", 0, 10000)
		if what == "delete-schedule" && f.Valid() && i < len(st.Schedules) {
			reason = "delete schedule " + st.Schedules[i].Name
			st.Schedules = slices.Delete(st.Schedules, i, i+1)
		} else if what == "delete-holiday" && f.Valid() && i < len(st.Holidays) {
			reason = "delete holiday " + st.Holidays[i].Name
			st.Holidays = slices.Delete(st.Holidays, i, i+1)
		} else {
			return core.E("filterweb.saveSchedules", core.NotFound, "no such schedule or holiday")
		}
	default:
		return core.E("filterweb.saveSchedules", core.Invalid, "unknown change %q", what)
	}
	done, msg, status, err := h.trySave(w, r, f, est, st, reason, SchedulesPath)
	if done || err != nil {
		return err
	}
	cur, err := h.d.Service.Settings(ctx, est)
	if err != nil {
		return err
	}
	v := h.schedulesView(ctx, cur, form, hform)
	v.Error = msg
	h.rd.Page(w, r, status, "filter/schedules", v)
	return nil
}

type nationalView struct {
	Operator   bool
	National   filter.National
	Categories []catRow
	Form       *web.Form
	Error      string
}

func (h *Handler) nationalView(ctx context.Context, n filter.National, f *web.Form) *nationalView {
	v := &nationalView{Operator: core.PrincipalFromContext(ctx).Operator(), National: n, Form: f}
	if f.Valid() && f.Values.Get("sites") == "" {
		f.Values.Set("sites", strings.Join(n.Sites, "\n"))
	}
	lang := web.LangFromContext(ctx)
	if l := h.d.Service.Engine().Lists(); l != nil {
		for _, c := range l.Categories() {
			if !c.WhiteOnly() {
				v.Categories = append(v.Categories, catRow{Name: c.Name, Label: c.Label(lang), Entries: c.Domains + c.URLs,
					National: slices.Contains(n.Categories, c.Name)})
			}
		}
		slices.SortFunc(v.Categories, func(a, b catRow) int { return strings.Compare(a.Label, b.Label) })
	}
	return v
}

// national shows the locked national layer: operators edit it, the
// establishments read it (INF-SEC-5, -7).
func (h *Handler) national(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayViewLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	n, err := h.d.Service.National(ctx)
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "filter/national", h.nationalView(ctx, n, web.NewForm(ctx, nil)))
	return nil
}

func (h *Handler) saveNational(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !core.PrincipalFromContext(ctx).Operator() {
		return web.RightRefusal(ctx, core.RightOperator, "")
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	n := filter.National{Categories: slices.Clone(f.Values["categories"]), Sites: splitSites(f.MaxLen("sites", 1000000))}
	if n.Categories == nil {
		n.Categories = []string{}
	}
	if n.Sites == nil {
		n.Sites = []string{}
	}
	reason := f.Required("reason", "filter.field.reason_change")
	var msg string
	status := http.StatusBadRequest
	if f.Valid() {
		err := h.d.Service.SaveNational(ctx, n, reason)
		if err == nil {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.saved"})
			http.Redirect(w, r, NationalPath, http.StatusSeeOther)
			return nil
		}
		var ok bool
		if msg, status, ok = refusal(ctx, err); !ok {
			return err
		}
	}
	v := h.nationalView(ctx, n, f)
	v.Error = msg
	h.rd.Page(w, r, status, "filter/national", v)
	return nil
}
