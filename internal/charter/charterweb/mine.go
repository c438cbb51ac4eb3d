// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package charterweb

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/charter"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

type docSummary struct {
	Kind        charter.Kind
	Name        string // of the kind, translated
	Title       string
	Number      int
	PublishedAt time.Time
	MustAccept  bool
	AcceptedAt  time.Time
}

type estDocs struct {
	ID, Name string
	Docs     []docSummary
	// NoCharter is set while the establishment has published no charte:
	// the built-in one is shown as information.
	NoCharter bool
}

type mineView struct {
	Establishments []estDocs
	Acceptances    []acceptanceRow
}

type acceptanceRow struct {
	EstID   string
	Kind    charter.Kind
	EstName string
	Name    string
	Number  int
	At      time.Time
}

// mine lists the documents of the person's establishments, with the
// versions they accepted.
func (h *Handler) mine(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	cur, err := h.deps.Charter.Current(ctx)
	if err != nil {
		return err
	}
	as, err := h.deps.Charter.Acceptances(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	var v mineView
	for _, est := range p.Establishments {
		names[est] = h.estName(ctx, est)
		e := estDocs{ID: est, Name: names[est], NoCharter: true}
		for _, d := range cur {
			if d.Establishment != est {
				continue
			}
			s := docSummary{Kind: d.Kind, Name: kindName(ctx, d.Kind), Title: d.Title,
				Number: d.Number, PublishedAt: d.PublishedAt, MustAccept: d.Kind.MustAccept(p.Profile)}
			for _, a := range as {
				if a.Establishment == est && a.Kind == d.Kind && a.Number == d.Number {
					s.AcceptedAt = a.At
				}
			}
			if d.Kind == charter.KindCharte {
				e.NoCharter = false
			}
			e.Docs = append(e.Docs, s)
		}
		slices.SortFunc(e.Docs, func(a, b docSummary) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
		v.Establishments = append(v.Establishments, e)
	}
	for _, a := range as {
		name, ok := names[a.Establishment]
		if !ok {
			name = h.estName(ctx, a.Establishment)
		}
		v.Acceptances = append(v.Acceptances, acceptanceRow{EstID: a.Establishment, Kind: a.Kind, EstName: name, Name: kindName(ctx, a.Kind),
			Number: a.Number, At: a.At})
	}
	h.rd.Page(w, r, http.StatusOK, "charter/mine", v)
	return nil
}

type viewView struct {
	Name    string // of the kind
	Doc     docView
	Default bool // the built-in text, not adopted by the establishment
}

// view shows one document of one of the person's establishments, printable,
// with its annex: the current version, or the built-in default while none
// is published.
func (h *Handler) view(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := core.PrincipalFromContext(ctx)
	est := r.PathValue("est")
	k, err := charter.ParseKind(r.PathValue("kind"))
	if err != nil || !(p.AttachedTo(est) || p.CanAdminister(est)) {
		return core.E("charterweb.view", core.NotFound, "")
	}
	if s := r.URL.Query().Get("v"); s != "" { // an earlier version, as accepted then
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return core.E("charterweb.view", core.NotFound, "charter.view.none")
		}
		v, err := h.deps.Charter.Published(ctx, est, k, n)
		if err != nil {
			return err
		}
		h.rd.Page(w, r, http.StatusOK, "charter/view", viewView{Name: kindName(ctx, k), Doc: h.render(ctx, v, true)})
		return nil
	}
	cur, err := h.deps.Charter.Current(ctx)
	if err != nil {
		return err
	}
	if !p.AttachedTo(est) { // an operator reading another establishment
		d, err := h.deps.Charter.Document(ctx, est, k)
		if err != nil {
			return err
		}
		cur = nil
		if d.Current != nil {
			cur = []*charter.Version{d.Current}
		}
	}
	for _, v := range cur {
		if v.Establishment == est && v.Kind == k {
			h.rd.Page(w, r, http.StatusOK, "charter/view", viewView{Name: kindName(ctx, k), Doc: h.render(ctx, v, true)})
			return nil
		}
	}
	if title, _ := charter.Default(k); title != "" {
		h.rd.Page(w, r, http.StatusOK, "charter/view", viewView{Name: kindName(ctx, k), Doc: h.defaultDoc(ctx, est, k), Default: true})
		return nil
	}
	return core.E("charterweb.view", core.NotFound, "charter.view.none")
}

type acceptView struct {
	Docs []docView
	Next string
	Form *web.Form
}

// acceptPage shows the versions the person must accept, each with its
// annex, and the acceptance form.
func (h *Handler) acceptPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	pending, err := h.deps.Charter.Pending(r.Context())
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	web.AllowFormRedirects(w) // next may be an SSO authorization that ends at an application
	h.renderAccept(w, r, http.StatusOK, pending, next, web.NewForm(r.Context(), nil))
	return nil
}

