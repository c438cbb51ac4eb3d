// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirtest"
	"github.com/preau/preau/internal/files"
	"github.com/preau/preau/internal/files/davd"
	"github.com/preau/preau/internal/store"
)

// helperEnv names the data folder a re-executed test binary serves.
const helperEnv = "PREAU_DAVD_KILL_HELPER"

// TestMain lets the test binary act as a WebDAV server process that the
// kill test can SIGKILL.
func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		serveHelper(dir)
		return
	}
	os.Exit(m.Run())
}

func openData(dir string) (*store.DB, *files.Service, error) {
	db, err := store.Open(context.Background(), store.Config{DataDir: dir, Log: quiet})
	if err != nil {
		return nil, nil, err
	}
	fb, err := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	if err != nil {
		return nil, nil, err
	}
	return db, files.New(files.Deps{Store: db, Blobs: fb, People: db, Log: quiet}), nil
}

func serveHelper(dir string) {
	db, svc, err := openData(dir)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	h := davd.New(davd.Deps{Files: svc, Locks: db, Auth: func(ctx context.Context, login, pw, src string) (core.Principal, error) {
		p, err := db.FindPersonByLogin(ctx, login)
		if err != nil || pw != password {
			return core.Principal{}, core.E("helper", core.Unauthenticated, "no")
		}
		return core.Principal{PersonID: p.ID, Login: p.Login, Profile: p.Profile, Establishments: p.Establishments}, nil
	}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	_ = http.Serve(ln, h)
}

func startHelper(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "ERR") {
		t.Fatalf("helper: %q %v", line, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, strings.TrimSpace(line)
}

// TestKill9DuringUpload kills the server process with SIGKILL in the middle
// of a large streamed upload: after a restart the file is not visible, the
// quota counts only what was committed, and the temporary data the upload
// left is cleaned away without touching stored files.
// CARINE: UTI-ESF-4
func TestKill9DuringUpload(t *testing.T) {
	dir := t.TempDir()
	db, svc, err := openData(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := dirtest.Ctx()
	est := dirtest.NewEstablishment(999093, directory.College)
	if err := db.CreateEstablishment(ctx, est); err != nil {
		t.Fatal(err)
	}
	p := dirtest.NewPerson("lou", core.ProfilePupil, est.ID)
	if err := db.CreatePeople(ctx, []directory.NewPerson{{Person: p}}); err != nil {
		t.Fatal(err)
	}
	pctx := core.ContextWithPrincipal(context.Background(), core.Principal{PersonID: p.ID, Login: "lou",
		Profile: core.ProfilePupil, Establishments: []string{est.ID}})
	if _, err := svc.Put(pctx, "/home/keep.txt", strings.NewReader("keep!"), files.PutOptions{Size: 5}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd, addr := startHelper(t, dir)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", "http://"+addr+"/dav/home/big.bin", pr)
	req.SetBasicAuth("lou", password)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	chunk := make([]byte, 1<<20)
	for range 24 { // 24 MiB sent of an endless body
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until the server has spooled part of it to a temporary blob.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var tmp int64
		_ = filepath.Walk(filepath.Join(dir, "blobs"), func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() && strings.HasPrefix(fi.Name(), "~tmp.") {
				tmp += fi.Size()
			}
			return nil
		})
		if tmp > 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload never reached the blob store")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done

	_, addr = startHelper(t, dir)
	req, _ = http.NewRequest("PROPFIND", "http://"+addr+"/dav/home/", strings.NewReader(`<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:quota-used-bytes/><D:displayname/></D:prop></D:propfind>`))
	req.Header.Set("Depth", "1")
	req.SetBasicAuth("lou", password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	body := string(b)
	if strings.Contains(body, "big.bin") || !strings.Contains(body, "keep.txt") ||
		!strings.Contains(body, "<D:quota-used-bytes>5</D:quota-used-bytes>") {
		t.Fatalf("after kill -9 and restart:\n%s", body)
	}
	// The cut upload's temporary file is debris that Clean removes; the
	// stored file stays.
	fb, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	if n, err := fb.Clean(context.Background(), 0); err != nil || n == 0 {
		t.Fatalf("Clean removed %d temporary files: %v", n, err)
	}
	req, _ = http.NewRequest("GET", "http://"+addr+"/dav/home/keep.txt", nil)
	req.SetBasicAuth("lou", password)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if string(b) != "keep!" {
		t.Fatalf("stored file after cleaning: %q", b)
	}
}
