// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package clamd_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/clamd"
)

// eicar is the standard antivirus test string, assembled at run time so
// that no scanner flags this source file.
func eicar() string {
	return strings.Join([]string{`X5O!P%@AP[4\PZX54(P^)7CC)7}$`, `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`}, "")
}

// TestScanWithClamd starts Debian's clamd on a loopback port with a
// one-line local signature database (deps.md: freshclam cannot download
// here) and scans a clean and an infected stream.
// CARINE: UTI-ESF-11
func TestScanWithClamd(t *testing.T) {
	bin, err := exec.LookPath("clamd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/clamd"); err2 == nil {
			bin = "/usr/sbin/clamd"
		} else if os.Getenv("PREAU_TEST_STRICT") == "1" {
			t.Fatal("clamd is not installed (Debian package clamav-daemon) and PREAU_TEST_STRICT=1")
		} else {
			t.Skip("clamd is not installed (Debian package clamav-daemon): skipping")
		}
	}
	dir := t.TempDir()
	sum := md5.Sum([]byte(eicar()))
	if err := os.WriteFile(filepath.Join(dir, "local.hdb"),
		[]byte(fmt.Sprintf("%s:%d:Local.Test.EICAR\n", hex.EncodeToString(sum[:]), len(eicar()))), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "clamd.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("Foreground yes\nDatabaseDirectory %s\nTCPSocket %d\n"+
		"TCPAddr 127.0.0.1\nLogFile %s/clamd.log\nPidFile %s/clamd.pid\nUser %s\n", dir, addr.Port, dir, dir,
		me.Username)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config-file="+conf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	c := clamd.New(fmt.Sprintf("tcp:127.0.0.1:%d", addr.Port), 10*time.Second)
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := c.Scan(ctx, strings.NewReader("bonjour"))
		if err == nil {
			break
		}
		if !core.IsKind(err, core.Unavailable) || time.Now().After(deadline) {
			t.Fatalf("clean scan: %v", err)
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("clamd exited: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
	err = c.Scan(ctx, strings.NewReader(eicar()))
	if !errors.Is(err, files.ErrInfected) || !strings.Contains(core.MessageOf(err), "Local.Test.EICAR") {
		t.Fatalf("EICAR scan: %v", err)
	}
	// A big clean stream goes in several chunks.
	if err := c.Scan(ctx, strings.NewReader(strings.Repeat("propre ", 100000))); err != nil {
		t.Fatalf("large clean scan: %v", err)
	}
}

// TestScanUnreachable: no clamd means the upload is refused (fail closed).
func TestScanUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = clamd.New("tcp:"+addr, time.Second).Scan(context.Background(), strings.NewReader("x"))
	if !core.IsKind(err, core.Unavailable) {
		t.Fatalf("unreachable clamd: %v", err)
	}
}
