// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filterweb

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/web"
)

// AskStore keeps pupils' requests to open a site (package store).
type AskStore interface {
	CreateFilterAsk(ctx context.Context, a *filter.Ask) error
	FilterAsks(ctx context.Context, est, state string, since time.Time, limit int) ([]filter.Ask, error)
	FilterAsk(ctx context.Context, est, id string) (*filter.Ask, error)
	DecideFilterAsk(ctx context.Context, est, id, state, target, overrideID string) error
}

// AskPeople finds and tells the people concerned by a request.
type AskPeople interface {
	// GroupsOf returns the codes of the groups of person in est.
	GroupsOf(ctx context.Context, personID, est string) ([]string, error)
	// Delegates returns the people holding filter.delegate for one of the
	// groups of est (their teachers; the heads when no teacher holds it).
	Delegates(ctx context.Context, est string, groups []string) ([]string, error)
	// Name is a person's display name ("" when unknown).
	Name(ctx context.Context, personID string) string
	// Notify sends a portal notice (and a mail when the person has one).
	Notify(ctx context.Context, personID, subject, body string) error
}

// askMaxAge is how long a request stays on the teachers' page.
const askMaxAge = 7 * 24 * time.Hour

type askRow struct {
	filter.Ask
	Groups []option // the groups the reader may open the site for
}

// pendingAsks returns the pending requests of est that the reader may
// answer: those of pupils of the groups in targets.
func (h *Handler) pendingAsks(ctx context.Context, est string, targets []option) ([]askRow, error) {
	if h.d.Asks == nil {
		return nil, nil
	}
	as, err := h.d.Asks.FilterAsks(ctx, est, filter.AskPending, h.d.Clock.Now().Add(-askMaxAge), 100)
	if err != nil {
		return nil, err
	}
	var out []askRow
	for _, a := range as {
		row := askRow{Ask: a}
		for _, g := range targets {
			if slices.Contains(a.Groups, g.Value) {
				row.Groups = append(row.Groups, g)
			}
		}
		if len(row.Groups) > 0 {
			out = append(out, row)
		}
	}
	return out, nil
}

// recordAsk stores a request and tells the delegates of the pupil's groups.
func (h *Handler) recordAsk(ctx context.Context, p core.Principal, est, site, reason string) error {
	gs, err := h.d.AskPeople.GroupsOf(ctx, p.PersonID, est)
	if err != nil {
		return err
	}
	a := &filter.Ask{Establishment: est, PersonID: p.PersonID, Login: p.Login, Name: h.d.AskPeople.Name(ctx, p.PersonID),
		Groups: gs, Site: site, Reason: reason}
	if a.Name == "" {
		a.Name = p.Login
	}
	if err := h.d.Asks.CreateFilterAsk(ctx, a); err != nil {
		return err
	}
	ids, err := h.d.AskPeople.Delegates(ctx, est, gs)
	if err != nil {
		return err
	}
	// Notices are in French, the school's language, like the others.
	subject := "Demande d’ouverture d’un site : " + site
	body := fmt.Sprintf("%s (%s) demande l’ouverture du site %s.\n\nMotif : %s\n\nAcceptez (le site est ouvert pour la classe le temps du cours) ou refusez sur la page Filtrage internet : %s#asks",
		a.Name, strings.Join(gs, ", "), site, reason, TeacherPath)
	for _, id := range ids {
		if err := h.d.AskPeople.Notify(ctx, id, subject, body); err != nil {
			return err
		}
	}
	return nil
}

// answer accepts (opening the site for the chosen group for the chosen
// time) or refuses a request, and tells the pupil.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	est, err := establishment(ctx)
	if err != nil {
		return err
	}
	verb := r.PathValue("verb")
	if h.d.Asks == nil || (verb != "accept" && verb != "refuse") {
		return core.E("filterweb.answer", core.NotFound, "no such request")
	}
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	a, err := h.d.Asks.FilterAsk(ctx, est, r.PathValue("id"))
	if err != nil {
		return err
	}
	accept := verb == "accept"
	targets, err := h.d.Service.Targets(ctx, est)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(targets, func(g filter.GroupRef) bool { return slices.Contains(a.Groups, g.Code) }) {
		return filter.ErrNotYourGroup
	}
	var o *filter.Override
	msg := ""
	if a.State != filter.AskPending {
		msg = web.T(ctx, "filter.asks.already")
	} else if accept {
		g := f.Value("group")
		if !slices.Contains(a.Groups, g) {
			msg = web.T(ctx, "filter.err.not_your_group")
		} else {
			now := h.d.Clock.Now()
			o = &filter.Override{Establishment: est, Kind: filter.KindDelegation, Target: g, Allow: true, Site: a.Site,
				From: now, Until: now.Add(time.Duration(f.Int("duration", 5, 366*24*60)) * time.Minute),
				Note: "demande de " + a.Login}
			if err := h.d.Service.Start(ctx, o); err != nil {
				m, _, ok := refusal(ctx, err)
				if !ok {
					return err
				}
				msg, o = m, nil
			}
		}
	}
	if msg == "" {
		state, target, oid := filter.AskRefused, "", ""
		if o != nil {
			state, target, oid = filter.AskAccepted, o.Target, o.ID
		}
		if err := h.d.Asks.DecideFilterAsk(ctx, est, a.ID, state, target, oid); err != nil {
			if o != nil {
				_ = h.d.Service.End(ctx, est, o.ID)
			}
			if !core.IsKind(err, core.Conflict) {
				return err
			}
			msg = web.T(ctx, "filter.asks.already")
		} else {
			h.tellAsker(ctx, a, o)
		}
	}
	if msg != "" {
		v, err := h.teacherView(ctx, est, nil)
		if err != nil {
			return err
		}
		v.Error = msg
		v.Delegate.Values.Set("duration", "55")
		v.Exam.Values.Set("duration", "110")
		h.rd.Page(w, r, http.StatusConflict, "filter/teacher", v)
		return nil
	}
	key := "filter.flash.refused"
	if o != nil {
		key = "filter.flash.accepted"
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: key})
	http.Redirect(w, r, TeacherPath+"#asks", http.StatusSeeOther)
	return nil
}

// tellAsker sends the pupil the answer (a failure to notify does not undo
// the answer: it is logged by the notifier and shown nowhere else).
func (h *Handler) tellAsker(ctx context.Context, a *filter.Ask, o *filter.Override) {
	p := core.PrincipalFromContext(ctx)
	who := h.d.AskPeople.Name(ctx, p.PersonID)
	if who == "" {
		who = p.Login
	}
	subject := "Votre demande d’ouverture de " + a.Site + " a été refusée"
	body := fmt.Sprintf("%s a refusé d’ouvrir le site %s.", who, a.Site)
	if o != nil {
		loc, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			loc = time.UTC
		}
		subject = "Votre demande d’ouverture de " + a.Site + " a été acceptée"
		body = fmt.Sprintf("%s a ouvert le site %s pour %s jusqu’au %s.", who, a.Site, o.Target,
			o.Until.In(loc).Format("02/01/2006 à 15:04"))
	}
	_ = h.d.AskPeople.Notify(ctx, a.PersonID, subject, body)
}