func (h *Handler) renderAccept(w http.ResponseWriter, r *http.Request, status int, pending []*charter.Version, next string, f *web.Form) {
	v := acceptView{Next: next, Form: f}
	for _, p := range pending {
		d := h.render(r.Context(), p, true)
		d.MustAccept = true
		v.Docs = append(v.Docs, d)
	}
	h.rd.Page(w, r, status, "charter/accept", v)
}

// accept records the acceptance of the versions the form showed, or shows
// what refusing means.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	next := safeNext(f.Value("next"))
	if f.Value("action") == "refuse" {
		http.Redirect(w, r, "/charter/refused?next="+urlEscape(next), http.StatusSeeOther)
		return nil
	}
	var refs []charter.Ref
	for _, s := range f.Values["doc"] {
		ref, ok := parseRef(s)
		if !ok {
			return core.E("charterweb.accept", core.Invalid, "charter.accept.bad_form")
		}
		refs = append(refs, ref)
	}
	pending, err := h.deps.Charter.Pending(ctx)
	if err != nil {
		return err
	}
	if len(pending) == 0 { // accepted meanwhile (another tab, a second click)
		web.AllowFormRedirects(w)
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	if !f.Checked("agree") {
		f.Fail("agree", "charter.accept.tick")
		web.AllowFormRedirects(w)
		h.renderAccept(w, r, http.StatusUnprocessableEntity, pending, next, f)
		return nil
	}
	// Every pending version must be among those the form showed: a
	// version published while the page was open is shown, not accepted
	// unseen.
	for _, p := range pending {
		if !slices.Contains(refs, p.Ref()) {
			web.SetFlash(w, web.Flash{Kind: web.FlashWarning, Key: "charter.accept.stale"})
			http.Redirect(w, r, "/charter/accept?next="+urlEscape(next), http.StatusSeeOther)
			return nil
		}
	}
	if err := h.deps.Charter.Accept(ctx, refs); err != nil {
		if core.IsKind(err, core.Conflict) {
			web.SetFlash(w, web.Flash{Kind: web.FlashWarning, Key: "charter.accept.stale"})
			http.Redirect(w, r, "/charter/accept?next="+urlEscape(next), http.StatusSeeOther)
			return nil
		}
		return err
	}
	web.AllowFormRedirects(w)
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "charter.accept.done"})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// refused explains that the services need the charter, with a way back
// to it and a logout button.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request) error {
	h.rd.Page(w, r, http.StatusOK, "charter/refused", struct{ Next string }{safeNext(r.URL.Query().Get("next"))})
	return nil
}

// refValue is the form value naming a version: "est|kind|number".
func refValue(v *charter.Version) string {
	return v.Establishment + "|" + string(v.Kind) + "|" + strconv.Itoa(v.Number)
}

func parseRef(s string) (charter.Ref, bool) {
	parts := strings.Split(s, "|")
	if len(parts) != 3 {
		return charter.Ref{}, false
	}
	n, err := strconv.Atoi(parts[2])
	k := charter.Kind(parts[1])
	if err != nil || n < 1 || !k.Valid() || parts[0] == "" {
		return charter.Ref{}, false
	}
	return charter.Ref{Establishment: parts[0], Kind: k, Number: n}, true
}
