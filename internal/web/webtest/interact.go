// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package webtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// RecordCSP makes the tab of ctx (from [Tab]) record the
// Content-Security-Policy violations of every page it loads from now on,
// which [AxeCurrent] reports.
func RecordCSP(ctx context.Context) error {
	_, err := run(ctx, func(ctx context.Context, tg *chromedp.Target) (page.AddScriptToEvaluateOnNewDocumentResult, error) {
		return cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
	})
	return err
}

// Press sends keys to the element that has the focus, as a person typing
// (see chromedp.KeyEvent; "\t" is Tab, "\r" is Enter).
func Press(ctx context.Context, keys string) error { return do(ctx, chromedp.KeyEvent(keys)) }

// AwaitNavigation runs act, which makes the page navigate (a click or a
// key on a form button), and returns once the next page has loaded. An
// error of act that only says the page went away while it ran is no
// error.
func AwaitNavigation(ctx context.Context, act func() error) error {
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`window.__webtestOld = true`)); err != nil {
		return err
	}
	if err := act(); err != nil && !navigated(err) {
		return err
	}
	deadline := time.Now().Add(pageTimeout)
	for {
		// Each poll has its own short deadline: an evaluation sent while
		// the page changes may never be answered, and that only means
		// "not yet".
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		done, err := chromedp.Run(pctx, chromedp.Evaluate[bool](`!window.__webtestOld && document.readyState === 'complete'`))
		cancel()
		if err == nil && done {
			return nil
		}
		if err != nil && !navigated(err) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("webtest: the page did not navigate")
		}
		time.Sleep(pollInterval) // the next page is loading: poll, with the deadline above
	}
}

// WaitFor polls the JavaScript expression js on the page of ctx until it is
// true, each poll with a short deadline of its own, for at most the page
// timeout: after a navigation, a DOM query may be bound to the page that
// went away and never answer, while a fresh evaluation reaches the new one.
func WaitFor(ctx context.Context, js string) error {
	deadline := time.Now().Add(pageTimeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		ok, err := chromedp.Run(pctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return nil
		}
		if err != nil && !navigated(err) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webtest: %s never held", js)
		}
		time.Sleep(pollInterval)
	}
}

// pollInterval spaces the checks of AwaitNavigation, and pollTimeout
// bounds each one.
const (
	pollInterval = 20 * time.Millisecond
	pollTimeout  = 5 * time.Second
)

// navigated reports whether err says that the page (its JavaScript
// context) went away, as it does while the browser loads the next one.
func navigated(err error) bool {
	m := err.Error()
	return strings.Contains(m, "navigated or closed") || strings.Contains(m, "Cannot find context") ||
		strings.Contains(m, "Execution context was destroyed")
}

// AxeCurrent runs the checks of [Axe] on the page the tab of ctx shows now,
// without loading it again: for pages reached by a form POST. name labels
// the report. CSP violations are reported when the tab records them
// ([RecordCSP]).
func AxeCurrent(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if report := checkCurrent(ctx); report != "" {
		t.Error("axe: " + name + ":\n" + report)
	}
}

// checkCurrent returns a report of the problems of the page the tab is
// on (CSP violations, axe-core in light and dark schemes), or "".
func checkCurrent(ctx context.Context) string {
	var b strings.Builder
	csp, err := run(ctx, chromedp.Evaluate[[]string](`window.__preauCSP || []`))
	if err != nil {
		return fmt.Sprintf("  reading CSP violations: %v", err)
	}
	for _, c := range csp {
		fmt.Fprintf(&b, "  CSP violation: %s\n", c)
	}
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
		return fmt.Sprintf("  injecting axe-core: %v", err)
	}
	for _, scheme := range []string{"light", "dark"} {
		if err := do(ctx, emulateScheme(scheme)); err != nil {
			return fmt.Sprintf("  emulating the %s scheme: %v", scheme, err)
		}
		out, err := run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
		if err != nil {
			return fmt.Sprintf("  running axe (%s scheme): %v", scheme, err)
		}
		var vs []violation
		if err := json.Unmarshal([]byte(out), &vs); err != nil {
			return fmt.Sprintf("  decoding axe results: %v", err)
		}
		for _, v := range vs {
			fmt.Fprintf(&b, "  %s [%s, %s scheme] %s (%s)\n", v.ID, v.Impact, scheme, v.Help, v.HelpURL)
			for _, n := range v.Nodes {
				targets := make([]string, len(n.Target))
				for i, tg := range n.Target {
					targets[i] = string(tg)
				}
				fmt.Fprintf(&b, "    - %s\n        %s\n", strings.Join(targets, " "),
					strings.ReplaceAll(strings.TrimSpace(n.FailureSummary), "\n", "\n        "))
			}
		}
	}
	if err := do(ctx, emulateScheme("light")); err != nil {
		return fmt.Sprintf("  emulating the light scheme: %v", err)
	}
	return b.String()
}
