// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charterweb

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

// RefValue is the form value that names the version of d.
func (d docView) RefValue() string {
	if d.Version == nil {
		return ""
	}
	return refValue(d.Version)
}

type estOption struct {
	ID, Name string
	Selected bool
}

// pickEst returns the establishments whose documents the principal may
// edit, and the one chosen by id ("" for the first).
func (h *Handler) pickEst(r *http.Request, id string) (string, string, []estOption, error) {
	ests, err := h.deps.Establishments.Establishments(r.Context())
	if err != nil {
		return "", "", nil, err
	}
	p := core.PrincipalFromContext(r.Context())
	var opts []estOption
	var chosen, name string
	for _, e := range ests {
		if !charter.MayEdit(p, e.ID) {
			continue
		}
		o := estOption{ID: e.ID, Name: e.Name}
		if chosen == "" && (id == "" || id == e.ID) {
			o.Selected, chosen, name = true, e.ID, e.Name
		}
		opts = append(opts, o)
	}
	if chosen == "" {
		if id != "" {
			return "", "", nil, core.E("charterweb", core.NotFound, "charter.admin.no_est")
		}
		return "", "", nil, core.E("charterweb", core.Permission, "charter.admin.no_est")
	}
	return chosen, name, opts, nil
}

type adminDoc struct {
	*charter.Document
	Name string
}

type adminView struct {
	Est, EstName string
	Ests         []estOption
	Docs         []adminDoc
	MayPublish   bool
}

// admin lists the documents of an establishment with their current
// version and draft.
func (h *Handler) admin(w http.ResponseWriter, r *http.Request) error {
	est, name, opts, err := h.pickEst(r, r.URL.Query().Get("est"))
	if err != nil {
		return err
	}
	docs, err := h.deps.Charter.Documents(r.Context(), est)
	if err != nil {
		return err
	}
	v := adminView{Est: est, EstName: name, Ests: opts,
		MayPublish: charter.MayPublish(core.PrincipalFromContext(r.Context()), est)}
	for _, d := range docs {
		v.Docs = append(v.Docs, adminDoc{Document: d, Name: kindName(r.Context(), d.Kind)})
	}
	h.rd.Page(w, r, http.StatusOK, "charter/admin", v)
	return nil
}

