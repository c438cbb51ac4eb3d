// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blobtest_test

import (
	"testing"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/blobtest"
)

func TestMemStore(t *testing.T) {
	blobtest.Suite(t, func(t *testing.T) blob.Store { return blobtest.NewMemStore(nil) })
}
