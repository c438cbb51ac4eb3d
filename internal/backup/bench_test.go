// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/preau/preau/internal/backup"
)

// BenchmarkBackup backs up 64 MiB of half text, half random bytes into a
// fresh repository; bench/backup/run.sh compares with restic.
func BenchmarkBackup(b *testing.B) {
	f := newFixture(&testing.T{})
	f.t = &testing.T{}
	for i := 0; i < 16; i++ {
		f.write(fmt.Sprintf("img%02d.jpg", i), randomBytes(int64(i), 2<<20))
		f.write(fmt.Sprintf("doc%02d.txt", i), bytes.Repeat([]byte(fmt.Sprintf("cours de français %d ", i)), 2<<20/20))
	}
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.be = backup.Local{Root: b.TempDir()}
		r, err := backup.OpenForBackup(context.Background(), f.be, f.secret, f.rs, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		items, _ := backup.DirItems(f.src, "data", nil)
		if _, err := r.Backup(context.Background(), items, backup.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
