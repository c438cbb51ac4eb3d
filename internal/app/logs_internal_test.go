// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/store"
)

// TestZoneMapperNarrowestRange: a syslog sender's address maps to the
// establishment whose zone holds it (the narrowest range when two do), and
// an unknown address to the deployment stream ("").
// CARINE: MCO-JAL-8
func TestZoneMapperNarrowestRange(t *testing.T) {
	ctx := dirtest.Ctx()
	db, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, b := dirtest.NewEstablishment(1, directory.College), dirtest.NewEstablishment(2, directory.Lycee)
	for _, e := range []*directory.Establishment{a, b} {
		if err := db.CreateEstablishment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	put := func(est, name, cidr string) {
		if err := db.PutZone(ctx, &directory.Zone{ID: core.NewID(), Establishment: est, Name: name, CIDRs: []netip.Prefix{netip.MustParsePrefix(cidr)}}); err != nil {
			t.Fatal(err)
		}
	}
	put(a.ID, "peda", "10.0.0.0/8")
	put(b.ID, "servers", "10.20.0.0/16")
	m := &zoneMapper{db: db, ttl: time.Minute}
	for addr, want := range map[string]string{"10.1.2.3": a.ID, "10.20.5.5": b.ID, "192.168.1.1": ""} {
		if got := m.EstablishmentOf(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s → %q, want %q", addr, got, want)
		}
	}
}
