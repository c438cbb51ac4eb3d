// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"embed"
	"io/fs"
)

//go:embed assets
var assets embed.FS

// appAssets holds the few texts of the wiring itself: navigation labels and
// the start-up progress page.
func appAssets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}
