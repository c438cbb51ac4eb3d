// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package webtest

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
)

// Tab returns a new tab of t's headless Chromium, for tests that drive
// pages (log in, fill forms, press keys). It skips t without a browser
// (fails with PREAU_TEST_STRICT=1). The browser ignores certificate errors.
func Tab(t testing.TB) context.Context { return tab(t) }

// Do runs steps on the tab of ctx with the page timeout.
func Do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error { return do(ctx, steps...) }

// Run runs one action that returns a value on the tab of ctx, with the
// page timeout.
func Run[T any](ctx context.Context, a chromedp.Action[T]) (T, error) { return run(ctx, a) }
