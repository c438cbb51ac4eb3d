// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/web"
)

// ListsPath is the page of the category lists (INF-SEC-8).
const ListsPath = "/filter/lists"

// MaxUpload bounds an uploaded lists archive (UT1's is about 20 MB).
const MaxUpload = 512 << 20

// ListsImport is one import of the lists, as the page shows it.
type ListsImport struct {
	ID, Source, SHA256        string
	At                        time.Time
	By                        string
	Categories, Domains, URLs int
	Skipped                   int
}

// ImportState is the progress of an uploaded archive's import.
type ImportState struct {
	Source                    string
	Read, Total               int64
	Done                      bool
	Err                       string
	Categories, Domains, URLs int
	Skipped                   int
}

// ListsAdmin imports and downloads the lists (internal/app implements it).
type ListsAdmin interface {
	Imports(ctx context.Context, n int) ([]ListsImport, error)
	FetchConfig(ctx context.Context) (filter.FetchConfig, error)
	SaveFetchConfig(ctx context.Context, c filter.FetchConfig) error
	FetchRuns(ctx context.Context, n int) ([]filter.FetchRun, error)
	Fetching() bool
	// FetchNow starts a download in the background; false when one runs.
	FetchNow(ctx context.Context) bool
	// Upload keeps r and imports it in the background; the id follows it.
	Upload(ctx context.Context, r io.Reader, name string) (string, error)
	Job(id string) (ImportState, <-chan struct{}, bool)
	// CustomLists, SaveCustomList and DeleteCustomList manage the
	// establishment's own categories, merged into every lists install.
	CustomLists(ctx context.Context) ([]CustomList, error)
	SaveCustomList(ctx context.Context, name string, data []byte) (refused []string, err error)
	DeleteCustomList(ctx context.Context, name string) error
}

// CustomList is a custom category: its name and number of sites.
type CustomList struct {
	Name    string
	Entries int
}

// mayManageLists: the lists serve the whole deployment, so operators and
// the establishments' administrators and heads manage them.
func mayManageLists(p core.Principal) bool {
	return p.Operator() || p.Profile == core.ProfileAdmin || p.Profile == core.ProfileHead
}

// mayViewLists: those who manage them, and the holders of filter.delegate.
func mayViewLists(p core.Principal) bool {
	return mayManageLists(p) || slices.ContainsFunc(p.Establishments, func(e string) bool { return MayDelegate(p, e) })
}

// MayDelegate is filter.MayDelegate (for the pages of this package).
var MayDelegate = filter.MayDelegate

func listsRefusal(ctx context.Context) error {
	p := core.PrincipalFromContext(ctx)
	est := ""
	if len(p.Establishments) > 0 {
		est = p.Establishments[0]
	}
	return web.RightRefusal(ctx, core.RightFilterDelegate, est)
}

type runRow struct {
	filter.FetchRun
	Took string
}

type catCount struct {
	Name, Label      string
	Domains, URLs    int
	White, Expressed bool
}

type listsView struct {
	Custom     []CustomList
	CustomForm *web.Form
	Refused    []string
	Manage     bool
	Imports    []ListsImport
	Runs       []runRow
	Failed     *runRow
	Fetching   bool
	Config     *web.Form
	Upload     *web.Form
	Categories []catCount
	Error      string
	Hours      []int
}

func (h *Handler) listsView(ctx context.Context, cfgForm, upForm *web.Form) (*listsView, error) {
	la := h.d.Lists
	v := &listsView{Manage: mayManageLists(core.PrincipalFromContext(ctx)), Fetching: la.Fetching(), Config: cfgForm,
		Upload: upForm, Hours: []int{6, 12, 24, 48, 168}, CustomForm: web.NewForm(ctx, nil)}
	var err error
	if v.Custom, err = la.CustomLists(ctx); err != nil {
		return nil, err
	}
	if v.Imports, err = la.Imports(ctx, 10); err != nil {
		return nil, err
	}
	runs, err := la.FetchRuns(ctx, 10)
	if err != nil {
		return nil, err
	}
	for _, r := range runs {
		v.Runs = append(v.Runs, runRow{FetchRun: r, Took: r.Finished.Sub(r.Started).Round(time.Second).String()})
	}
	if len(v.Runs) > 0 && !v.Runs[0].OK {
		v.Failed = &v.Runs[0]
	}
	if cfgForm.Values.Get("url") == "" && cfgForm.Valid() {
		c, err := la.FetchConfig(ctx)
		if err != nil {
			return nil, err
		}
		cfgForm.Values.Set("url", c.URL)
		if c.Enabled {
			cfgForm.Values.Set("enabled", "on")
		}
		cfgForm.Values.Set("at", fmt.Sprintf("%02d:%02d", c.AtMinute/60, c.AtMinute%60))
		cfgForm.Values.Set("every", strconv.Itoa(c.EveryHours))
	}
	lang := web.LangFromContext(ctx)
	if l := h.d.Service.Engine().Lists(); l != nil {
		for _, c := range l.Categories() {
			v.Categories = append(v.Categories, catCount{Name: c.Name, Label: c.Label(lang), Domains: c.Domains, URLs: c.URLs,
				White: c.WhiteOnly()})
		}
		slices.SortFunc(v.Categories, func(a, b catCount) int { return strings.Compare(a.Name, b.Name) })
	}
	return v, nil
}

