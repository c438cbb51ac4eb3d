// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"
)

// def is one {{define}}d template and the file it comes from.
type def struct {
	file string
	tree *parse.Tree
}

// assetTemplates are the parsed template files of one assets FS.
type assetTemplates struct {
	partials map[string]def            // template name → definition, from partials/
	pages    map[string]map[string]def // page name → template name → definition
}

// overridable lists the shell templates a page may redefine.
var overridable = []string{"head"}

// buildPages parses every assets FS and returns, for each page, one template
// set per language. The first FS is the shell: its partials (the layout
// among them) are visible to every page.
func buildPages(fsyss []fs.FS, cat *catalog, loc *time.Location) (map[string]map[string]*template.Template, error) {
	var errs []error
	parsed := make([]assetTemplates, len(fsyss))
	for i, fsys := range fsyss {
		var err error
		if parsed[i], err = parseAssets(fsys); err != nil {
			errs = append(errs, fmt.Errorf("assets #%d: %w", i, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	shell := parsed[0].partials
	if _, ok := shell["layout"]; !ok {
		return nil, errors.New("shell: no layout template")
	}
	out := map[string]map[string]*template.Template{}
	for i, at := range parsed {
		shared := maps.Clone(shell)
		if i > 0 {
			errs = append(errs, merge(shared, at.partials)...)
		}
		for _, name := range slices.Sorted(maps.Keys(at.pages)) {
			if _, dup := out[name]; dup {
				errs = append(errs, fmt.Errorf("assets #%d: page %q is defined twice", i, name))
				continue
			}
			byLang, err := buildPage(name, shared, at.pages[name], cat, loc)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out[name] = byLang
		}
	}
	return out, errors.Join(errs...)
}

// buildPage checks and builds the per-language template sets of one page
// from the definitions it shares with the other pages of its FS and its own.
func buildPage(name string, shared, own map[string]def, cat *catalog, loc *time.Location) (map[string]*template.Template, error) {
	set := maps.Clone(shared)
	for _, n := range overridable {
		if _, ok := own[n]; ok {
			delete(set, n)
		}
	}
	if err := errors.Join(merge(set, own)...); err != nil {
		return nil, err
	}
	if _, ok := own["page"]; ok {
		delete(set, "layout") // unused: the page replaces it
	}
	if err := checkPage(name, set, cat); err != nil {
		return nil, err
	}
	quiet := &catalog{text: cat.text} // the trial execution must not log
	byLang := map[string]*template.Template{}
	for _, lang := range Languages {
		t, err := newSet(set, funcs(quiet, lang, loc))
		if err != nil {
			return nil, fmt.Errorf("page %q: %w", name, err)
		}
		byLang[lang] = t.Funcs(funcs(cat, lang, loc))
	}
	return byLang, nil
}

// merge adds the definitions of src to dst, reporting names defined in both.
func merge(dst, src map[string]def) []error {
	var errs []error
	for _, n := range slices.Sorted(maps.Keys(src)) {
		if d, dup := dst[n]; dup {
			errs = append(errs, fmt.Errorf("%s: template %q is already defined in %s", src[n].file, n, d.file))
			continue
		}
		dst[n] = src[n]
	}
	return errs
}

// parseAssets parses templates/**/*.html of fsys. A file under
// templates/partials/ holds partials; any other is a page named by its path
// under templates/ without ".html". Text outside {{define}} is an error.
func parseAssets(fsys fs.FS) (assetTemplates, error) {
	at := assetTemplates{partials: map[string]def{}, pages: map[string]map[string]def{}}
	var errs []error
	err := fs.WalkDir(fsys, "templates", func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == "templates" {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		defs, err := parseFile(fsys, p)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if strings.HasPrefix(p, "templates/partials/") {
			errs = append(errs, merge(at.partials, defs)...)
		} else {
			at.pages[strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")] = defs
		}
		return nil
	})
	return at, errors.Join(append(errs, err)...)
}

// parseFile parses one template file and returns its definitions.
func parseFile(fsys fs.FS, p string) (map[string]def, error) {
	src, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err
	}
	root, err := texttemplate.New(p).Funcs(texttemplate.FuncMap(funcs(nil, LangFR, time.UTC))).Parse(string(src))
	if err != nil {
		return nil, err
	}
	defs := map[string]def{}
	for _, t := range root.Templates() {
		if t.Name() == p {
			if t.Tree != nil && !parse.IsEmptyTree(t.Root) {
				return nil, fmt.Errorf("%s: text outside {{define}}", p)
			}
			continue
		}
		defs[t.Name()] = def{file: p, tree: t.Tree}
	}
	return defs, nil
}

// newSet builds an html/template set from copies of the definitions (the
// escaper rewrites trees, so sets must not share them) and escapes it by a
// trial execution, so that an escaping error fails construction. Execution
// errors of the trial (missing data) are expected and ignored. The caller
// then replaces the trial functions fm by the real ones.
func newSet(defs map[string]def, fm template.FuncMap) (*template.Template, error) {
	t := template.New("preau").Funcs(fm)
	for _, n := range slices.Sorted(maps.Keys(defs)) {
		if _, err := t.AddParseTree(n, defs[n].tree.Copy()); err != nil {
			return nil, fmt.Errorf("%s: %w", defs[n].file, err)
		}
	}
	entry := "layout"
	if _, ok := defs["page"]; ok {
		entry = "page"
	}
	err := t.ExecuteTemplate(io.Discard, entry, &View{Lang: LangFR, Config: &RendererConfig{}, cat: &catalog{}})
	var escErr *template.Error
	if errors.As(err, &escErr) {
		return nil, err
	}
	return t, nil
}
