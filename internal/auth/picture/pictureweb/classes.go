// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pictureweb

import (
	"html/template"
	"net/http"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/web"
)

type classRow struct {
	picture.ClassStatus
	Maternelle            bool
	DefaultGrid, DefaultN int
}

type classesView struct {
	Classes   []classRow
	GridSizes []int
	Lengths   []int
}

// classesPage lists the classes the principal may turn picture login on
// for.
func (h *Handler) classesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := h.deps.Pictures.Classes(r.Context())
	if err != nil {
		return err
	}
	v := classesView{GridSizes: picture.GridSizes, Lengths: picture.Lengths}
	for _, c := range list {
		grid, n := defaultShape(c.Group)
		v.Classes = append(v.Classes, classRow{ClassStatus: c, Maternelle: picture.Maternelle(c.Group),
			DefaultGrid: grid, DefaultN: n})
	}
	h.rd.Page(w, r, http.StatusOK, "pic/classes", v)
	return nil
}

// defaultShape proposes the smaller grid and the shorter sequence in
// maternelle, the larger ones from CP on.
func defaultShape(g *directory.Group) (grid, n int) {
	if picture.Maternelle(g) {
		return 9, 3
	}
	return 12, 4
}

type pupilRow struct {
	Person *directory.Person
	Avatar image // zero when the pupil has no picture secret yet
}

type classView struct {
	*picture.ClassDetail
	Pupils                []pupilRow
	BoardURL              string
	QR                    template.HTML
	GridSizes, Lengths    []int
	DefaultGrid, DefaultN int
}

// classPage shows a class: its code and QR code, its pupils and their
// avatars (never a sequence), and the actions.
func (h *Handler) classPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.deps.Pictures.Class(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	lang := web.LangFromContext(r.Context())
	v := classView{ClassDetail: d, GridSizes: picture.GridSizes, Lengths: picture.Lengths}
	v.DefaultGrid, v.DefaultN = defaultShape(d.Group)
	for _, pu := range d.Pupils {
		row := pupilRow{Person: pu.Person}
		if pu.Avatar != "" {
			row.Avatar = avatarImage(pu.Avatar, lang)
		}
		v.Pupils = append(v.Pupils, row)
	}
	if d.Picture != nil {
		v.BoardURL = h.boardURL(r, d.Picture.Code)
		if v.QR, err = qrSVG(v.BoardURL); err != nil {
			return err
		}
	}
	h.rd.Page(w, r, http.StatusOK, "pic/class", v)
	return nil
}

// enable turns picture login on and shows the new cards once.
func (h *Handler) enable(w http.ResponseWriter, r *http.Request) error {
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	grid, n := f.Int("grid", 1, 100), f.Int("length", 1, 100)
	if err := f.Err(); err != nil {
		return err
	}
	c, cards, err := h.deps.Pictures.Enable(r.Context(), r.PathValue("id"), grid, n)
	if core.IsKind(err, core.Conflict) {
		web.SetFlash(w, web.Flash{Kind: web.FlashWarning, Key: "pic.enable.already"})
		http.Redirect(w, r, "/pictures/classes/"+r.PathValue("id"), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	return h.renderCards(w, r, c, cards, "pic.cards.enabled")
}

// disable turns picture login off.
func (h *Handler) disable(w http.ResponseWriter, r *http.Request) error {
	if err := h.deps.Pictures.Disable(r.Context(), r.PathValue("id")); err != nil && !core.IsKind(err, core.NotFound) {
		return err
	}
	web.SetFlash(w, web.Flash{Kind: web.FlashSuccess, Key: "pic.disable.done"})
	http.Redirect(w, r, "/pictures/classes", http.StatusSeeOther)
	return nil
}

// printCards draws new sequences for the whole class and shows the cards
// once.
func (h *Handler) printCards(w http.ResponseWriter, r *http.Request) error {
	c, cards, err := h.deps.Pictures.PrintCards(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.renderCards(w, r, c, cards, "pic.cards.printed")
}

// regenerate draws a new sequence for one pupil and shows their card once.
func (h *Handler) regenerate(w http.ResponseWriter, r *http.Request) error {
	card, err := h.deps.Pictures.Regenerate(r.Context(), r.PathValue("id"), r.PathValue("person"))
	if err != nil {
		return err
	}
	d, err := h.deps.Pictures.Class(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.renderCards(w, r, d.Picture, []picture.Card{*card}, "pic.cards.regenerated")
}

type cardView struct {
	Person   *directory.Person
	Avatar   image
	Pictures []image
}

type cardsView struct {
	Group      *directory.Group
	Class      *picture.Class
	Maternelle bool
	BoardURL   string
	QR         template.HTML
	Cards      []cardView
	Notice     string // translation key of what happened
}

// renderCards shows the printable cards: the only time the sequences are
// readable. The page is not cached (web.Renderer.Page).
func (h *Handler) renderCards(w http.ResponseWriter, r *http.Request, c *picture.Class, cards []picture.Card, notice string) error {
	d, err := h.deps.Pictures.Class(r.Context(), c.GroupID)
	if err != nil {
		return err
	}
	lang := web.LangFromContext(r.Context())
	v := cardsView{Group: d.Group, Class: c, Maternelle: d.Maternelle, BoardURL: h.boardURL(r, c.Code), Notice: notice}
	if v.QR, err = qrSVG(v.BoardURL); err != nil {
		return err
	}
	for _, card := range cards {
		cv := cardView{Person: card.Person, Avatar: avatarImage(card.Avatar, lang)}
		for _, id := range card.Sequence {
			cv.Pictures = append(cv.Pictures, pictureImage(id, lang))
		}
		v.Cards = append(v.Cards, cv)
	}
	h.rd.Page(w, r, http.StatusOK, "pic/cards", v)
	return nil
}