func (h *Handler) lists(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayViewLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	v, err := h.listsView(ctx, web.NewForm(ctx, nil), web.NewForm(ctx, nil))
	if err != nil {
		return err
	}
	h.rd.Page(w, r, http.StatusOK, "filter/lists", v)
	return nil
}

// upload receives an archive (multipart field "archive") and redirects to
// the import's progress.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload)
	f := web.NewForm(ctx, nil)
	var name string
	var file io.ReadCloser
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		f.Fail("archive", "filter.lists.err.upload")
	} else if mf, hdr, err := r.FormFile("archive"); err != nil || hdr.Size == 0 {
		f.Fail("archive", "filter.lists.err.nofile")
	} else {
		file, name = mf, filepath.Base(hdr.Filename)
		defer mf.Close()
	}
	if !f.Valid() {
		v, err := h.listsView(ctx, web.NewForm(ctx, nil), f)
		if err != nil {
			return err
		}
		h.rd.Page(w, r, http.StatusBadRequest, "filter/lists", v)
		return nil
	}
	id, err := h.d.Lists.Upload(ctx, file, name)
	if err != nil {
		return err
	}
	http.Redirect(w, r, ListsPath+"/import/"+id, http.StatusSeeOther)
	return nil
}

func (h *Handler) importProgress(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	id := r.PathValue("id")
	st, _, ok := h.d.Lists.Job(id)
	if !ok {
		return core.E("filterweb.importProgress", core.NotFound, "no such import")
	}
	if st.Done && st.Err != "" {
		v, err := h.listsView(ctx, web.NewForm(ctx, nil), web.NewForm(ctx, nil))
		if err != nil {
			return err
		}
		v.Error = web.T(ctx, "filter.lists.refused", st.Source, st.Err)
		h.rd.Page(w, r, http.StatusUnprocessableEntity, "filter/lists", v)
		return nil
	}
	if st.Done {
		web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.imported"})
		http.Redirect(w, r, ListsPath, http.StatusSeeOther)
		return nil
	}
	h.rd.Page(w, r, http.StatusOK, "progress", web.Progress{Title: "filter.lists.progress.title", Message: "filter.lists.progress.message",
		Value: st.Read, Max: st.Total, EventsURL: ListsPath + "/import/" + id + "/events", DoneURL: ListsPath + "/import/" + id})
	return nil
}

func (h *Handler) importEvents(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	id := r.PathValue("id")
	_, wake, ok := h.d.Lists.Job(id)
	if !ok {
		return core.E("filterweb.importEvents", core.NotFound, "no such import")
	}
	return web.StreamProgress(w, r, wake, func() (string, web.ProgressEvent) {
		st, _, _ := h.d.Lists.Job(id)
		ev := web.ProgressEvent{Value: st.Read, Max: st.Total, Message: web.T(ctx, "filter.lists.progress.read", st.Read>>20, st.Total>>20)}
		switch {
		case st.Done && st.Err != "":
			ev.Message = web.T(ctx, "filter.lists.refused", st.Source, st.Err)
			return web.EventFailed, ev
		case st.Done:
			ev.URL = ListsPath
			ev.Message = web.T(ctx, "filter.lists.progress.done", st.Categories, st.Domains, st.URLs)
			return web.EventDone, ev
		}
		return web.EventProgress, ev
	})
}

// saveFetch stores the download schedule.
func (h *Handler) saveFetch(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	c := filter.FetchConfig{URL: f.Required("url", "filter.field.lists_url"), Enabled: f.Checked("enabled"),
		EveryHours: f.Int("every", 1, 24*31)}
	if at, err := time.Parse("15:04", f.Value("at")); err != nil {
		f.Fail("at", "filter.form.bad_time")
	} else {
		c.AtMinute = at.Hour()*60 + at.Minute()
	}
	status := http.StatusBadRequest
	var msg string
	if f.Valid() {
		err := h.d.Lists.SaveFetchConfig(ctx, c)
		if err == nil {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.saved"})
			http.Redirect(w, r, ListsPath+"#fetch", http.StatusSeeOther)
			return nil
		}
		var ok bool
		if msg, status, ok = refusal(ctx, err); !ok {
			return err
		}
	}
	v, err := h.listsView(ctx, f, web.NewForm(ctx, nil))
	if err != nil {
		return err
	}
	v.Error = msg
	h.rd.Page(w, r, status, "filter/lists", v)
	return nil
}

