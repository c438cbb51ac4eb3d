// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

var listingTmpl = template.Must(template.New("l").Parse(`<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{{.Path}}</title></head>
<body><main><h1>{{.Path}}</h1>
<table><caption>Contenu du dossier / Folder content</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Taille</th><th scope="col">Modifié</th></tr></thead><tbody>
{{range .Entries}}<tr><td><a href="{{.Href}}">{{.Name}}{{if .Dir}}/{{end}}</a></td><td>{{if not .Dir}}{{.Size}}{{end}}</td><td>{{.Mod}}</td></tr>
{{end}}</tbody></table></main></body></html>`))

type listingEntry struct {
	Name, Href, Mod string
	Dir             bool
	Size            int64
}

// listing answers a GET on a folder with a plain accessible HTML list (the
// web file manager in the portal is the real interface).
func (h *Handler) listing(w http.ResponseWriter, r *http.Request, vp string) {
	es, err := h.files.List(r.Context(), vp)
	if err != nil {
		writeError(w, err)
		return
	}
	base := strings.TrimSuffix(Prefix+vp, "/") + "/"
	var out []listingEntry
	for _, e := range es {
		href := base + url.PathEscape(e.Name)
		if e.Dir {
			href += "/"
		}
		mod := ""
		if !e.ModTime.IsZero() && e.ModTime.Unix() > 0 {
			mod = e.ModTime.Format("2006-01-02 15:04")
		}
		out = append(out, listingEntry{Name: e.Name, Href: href, Mod: mod, Dir: e.Dir, Size: e.Size})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	if r.Method == http.MethodHead {
		return
	}
	_ = listingTmpl.Execute(w, struct {
		Path    string
		Entries []listingEntry
	}{vp, out})
}
