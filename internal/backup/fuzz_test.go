// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
)

// seedRepo returns the objects of a small real repository.
func seedRepo(f *testing.F) (packs, indexes, snaps [][]byte) {
	t := &testing.T{}
	fx := newFixture(t)
	fx.write("a", randomBytes(1, 100<<10))
	fx.write("b/c", []byte("bonjour"))
	fx.run(backup.Options{PackSize: 64 << 10})
	filepath.Walk(fx.be.Root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		switch filepath.Base(filepath.Dir(filepath.Dir(p))) + "/" + filepath.Base(filepath.Dir(p)) {
		default:
			switch filepath.Base(filepath.Dir(p)) {
			case "index":
				indexes = append(indexes, b)
			case "snapshots":
				snaps = append(snaps, b)
			default:
				if len(b) > 8 && string(b[:7]) == "PRPACK1" {
					packs = append(packs, b)
				}
			}
		}
		return nil
	})
	return
}

func FuzzParseIndex(f *testing.F) {
	_, idx, _ := seedRepo(f)
	for _, b := range idx {
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"packs":[{"id":"` + backup.ID{1}.String() + `","size":10,"blobs":[{"type":0,"id":"` + backup.ID{2}.String() + `","offset":2,"length":4,"raw_length":9}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := backup.ParseIndex(b)
		if err != nil {
			return
		}
		for _, p := range x.Packs {
			for _, e := range p.Blobs {
				if int64(e.Offset)+int64(e.Length) > p.Size {
					t.Fatal("accepted a blob outside its pack")
				}
			}
		}
		if _, err := json.Marshal(x); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseSnapshot(f *testing.F) {
	_, _, snaps := seedRepo(f)
	for _, b := range snaps {
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"time":"2026-09-01T00:00:00Z","kind":"full","tree":["` + backup.ID{1}.String() + `"],"blobs":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := backup.ParseSnapshot(b)
		if err != nil {
			return
		}
		if s.Time.IsZero() || len(s.Tree) == 0 {
			t.Fatal("accepted a snapshot without time or listing")
		}
	})
}

func FuzzParsePack(f *testing.F) {
	packs, _, _ := seedRepo(f)
	for _, b := range packs {
		f.Add(b)
	}
	f.Add([]byte("PRPACK1\n\x00\x00\x00\x01xPRPKEND\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		wrapped, start, err := backup.ParsePackHeader(b)
		if err != nil {
			return
		}
		if len(wrapped) == 0 || start > len(b) {
			t.Fatal("bad header accepted")
		}
		es, err := backup.ParsePackTrailer(b, int64(len(b)), start)
		if err != nil {
			return
		}
		for _, e := range es {
			if int(e.Offset) < start || int64(e.Offset)+int64(e.Length) > int64(len(b)) {
				t.Fatal("entry outside the pack accepted")
			}
		}
	})
}

func FuzzParseListing(f *testing.F) {
	f.Add([]byte(`{"path":"data/a","type":"file","mode":384,"mtime":"2026-09-01T00:00:00Z","size":3,"chunks":["` + backup.ID{1}.String() + `"]}` + "\n" +
		`{"path":"data/b","type":"dir","mode":448,"mtime":"2026-09-01T00:00:00Z","size":0}`))
	f.Add([]byte(`{"path":"../etc/passwd","type":"file"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ns, err := backup.ParseListing(b)
		if err != nil {
			return
		}
		for _, n := range ns {
			for _, c := range strings.Split(n.Path, "/") {
				if c == ".." || c == "." || c == "" || filepath.IsAbs(n.Path) {
					t.Fatalf("unsafe path accepted: %q", n.Path)
				}
			}
		}
	})
}

func FuzzParseRepoConfigAndKeys(f *testing.F) {
	f.Add([]byte(`{"version":1,"id":"0123456789abcdef0123456789abcdef","created":"2026-09-01T00:00:00Z","secret_check":"` + backup.ID{}.String() + `"}`))
	f.Add([]byte(`{"version":1,"recipients":["age1x"],"secret":"AAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		backup.ParseRepoConfig(b)
		backup.ParseKeyFile(b)
		backup.ParseSecret(b)
	})
}

var _ = context.Background
var _ = time.Now