// fetchNow starts a download at once.
func (h *Handler) fetchNow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	key := "filter.flash.fetching"
	if !h.d.Lists.FetchNow(ctx) {
		key = "filter.flash.fetch_running"
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: key})
	http.Redirect(w, r, ListsPath+"#fetch", http.StatusSeeOther)
	return nil
}

// saveCustom adds or replaces a custom list (multipart: name, and a file
// or the sites typed in).
func (h *Handler) saveCustom(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if err := r.ParseForm(); err != nil {
			return core.E("filterweb.saveCustom", core.Invalid, "malformed form: %v", err)
		}
	}
	f := web.NewForm(ctx, r.Form)
	name := f.Required("name", "filter.field.custom_name")
	data := []byte(f.MaxLen("sites", 32<<20))
	if mf, hdr, err := r.FormFile("file"); err == nil {
		defer mf.Close()
		if hdr.Size > 0 {
			if data, err = io.ReadAll(io.LimitReader(mf, 32<<20)); err != nil {
				return err
			}
		}
	}
	if name != "" && !filter.ValidCustomName(name) {
		f.Fail("name", "filter.form.bad_custom_name")
	}
	var msg string
	var refused []string
	status := http.StatusBadRequest
	if f.Valid() {
		var err error
		refused, err = h.d.Lists.SaveCustomList(ctx, name, data)
		if err == nil && len(refused) == 0 {
			web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.custom_saved"})
			http.Redirect(w, r, ListsPath+"#custom", http.StatusSeeOther)
			return nil
		}
		if err == nil {
			status, msg = http.StatusOK, web.T(ctx, "filter.lists.custom_partly")
		} else {
			var ok bool
			if msg, status, ok = refusal(ctx, err); !ok {
				return err
			}
		}
	}
	v, err := h.listsView(ctx, web.NewForm(ctx, nil), web.NewForm(ctx, nil))
	if err != nil {
		return err
	}
	v.CustomForm, v.Error, v.Refused = f, msg, refused
	h.rd.Page(w, r, status, "filter/lists", v)
	return nil
}

func (h *Handler) deleteCustom(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !mayManageLists(core.PrincipalFromContext(ctx)) {
		return listsRefusal(ctx)
	}
	if _, err := web.ParseForm(r); err != nil {
		return err
	}
	if err := h.d.Lists.DeleteCustomList(ctx, r.PathValue("name")); err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "filter.flash.custom_deleted"})
	http.Redirect(w, r, ListsPath+"#custom", http.StatusSeeOther)
	return nil
}

// adminRoutes registers the pages added for issue 6's administration gaps.
func (h *Handler) adminRoutes(mux *http.ServeMux, requireLogin func(http.Handler) http.Handler) {
	if h.d.Lists != nil {
		mux.Handle("GET "+ListsPath, requireLogin(web.HandlerFunc(h.lists)))
		mux.Handle("POST "+ListsPath+"/upload", requireLogin(web.HandlerFunc(h.upload)))
		mux.Handle("GET "+ListsPath+"/import/{id}", requireLogin(web.HandlerFunc(h.importProgress)))
		mux.Handle("GET "+ListsPath+"/import/{id}/events", requireLogin(web.HandlerFunc(h.importEvents)))
		mux.Handle("POST "+ListsPath+"/fetch", requireLogin(web.HandlerFunc(h.saveFetch)))
		mux.Handle("POST "+ListsPath+"/fetch-now", requireLogin(web.HandlerFunc(h.fetchNow)))
		mux.Handle("POST "+ListsPath+"/custom", requireLogin(web.HandlerFunc(h.saveCustom)))
		mux.Handle("POST "+ListsPath+"/custom/{name}/delete", requireLogin(web.HandlerFunc(h.deleteCustom)))
	}
	if h.d.Blocked != nil {
		mux.Handle("GET "+BlockedPath, requireLogin(web.HandlerFunc(h.blocked)))
	}
	mux.Handle("GET "+SchedulesPath, requireLogin(web.HandlerFunc(h.schedules)))
	mux.Handle("POST "+SchedulesPath, requireLogin(web.HandlerFunc(h.saveSchedules)))
	mux.Handle("GET "+NationalPath, requireLogin(web.HandlerFunc(h.national)))
	mux.Handle("POST "+NationalPath, requireLogin(web.HandlerFunc(h.saveNational)))
}
