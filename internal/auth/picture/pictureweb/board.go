// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pictureweb

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/web"
)

type boardView struct {
	Form *web.Form
}

// boardPage asks for a class code, and sends a known one to its board.
func (h *Handler) boardPage(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r.Context(), r.URL.Query())
	if !r.URL.Query().Has("code") {
		h.rd.Page(w, r, http.StatusOK, "pic/board", boardView{Form: f})
		return nil
	}
	if f.Required("code", "pic.board.code") != "" {
		b, err := h.deps.Pictures.Board(r.Context(), f.Value("code"))
		switch {
		case err == nil:
			http.Redirect(w, r, "/pictures/c/"+url.PathEscape(b.Code), http.StatusSeeOther)
			return nil
		case !isUnknownBoard(err):
			return err
		}
		f.Fail("code", "pic.board.unknown")
	}
	h.rd.Page(w, r, http.StatusNotFound, "pic/board", boardView{Form: f})
	return nil
}

// isUnknownBoard reports whether err says that a class code leads nowhere.
func isUnknownBoard(err error) bool {
	k := core.KindOf(err)
	return k == core.NotFound || k == core.Invalid
}

// unknownBoard answers a request for a board that does not exist (any
// more) with the code page and its error.
func (h *Handler) unknownBoard(w http.ResponseWriter, r *http.Request, code string) {
	f := web.NewForm(r.Context(), url.Values{"code": {code}})
	f.Fail("code", "pic.board.unknown")
	h.rd.Page(w, r, http.StatusNotFound, "pic/board", boardView{Form: f})
}

type avatarsView struct {
	Board   *picture.Board
	Avatars []image
	Error   string // translation key
}

// avatarsPage shows the avatars of a class: the pupil taps their own.
func (h *Handler) avatarsPage(w http.ResponseWriter, r *http.Request) error {
	b, err := h.deps.Pictures.Board(r.Context(), r.PathValue("code"))
	if isUnknownBoard(err) {
		h.unknownBoard(w, r, r.PathValue("code"))
		return nil
	}
	if err != nil {
		return err
	}
	h.renderAvatars(w, r, http.StatusOK, b, "")
	return nil
}

func (h *Handler) renderAvatars(w http.ResponseWriter, r *http.Request, status int, b *picture.Board, errKey string) {
	lang := web.LangFromContext(r.Context())
	v := avatarsView{Board: b, Error: errKey}
	for _, id := range b.Avatars {
		v.Avatars = append(v.Avatars, avatarImage(id, lang))
	}
	h.rd.Page(w, r, status, "pic/avatars", v)
}

type picturesView struct {
	Board    *picture.Board
	Avatar   image
	Pictures []image
	Seq      string // the pictures tapped so far, canonical encoding
	Done     int
	Dots     []bool // one per picture of the sequence, true when tapped
	Error    string // translation key
}

// step handles one tap on the board: an avatar, a picture, "undo" or
// "not me". The tap that completes the sequence tries the login.
func (h *Handler) step(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, err := web.ParseForm(r)
	if err != nil {
		return err
	}
	b, err := h.deps.Pictures.Board(ctx, r.PathValue("code"))
	if isUnknownBoard(err) {
		h.unknownBoard(w, r, r.PathValue("code"))
		return nil
	}
	if err != nil {
		return err
	}
	avatar, err := picture.ParseAvatar(f.Values.Get("avatar"), b.Avatars)
	if err != nil || f.Values.Has("back") {
		status := http.StatusOK
		if err != nil {
			status = http.StatusUnprocessableEntity
		}
		h.renderAvatars(w, r, status, b, "")
		return nil
	}
	seq, err := picture.ParseSequence(f.Values.Get("seq"), b.Grid, b.Length-1)
	if err != nil {
		seq = nil // a tampered or stale form: start the pictures again
	}
	switch pick := f.Values.Get("pick"); {
	case f.Values.Has("undo") && len(seq) > 0:
		seq = seq[:len(seq)-1]
	case pick != "" && slices.Contains(b.Grid, pick):
		seq = append(seq, pick)
	}
	if len(seq) < b.Length {
		h.renderPictures(w, r, http.StatusOK, b, avatar, seq, "")
		return nil
	}
	cookie, _, err := h.deps.Pictures.Login(ctx, picture.Attempt{Code: b.Code, Avatar: avatar, Sequence: seq.String(),
		Source: clientIP(r), UserAgent: r.UserAgent()})
	if err == nil {
		h.deps.SetSessionCookie(w, cookie)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	key, status := "pic.login.failed", http.StatusUnauthorized
	switch core.KindOf(err) {
	case core.Unauthenticated:
	case core.TooMany:
		key, status = "pic.login.throttled", http.StatusTooManyRequests
	case core.Permission:
		key, status = "pic.login.disabled", http.StatusForbidden
	case core.NotFound, core.Invalid:
		h.unknownBoard(w, r, b.Code)
		return nil
	default:
		return err
	}
	h.renderPictures(w, r, status, b, avatar, nil, key)
	return nil
}

func (h *Handler) renderPictures(w http.ResponseWriter, r *http.Request, status int, b *picture.Board, avatar string,
	seq picture.Sequence, errKey string) {
	lang := web.LangFromContext(r.Context())
	v := picturesView{Board: b, Avatar: avatarImage(avatar, lang), Seq: seq.String(), Done: len(seq),
		Dots: make([]bool, b.Length), Error: errKey}
	for i := range seq {
		v.Dots[i] = true
	}
	for _, id := range b.Grid {
		v.Pictures = append(v.Pictures, pictureImage(id, lang))
	}
	h.rd.Page(w, r, status, "pic/pictures", v)
}
