// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package webtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (see testdata/axe/README.md).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// AxeTags are the rule sets [Axe] runs: WCAG 2.0 and 2.1, levels A and AA,
// which RGAA 4 follows.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// cspRecorder runs before any script of each page and records the
// Content-Security-Policy violations the page causes (an inline script or
// style, a foreign origin), which [Axe] reports as failures too.
const cspRecorder = `window.__preauCSP = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__preauCSP.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
    ' at ' + e.sourceFile + ':' + e.lineNumber);
});`

// axeRun runs axe on the document and returns its violations as JSON.
var axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ` + jsonString(AxeTags) + `},
  resultTypes: ['violations']}).then(function (r) { return JSON.stringify(r.violations); })`

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// violation is the part of an axe result that the report shows.
type violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target         []json.RawMessage `json:"target"`
		FailureSummary string            `json:"failureSummary"`
	} `json:"nodes"`
}

// Axe loads baseURL+path for each path in headless Chromium, injects
// axe-core through the DevTools protocol (so the page's CSP does not block
// it) and runs the WCAG 2.1 A and AA rules, in the light and then the dark
// colour scheme. Each violation fails t with its rule id, impact, help text
// and target nodes; so does any Content-Security-Policy violation of the
// page. The HTTP status of a page is not checked, so that error pages can be
// tested. Without Chromium, Axe skips t (see the package documentation).
func Axe(t *testing.T, baseURL string, paths ...string) {
	t.Helper()
	for _, r := range axeReports(t, baseURL, paths) {
		t.Error(r)
	}
}

// axeReports runs the checks of Axe and returns one report per page with
// problems.
func axeReports(t testing.TB, baseURL string, paths []string) []string {
	t.Helper()
	ctx := tab(t)
	_, err := run(ctx, func(ctx context.Context, tg *chromedp.Target) (page.AddScriptToEvaluateOnNewDocumentResult, error) {
		return cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
	})
	if err != nil {
		t.Fatalf("webtest: installing the CSP recorder: %v", err)
	}
	var reports []string
	for _, p := range paths {
		if report := checkPage(ctx, baseURL+p); report != "" {
			reports = append(reports, "axe: "+p+":\n"+report)
		}
	}
	return reports
}

// emulateScheme makes the tab report prefers-color-scheme: scheme.
func emulateScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// checkPage loads url and returns a report of its problems, or "".
func checkPage(ctx context.Context, url string) string {
	if err := do(ctx, emulateScheme("light"), chromedp.Navigate(url)); err != nil {
		return fmt.Sprintf("  loading: %v", err)
	}
	return checkCurrent(ctx)
}
