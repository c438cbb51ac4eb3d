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

// TestSplitArchiveURL: an s3:// archive target splits into the bucket's
// store URL (its query kept) and the object name; a path stays a file.
// CARINE: MCO-JAL-3
func TestSplitArchiveURL(t *testing.T) {
	cases := []struct{ in, store, key string }{
		{"s3://logs-ac/ecoles/0750001A/sept.tar.age?endpoint=s3.ac.example:9000&region=fr", "s3://logs-ac/ecoles/0750001A?endpoint=s3.ac.example:9000&region=fr", "sept.tar.age"},
		{"s3://logs-ac/sept.tar", "s3://logs-ac", "sept.tar"},
	}
	for _, c := range cases {
		store, key, ok, err := splitArchiveURL(c.in)
		if err != nil || !ok || store != c.store || key != c.key {
			t.Fatalf("%s: %q %q %v %v", c.in, store, key, ok, err)
		}
	}
	if _, _, ok, err := splitArchiveURL("/mnt/usb/sept.tar"); ok || err != nil {
		t.Fatalf("a local path: %v %v", ok, err)
	}
	if _, _, _, err := splitArchiveURL("s3://logs-ac/"); err == nil {
		t.Fatal("an S3 target without a name accepted")
	}
}
