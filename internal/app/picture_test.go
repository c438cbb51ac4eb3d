// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/store"
	"github.com/preau/preau/internal/web/webtest"
)

// pictureCard is a pupil's printed card, read from the cards page.
type pictureCard struct {
	login, avatar string
	seq           []string
}

// pictureClass is an école class with picture login turned on by its
// teacher through the web pages.
type pictureClass struct {
	n       *node
	code    string
	groupID string
	cards   []pictureCard
	teacher []*http.Cookie // the teacher's session
}

const picturePupils = 6

// newPictureClass starts a node, adds an école with a class of pupils
// (imported from CSV, so their passwords must still be changed) and their
// teacher, and turns picture login on as the teacher.
func newPictureClass(t *testing.T) *pictureClass {
	t.Helper()
	n := startNode(t)
	uai := core.MakeUAI("0999002")
	n.cli("init", "--uai", uai, "--type", "ecole", "--name", "École des Lilas", "--academie", "Démo",
		"--domain", "lilas.demo.test", "--head", "d.martin", "--head-given", "Denise", "--head-family", "Martin",
		"--admin", "admin", "--hosts", "localhost")
	n.cli("user", "add", "ines.garnier", "--uai", uai, "--profile", "teacher", "--given", "Inès", "--family", "Garnier",
		"--password", "Ines-Garnier-Ecole-2026", "--must-change=false")
	csv := "uai;profil;identifiant;prenom;nom;classe\n"
	for i := range picturePupils {
		csv += fmt.Sprintf("%s;élève;G%d;Élève%c;Lilas;GS\n", uai, i, 'A'+i)
	}
	path := filepath.Join(t.TempDir(), "gs.csv")
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cli("import", "declare", "csv", "--uai", uai, "--reference", "RT-2026-001",
		"--justification", "the école's pupils come from the town's enrolment list")
	n.cli("import", "csv", path, "--mode", "partial")
	groupID := makeOwner(t, n.data, uai, "GS", "ines.garnier")

	if r := n.login("ines.garnier", "Ines-Garnier-Ecole-2026"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("teacher login: %d", r.StatusCode)
	}
	resp, body := n.get("/pictures/classes")
	if resp.StatusCode != 200 || !strings.Contains(body, "/pictures/classes/"+groupID+"/enable") {
		t.Fatalf("teacher's classes: %d\n%s", resp.StatusCode, body)
	}
	resp, body = n.post("/pictures/classes/"+groupID+"/enable", url.Values{"csrf": {csrfOf(t, body)},
		"grid": {"9"}, "length": {"3"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "pic-card") {
		t.Fatalf("enable: %d\n%s", resp.StatusCode, body)
	}
	pc := &pictureClass{n: n, groupID: groupID, cards: readCards(body)}
	if len(pc.cards) != picturePupils {
		t.Fatalf("%d cards", len(pc.cards))
	}
	m := regexp.MustCompile(`<strong class="pic-code-small">([A-Z0-9]{6})</strong>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no class code on the cards page:\n%s", body)
	}
	pc.code = m[1]
	base, _ := url.Parse(n.base)
	pc.teacher = n.client.Jar.Cookies(base)
	n.client.Jar, _ = cookiejar.New(nil)
	return pc
}

// makeOwner makes login an owner (teacher) of the class code of the
// establishment uai, through the store, and returns the class's ID.
func makeOwner(t *testing.T, data, uai, code, login string) string {
	t.Helper()
	ctx := core.ContextWithPrincipal(context.Background(), core.SystemPrincipal("system:test", core.ChannelCLI))
	db, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	est, err := db.FindEstablishment(ctx, uai)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := db.FindGroups(ctx, directory.GroupFilter{Establishment: est.ID, Code: code})
	if err != nil || len(gs) != 1 {
		t.Fatalf("class %s: %v %v", code, gs, err)
	}
	p, err := db.FindPersonByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddMembers(ctx, []directory.Membership{{GroupID: gs[0].ID, PersonID: p.ID, Role: directory.RoleOwner}}); err != nil {
		t.Fatal(err)
	}
	return gs[0].ID
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token in the page")
	}
	return m[1]
}

// readCards reads the cards of a cards page (their data attributes).
func readCards(body string) []pictureCard {
	var out []pictureCard
	cardRe := regexp.MustCompile(`<li class="pic-card" data-login="([^"]+)" data-avatar="([^"]+)">`)
	picRe := regexp.MustCompile(`<li data-picture="([^"]+)">`)
	idx := cardRe.FindAllStringSubmatchIndex(body, -1)
	for i, m := range idx {
		end := len(body)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		c := pictureCard{login: body[m[2]:m[3]], avatar: body[m[4]:m[5]]}
		for _, p := range picRe.FindAllStringSubmatch(body[m[1]:end], -1) {
			c.seq = append(c.seq, p[1])
		}
		out = append(out, c)
	}
	return out
}

// CARINE: INF-AUT-1, INF-AUT-13 — the class board works without
// JavaScript: every tap is a form POST with the avatar and the pictures so
// far in hidden fields; the page shows dots, not the pictures; "undo"
// removes the last one; a wrong sequence is refused and journaled; the
// right one opens a session (methods ["pic"]) that reaches the portal even
// though the pupil's imported password must still be changed.
func TestPictureBoardWithoutScript_INF_AUT_1(t *testing.T) {
	pc := newPictureClass(t)
	n, card := pc.n, pc.cards[0]
	resp, body := n.get("/pictures?code=" + strings.ToLower(pc.code[:3]+"-"+pc.code[3:]))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pictures/c/"+pc.code {
		t.Fatalf("code form: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := n.get("/pictures?code=ZZZZZZ"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown code: %d", resp.StatusCode)
	}
	resp, body = n.get("/pictures/c/" + pc.code)
	if resp.StatusCode != 200 || strings.Count(body, `name="avatar"`) != picturePupils || strings.Contains(body, card.login) {
		t.Fatalf("avatars page (it must name no pupil): %d\n%s", resp.StatusCode, body)
	}
	tap := func(seq string, extra url.Values) (*http.Response, string) {
		v := url.Values{"avatar": {card.avatar}, "seq": {seq}}
		for k, vs := range extra {
			v[k] = vs
		}
		return n.post("/pictures/c/"+pc.code, v)
	}
	resp, body = tap("", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "0 image sur 3") || !strings.Contains(body, `name="pick"`) {
		t.Fatalf("pictures page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = tap("", url.Values{"pick": {card.seq[0]}})
	if !strings.Contains(body, `name="seq" value="`+card.seq[0]+`"`) || !strings.Contains(body, "1 image sur 3") ||
		strings.Count(body, "pic-dot-on") != 1 {
		t.Fatalf("after one picture: %d\n%s", resp.StatusCode, body)
	}
	if _, body = tap(card.seq[0], url.Values{"undo": {"1"}}); !strings.Contains(body, `name="seq" value=""`) {
		t.Fatalf("undo:\n%s", body)
	}
	wrongLast := "house"
	for _, id := range []string{"house", "sun", "cat", "tree"} {
		if id != card.seq[2] {
			wrongLast = id
			break
		}
	}
	resp, body = tap(card.seq[0]+"-"+card.seq[1], url.Values{"pick": {wrongLast}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Ce ne sont pas les bonnes images") {
		t.Fatalf("wrong sequence: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = tap(card.seq[0]+"-"+card.seq[1], url.Values{"pick": {card.seq[2]}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("right sequence: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = n.get("/")
	if resp.StatusCode != 200 || !strings.Contains(body, card.login) {
		t.Fatalf("portal after a picture login: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	// The next pupil on the same tablet: the board's forms now carry the
	// session's CSRF token, and the new login replaces the session.
	next := pc.cards[4]
	_, body = n.get("/pictures/c/" + pc.code)
	csrf := csrfOf(t, body)
	seq := ""
	for _, id := range next.seq {
		resp, body = n.post("/pictures/c/"+pc.code, url.Values{"csrf": {csrf}, "avatar": {next.avatar}, "seq": {seq},
			"pick": {id}})
		if seq == "" {
			seq = id
		} else {
			seq += "-" + id
		}
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second pupil on the same browser: %d\n%s", resp.StatusCode, body)
	}
	if _, body = n.get("/"); !strings.Contains(body, next.login) || strings.Contains(body, card.login) {
		t.Fatalf("portal of the second pupil:\n%s", body)
	}
	out := n.cli("journal", "export")
	if !strings.Contains(out, `"action":"auth.session.replace"`) {
		t.Fatal("the first pupil's session was not replaced")
	}
	if !strings.Contains(out, `"reason":"wrong picture sequence"`) || !strings.Contains(out, `"method:pic"`) ||
		!strings.Contains(out, `"action":"auth.picture.enable"`) {
		t.Fatalf("journal:\n%s", out)
	}
	if strings.Contains(out, strings.Join(card.seq, "-")) {
		t.Fatal("a sequence reached the journal")
	}
}

// boardTab opens the board of the class in a fresh browser tab.
func boardTab(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := webtest.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
}

// focusByKeyboard presses Tab until the focused element has the given
// value (a button of the board), as a keyboard user walks the page, and
// checks that the focus shows.
func focusByKeyboard(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	tabTo(t, ctx, `document.activeElement.value === `+strconv.Quote(value))
}

// tabTo presses Tab until the JavaScript condition on
// document.activeElement holds, then checks that the focus shows.
func tabTo(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	for range 80 {
		ok, err := webtest.Run(ctx, chromedp.Evaluate[bool](`!!document.activeElement && (`+cond+`)`))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			visible, err := webtest.Run(ctx, chromedp.Evaluate[bool](
				`getComputedStyle(document.activeElement).outlineStyle !== 'none'`))
			if err != nil || !visible {
				t.Fatalf("the focus (%s) is not visible (%v)", cond, err)
			}
			return
		}
		if err := webtest.Press(ctx, "\t"); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("Tab never reached %s", cond)
}

// activate presses key on the focused button and waits for the next page.
func activate(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	if err := webtest.AwaitNavigation(ctx, func() error { return webtest.Press(ctx, key) }); err != nil {
		t.Fatal(err)
	}
}

// click clicks the button of the given value with the pointer and waits
// for the next page.
func click(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	sel := `button[value="` + value + `"]`
	if err := webtest.AwaitNavigation(ctx, func() error { return webtest.Do(ctx, chromedp.Click(sel)) }); err != nil {
		t.Fatal(err)
	}
}

func locationPath(t *testing.T, ctx context.Context) string {
	t.Helper()
	p, err := webtest.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// CARINE: INF-AUT-1 — in headless Chromium, a pupil signs in on the class
// board with the keyboard only (Tab to a button, Enter or Space), and
// another with the pointer; the buttons are at least 64 px; axe-core
// finds no WCAG 2.1 AA violation on the board, avatar, picture, teacher
// and cards pages.
func TestPictureBoardInBrowser_INF_AUT_1(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	pc := newPictureClass(t)
	n := pc.n

	t.Run("keyboard", func(t *testing.T) {
		ctx := webtest.Tab(t)
		card := pc.cards[1]
		boardTab(t, ctx, n.base+"/pictures")
		tabTo(t, ctx, `document.activeElement.id === "f-code"`)
		if err := webtest.Press(ctx, strings.ToLower(pc.code)); err != nil {
			t.Fatal(err)
		}
		activate(t, ctx, "\r")
		if p := locationPath(t, ctx); p != "/pictures/c/"+pc.code {
			t.Fatalf("after the code: %s", p)
		}
		focusByKeyboard(t, ctx, card.avatar)
		activate(t, ctx, "\r")
		for i, id := range card.seq {
			focusByKeyboard(t, ctx, id)
			key := "\r"
			if i == 1 {
				key = " " // Space works as well as Enter
			}
			activate(t, ctx, key)
		}
		if p := locationPath(t, ctx); p != "/" {
			t.Fatalf("after the last picture: %s", p)
		}
	})

	t.Run("pointer", func(t *testing.T) {
		ctx := webtest.Tab(t)
		card := pc.cards[2]
		boardTab(t, ctx, n.base+"/pictures/c/"+pc.code)
		click(t, ctx, card.avatar)
		size, err := webtest.Run(ctx, chromedp.Evaluate[[]float64](`(function () {
			var r = document.querySelector('button[name="pick"]').getBoundingClientRect();
			return [r.width, r.height]; })()`))
		if err != nil || size[0] < 64 || size[1] < 64 {
			t.Fatalf("picture buttons of %v px (%v)", size, err)
		}
		click(t, ctx, card.seq[0])
		click(t, ctx, "1") // undo
		for _, id := range card.seq {
			click(t, ctx, id)
		}
		if p := locationPath(t, ctx); p != "/" {
			t.Fatalf("after the last picture: %s", p)
		}
	})

	t.Run("axe", func(t *testing.T) {
		webtest.Axe(t, n.base, "/pictures", "/pictures?lang=en", "/pictures?code=ZZZZZZ", "/pictures/c/"+pc.code,
			"/pictures/c/"+pc.code+"?lang=en")
		ctx := webtest.Tab(t)
		if err := webtest.RecordCSP(ctx); err != nil {
			t.Fatal(err)
		}
		card := pc.cards[3]
		boardTab(t, ctx, n.base+"/pictures/c/"+pc.code)
		click(t, ctx, card.avatar)
		webtest.AxeCurrent(t, ctx, "pictures page")
		click(t, ctx, card.seq[0])
		webtest.AxeCurrent(t, ctx, "pictures page, one picture tapped")
		click(t, ctx, card.seq[1])
		wrong := "house"
		for _, id := range []string{"house", "sun", "cat"} {
			if id != card.seq[2] {
				wrong = id
				break
			}
		}
		click(t, ctx, wrong)
		webtest.AxeCurrent(t, ctx, "pictures page after a wrong sequence")

		// The teacher's pages, through a proxy that adds their session.
		target, _ := url.Parse(n.base)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.Transport = n.client.Transport
		director := proxy.Director
		proxy.Director = func(r *http.Request) {
			director(r)
			r.Host = target.Host
			for _, c := range pc.teacher {
				r.AddCookie(c)
			}
		}
		front := httptest.NewServer(proxy)
		defer front.Close()
		webtest.Axe(t, front.URL, "/pictures/classes", "/pictures/classes?lang=en", "/pictures/classes/"+pc.groupID,
			"/pictures/classes/"+pc.groupID+"?lang=en")
		boardTab(t, ctx, front.URL+"/pictures/classes/"+pc.groupID)
		if err := webtest.Do(ctx, chromedp.Evaluate[chromedp.Void](
			`document.querySelectorAll('[data-confirm]').forEach(function (e) { e.removeAttribute('data-confirm'); })`)); err != nil {
			t.Fatal(err)
		}
		if err := webtest.AwaitNavigation(ctx, func() error {
			return webtest.Do(ctx, chromedp.Click(`form[action$="/cards"] button`))
		}); err != nil {
			t.Fatal(err)
		}
		if p := locationPath(t, ctx); p != "/pictures/classes/"+pc.groupID+"/cards" {
			t.Fatalf("print cards: %s", p)
		}
		webtest.AxeCurrent(t, ctx, "cards page")
	})
}