// newCGU opens the editor of the CGU of a service.
func (h *Handler) newCGU(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	est, _, _, err := h.pickEst(r, f.Value("est"))
	if err != nil {
		return err
	}
	k := charter.CGU(f.Value("service"))
	if !k.Valid() {
		web.SetFlash(w, web.Flash{Kind: web.FlashError, Key: "charter.admin.cgu_invalid"})
		http.Redirect(w, r, "/admin/charter?est="+urlEscape(est), http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/admin/charter/"+string(k)+"/edit?est="+urlEscape(est), http.StatusSeeOther)
	return nil
}

type editView struct {
	Est, EstName string
	Kind         charter.Kind
	Name         string
	Doc          *charter.Document
	Form         *web.Form
	Preview      template.HTML
	MayPublish   bool
	MaxKB        int
}

func (h *Handler) editKind(r *http.Request) (charter.Kind, error) {
	k, err := charter.ParseKind(r.PathValue("kind"))
	if err != nil {
		return "", core.E("charterweb", core.NotFound, "")
	}
	return k, nil
}

func (h *Handler) editPage(w http.ResponseWriter, r *http.Request) error {
	k, err := h.editKind(r)
	if err != nil {
		return err
	}
	est, name, _, err := h.pickEst(r, r.URL.Query().Get("est"))
	if err != nil {
		return err
	}
	d, err := h.deps.Charter.Document(r.Context(), est, k)
	if err != nil {
		return err
	}
	title, body := d.EditText()
	f := web.NewForm(r.Context(), url.Values{"title": {title}, "body": {body}})
	h.renderEdit(w, r, http.StatusOK, est, name, d, f, "")
	return nil
}

func (h *Handler) renderEdit(w http.ResponseWriter, r *http.Request, status int, est, name string, d *charter.Document, f *web.Form, preview template.HTML) {
	h.rd.Page(w, r, status, "charter/edit", editView{Est: est, EstName: name, Kind: d.Kind, Name: kindName(r.Context(), d.Kind),
		Doc: d, Form: f, Preview: preview, MaxKB: charter.MaxBody >> 10,
		MayPublish: charter.MayPublish(core.PrincipalFromContext(r.Context()), est)})
}

// save previews or saves a draft. Invalid Markdown is shown back with the
// problem and its line; nothing is stored.
func (h *Handler) save(w http.ResponseWriter, r *http.Request) error {
	k, err := h.editKind(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	est, name, _, err := h.pickEst(r, f.Value("est"))
	if err != nil {
		return err
	}
	d, err := h.deps.Charter.Document(r.Context(), est, k)
	if err != nil {
		return err
	}
	title, body := f.Value("title"), f.Values.Get("body")
	if err := charter.ValidateTitle(title); err != nil {
		field, msg := problemMessage(r.Context(), err)
		f.Fail(field, "charter.problem.raw", msg)
	}
	if err := charter.ValidateBody(body); err != nil {
		field, msg := problemMessage(r.Context(), err)
		f.Fail(field, "charter.problem.raw", msg)
	}
	if !f.Valid() {
		h.renderEdit(w, r, http.StatusUnprocessableEntity, est, name, d, f, "")
		return nil
	}
	if f.Value("action") == "preview" {
		h.renderEdit(w, r, http.StatusOK, est, name, d, f, template.HTML(charter.Render(body))) // #nosec G203 -- validated, safe mode
		return nil
	}
	v, err := h.deps.Charter.SaveDraft(r.Context(), est, k, title, body)
	if err != nil {
		if core.IsKind(err, core.Invalid) {
			field, msg := problemMessage(r.Context(), err)
			f.Fail(field, "charter.problem.raw", msg)
			h.renderEdit(w, r, http.StatusUnprocessableEntity, est, name, d, f, "")
			return nil
		}
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "charter.edit.saved", Args: []string{strconv.Itoa(v.Number)}})
	http.Redirect(w, r, "/admin/charter?est="+urlEscape(est), http.StatusSeeOther)
	return nil
}

type publishView struct {
	Est, EstName string
	Name         string
	Draft        *charter.Version
	Current      *charter.Version
	HTML         template.HTML
	MayPublish   bool
	Reaccept     bool // people must accept the new version
	AdminOnly    bool // only technical admins accept it
}

// publishPage asks for confirmation, saying who will have to accept the
// new version at their next request.
func (h *Handler) publishPage(w http.ResponseWriter, r *http.Request) error {
	k, err := h.editKind(r)
	if err != nil {
		return err
	}
	est, name, _, err := h.pickEst(r, r.URL.Query().Get("est"))
	if err != nil {
		return err
	}
	d, err := h.deps.Charter.Document(r.Context(), est, k)
	if err != nil {
		return err
	}
	if d.Draft == nil {
		return core.E("charterweb.publish", core.NotFound, "charter.publish.no_draft")
	}
	h.rd.Page(w, r, http.StatusOK, "charter/publish", publishView{Est: est, EstName: name, Name: kindName(r.Context(), k),
		Draft: d.Draft, Current: d.Current,
		HTML:       template.HTML(charter.Render(d.Draft.Body)), // #nosec G203 -- validated, safe mode
		MayPublish: charter.MayPublish(core.PrincipalFromContext(r.Context()), est),
		Reaccept:   k.MustAccept(core.ProfilePupil) || k.MustAccept(core.ProfileAdmin),
		AdminOnly:  !k.MustAccept(core.ProfilePupil) && k.MustAccept(core.ProfileAdmin)})
	return nil
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request) error {
	k, err := h.editKind(r)
	if err != nil {
		return err
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	est, _, _, err := h.pickEst(r, f.Value("est"))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(f.Value("version"))
	if err != nil || n < 1 {
		return core.E("charterweb.publish", core.Invalid, "charter.publish.bad_version")
	}
	var seen time.Time // the draft as the confirmation page showed it
	if s := f.Value("seen"); s != "" {
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return core.E("charterweb.publish", core.Invalid, "charter.publish.bad_version")
		}
		seen = time.UnixMicro(us)
	}
	v, err := h.deps.Charter.Publish(r.Context(), est, k, n, seen)
	if core.IsKind(err, core.Conflict) {
		web.SetFlash(w, web.Flash{Kind: web.FlashWarning, Key: "charter.publish.changed"})
		http.Redirect(w, r, "/admin/charter/"+string(k)+"/publish?est="+urlEscape(est), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "charter.publish.done", Args: []string{strconv.Itoa(v.Number)}})
	http.Redirect(w, r, "/admin/charter?est="+urlEscape(est), http.StatusSeeOther)
	return nil
}

type statsRow struct {
	charter.ProfileStat
	Label string
}

type statsView struct {
	Est, EstName string
	Ests         []estOption
	Kind         charter.Kind
	Name         string
	Kinds        []kindOption
	Version      *charter.Version
	Rows         []statsRow
	Total        statsRow
}

type kindOption struct {
	Kind     charter.Kind
	Name     string
	Selected bool
}

// stats shows, for the current version of a document, how many people of
// each profile accepted it.
func (h *Handler) stats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	est, name, opts, err := h.pickEst(r, q.Get("est"))
	if err != nil {
		return err
	}
	k := charter.KindCharte
	if s := q.Get("kind"); s != "" {
		if k, err = charter.ParseKind(s); err != nil || (!k.MustAccept(core.ProfilePupil) && !k.MustAccept(core.ProfileAdmin)) {
			return core.E("charterweb.stats", core.Invalid, "charter.stats.bad_kind")
		}
	}
	cur, rows, err := h.deps.Charter.Stats(r.Context(), est, k)
	if err != nil {
		return err
	}
	v := statsView{Est: est, EstName: name, Ests: opts, Kind: k, Name: kindName(r.Context(), k), Version: cur,
		Total: statsRow{Label: "charter.stats.total"}}
	for _, kk := range []charter.Kind{charter.KindCharte, charter.KindAdminCharte} {
		v.Kinds = append(v.Kinds, kindOption{Kind: kk, Name: kindName(r.Context(), kk), Selected: kk == k})
	}
	for _, s := range rows {
		v.Rows = append(v.Rows, statsRow{ProfileStat: s, Label: "charter.profile." + string(s.Profile)})
		v.Total.People += s.People
		v.Total.Accepted += s.Accepted
	}
	h.rd.Page(w, r, http.StatusOK, "charter/stats", v)
	return nil
}
