// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package chartertest_test

import (
	"testing"

	"github.com/preau/preau/internal/charter/chartertest"
)

// TestMemStoreSuite runs the store suite on the in-memory store, so that
// the fake used by service and web tests cannot drift from the SQL store.
func TestMemStoreSuite(t *testing.T) { chartertest.StoreSuite(t, chartertest.Mem) }
