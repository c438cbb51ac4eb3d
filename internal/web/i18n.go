// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"slices"
	"sync"
)

// Languages of the user interface. French is the default and the reference:
// every key must have French text; English falls back to French.
const (
	LangFR = "fr"
	LangEN = "en"
)

// Languages lists the supported languages, default first.
var Languages = []string{LangFR, LangEN}

// supported reports whether lang is one of Languages.
func supported(lang string) bool { return lang == LangFR || lang == LangEN }

// catalog holds the merged translations of the shell and the services. It is
// read-only after construction and safe for concurrent use.
type catalog struct {
	text   map[string]map[string]string // lang → key → text
	log    *slog.Logger
	warned sync.Map // keys already reported missing
}

// loadCatalog merges i18n/fr.json and i18n/en.json of each FS. A key defined
// in two FSs, an English key without French text, or a malformed file is an
// error naming the file and the key.
func loadCatalog(log *slog.Logger, fsyss []fs.FS) (*catalog, error) {
	c := &catalog{text: map[string]map[string]string{}, log: log}
	owner := map[string]int{} // "lang key" → index of the FS that defined it
	for _, lang := range Languages {
		c.text[lang] = map[string]string{}
	}
	var errs []error
	for i, fsys := range fsyss {
		for _, lang := range Languages {
			name := "i18n/" + lang + ".json"
			b, err := fs.ReadFile(fsys, name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("assets #%d: %w", i, err))
				continue
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				errs = append(errs, fmt.Errorf("assets #%d: %s: %w", i, name, err))
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(m)) {
				if j, dup := owner[lang+" "+k]; dup {
					errs = append(errs, fmt.Errorf("assets #%d: %s: key %q already defined by assets #%d", i, name, k, j))
					continue
				}
				owner[lang+" "+k] = i
				c.text[lang][k] = m[k]
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.text[LangEN])) {
		if _, ok := c.text[LangFR][k]; !ok {
			errs = append(errs, fmt.Errorf("i18n: key %q has English text but no French text", k))
		}
	}
	return c, errors.Join(errs...)
}

// has reports whether key has French text.
func (c *catalog) has(key string) bool {
	_, ok := c.text[LangFR][key]
	return ok
}

// T returns the text of key in lang, formatted with args by fmt.Sprintf when
// args are given. English falls back to French; a missing key yields the key
// itself and is logged once.
func (c *catalog) T(lang, key string, args ...any) string {
	s, ok := c.text[lang][key]
	if !ok {
		s, ok = c.text[LangFR][key]
	}
	if !ok {
		if _, seen := c.warned.LoadOrStore(key, true); !seen && c.log != nil {
			c.log.Warn("translation key without French text", "key", key)
		}
		return key
	}
	if len(args) == 1 {
		if list, ok := args[0].([]any); ok {
			args = list
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// plural returns the text of key+".one" or key+".other" for the count n
// according to the rules of lang (French: 0 and 1 are singular; English: only
// 1), formatted with n followed by args.
func (c *catalog) plural(lang, key string, n int, args ...any) string {
	form := ".other"
	if n == 1 || (n == 0 && lang == LangFR) {
		form = ".one"
	}
	return c.T(lang, key+form, append([]any{n}, args...)...)
}

type langKey struct{}

// ContextWithLang returns a copy of ctx that carries the interface language
// lang. An unsupported lang is replaced by French.
func ContextWithLang(ctx context.Context, lang string) context.Context {
	if !supported(lang) {
		lang = LangFR
	}
	return context.WithValue(ctx, langKey{}, lang)
}

// LangFromContext returns the interface language carried by ctx, or French.
func LangFromContext(ctx context.Context) string {
	if l, ok := ctx.Value(langKey{}).(string); ok {
		return l
	}
	return LangFR
}

// T translates key into the language of ctx, formatting it with args. It uses
// the catalog of the Renderer whose [Renderer.Wrap] handled the request; without
// one, it returns the key. Handlers use it for flash texts, form errors and
// SSE progress messages.
func T(ctx context.Context, key string, args ...any) string {
	rd := rendererFromContext(ctx)
	if rd == nil {
		return key
	}
	return rd.cat.T(LangFromContext(ctx), key, args...)
}
