// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package store_test

import (
	"context"
	"testing"

	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/store"
)

// TestChangeCounterSeesOtherProcess: a change written through another handle
// on the same database (another process, another node) moves the directory
// version that running nodes poll to refresh their LDAP view (design §4).
func TestChangeCounterSeesOtherProcess(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	node, err := store.Open(ctx, store.Config{DataDir: dir, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	before, err := node.DirectoryVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := store.Open(ctx, store.Config{DataDir: dir, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.CreateEstablishment(dirtest.Ctx(), dirtest.NewEstablishment(999030, directory.Ecole)); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	after, err := node.DirectoryVersion(ctx)
	if err != nil || after <= before {
		t.Fatalf("counter %d → %d (%v): the other process's change is not seen", before, after, err)
	}
	if ests, err := node.FindEstablishments(ctx, nil, 2026); err != nil || len(ests) != 1 {
		t.Fatalf("establishment written by the other process not read: %v %v", ests, err)
	}
}
