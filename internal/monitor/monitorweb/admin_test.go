// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package monitorweb_test

import (
	"io/fs"

	"github.com/preau/preau/internal/admin"
)

// adminAssets brings the console's shared strings (admin.eyebrow).
func adminAssets() fs.FS { return admin.Assets() }
