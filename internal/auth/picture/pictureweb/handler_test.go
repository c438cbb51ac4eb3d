// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pictureweb

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/preau/preau/internal/auth/picture"
	"github.com/preau/preau/internal/web"
)

func newTestHandler(t *testing.T) http.Handler {
	t.Helper()
	rd, err := web.NewRenderer(web.RendererConfig{}, Assets())
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Deps{Pictures: picture.New(picture.Deps{}), Renderer: rd,
		SetSessionCookie: func(http.ResponseWriter, string) {}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Routes(mux, func(h http.Handler) http.Handler { return h })
	return rd.Wrap(mux)
}

// CARINE: INF-AUT-1 — the entry of the class board renders in French and
// English, with no inline script or style (the CSP forbids them), and a
// malformed class code is refused before any lookup.
func TestBoardPage_INF_AUT_1(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	bad := regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/pictures", "Code de la classe", 200},
		{"/pictures?lang=en", "Class code", 200},
		{"/pictures?code=", "Indiquez", 404},
		{"/pictures?code=0O1IL5", "Aucune classe n’a ce code", 404},
		{"/pictures/c/not-a-code", "Aucune classe n’a ce code", 404},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want %d with %q\n%s", tc.path, w.Code, tc.status, tc.want, body)
		}
		if m := bad.FindString(body); m != "" {
			t.Errorf("GET %s holds %q", tc.path, m)
		}
	}
}

func TestQRSVG(t *testing.T) {
	t.Parallel()
	svg, err := qrSVG("https://preau.ecole.example/pictures/c/ACDEFG")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^<svg [^>]*viewBox="0 0 (\d+) (\d+)"[^>]*aria-hidden="true"`).FindStringSubmatch(string(svg))
	if m == nil || m[1] != m[2] || !strings.Contains(string(svg), "h1v1h-1z") {
		t.Fatalf("QR code: %.200s", svg)
	}
	if n, _ := strconv.Atoi(m[1]); n < 21+2*qrQuiet { // version 1 is 21 modules
		t.Fatalf("QR code of %d modules with its margin", n)
	}
}

func TestInline(t *testing.T) {
	t.Parallel()
	got := string(inline(picture.PictureSVG("sun")))
	if !strings.HasPrefix(got, `<svg aria-hidden="true" focusable="false" class="pic-svg" xmlns=`) {
		t.Fatalf("inline: %.120s", got)
	}
	if inline("") != "" {
		t.Fatal("an empty image inlines as something")
	}
}
