// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
)

// TestRepositoryLock: a second backup on a repository while one runs is
// refused with a message naming the running one; a lock left by a process
// of this host that died, or one not refreshed for longer than the stale
// delay, does not block; a fresh lock of another host does.
// CARINE: MCO-SVG-2
func TestRepositoryLock(t *testing.T) {
	f := newFixture(t)
	f.write("a.bin", randomBytes(1, 2<<20))
	f.write("b.bin", randomBytes(2, 2<<20))
	ctx := context.Background()
	open := func() *backup.Repo {
		r, err := backup.OpenForBackup(ctx, f.be, f.secret, f.rs, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	items := func() []backup.Item {
		it, err := backup.DirItems(f.src, "data", nil)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	inPack, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		once := false
		_, err := open().Backup(ctx, items(), backup.Options{PackSize: 256 << 10, AfterPack: func(int) {
			if !once {
				once = true
				close(inPack)
				<-release
			}
		}})
		first <- err
	}()
	<-inPack
	_, err := open().Backup(ctx, items(), backup.Options{})
	if !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), "backup started at") {
		t.Fatalf("second backup while one runs: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// Released: the next one runs.
	f.run(backup.Options{})

	host, _ := os.Hostname()
	save := func(l map[string]any) {
		b, _ := json.Marshal(l)
		if err := f.be.Save(ctx, backup.Handle{Kind: backup.KindLock, Name: backup.Hash(b).String()}, b); err != nil {
			t.Fatal(err)
		}
	}
	// A lock of a dead process of this host, and an old one of another host.
	save(map[string]any{"time": time.Now().UTC(), "host": host, "pid": 1 << 30, "op": "backup"})
	save(map[string]any{"time": time.Now().Add(-2 * time.Hour).UTC(), "host": "elsewhere", "pid": 1, "op": "backup"})
	f.run(backup.Options{})
	// A fresh lock of a process on another node blocks, and prune too.
	save(map[string]any{"time": time.Now().UTC(), "host": "node-2", "pid": 42, "op": "backup"})
	if _, err := open().Backup(ctx, items(), backup.Options{}); !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), "node-2") {
		t.Fatalf("fresh lock of another node: %v", err)
	}
	r, _ := backup.Open(ctx, f.be)
	if _, err := r.Prune(ctx, backup.Retention{Last: 1}, time.Now(), false); err == nil {
		t.Fatal("prune ran under a fresh backup lock")
	}
}
