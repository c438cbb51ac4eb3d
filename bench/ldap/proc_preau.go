// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// preauServer is the child process serving Préau's LDAP view (servePreau).
type preauServer struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	out      *bufio.Reader
	addr     string
	viewLoad float64 // seconds the child took to build the view
}

// startPreau starts this program again as the Préau server over the store
// in dataDir, with GOMAXPROCS=procs in its environment when procs > 0, and
// waits until it listens.
func startPreau(dataDir, base string, procs int) (*preauServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve-preau", dataDir, "-base", base)
	if procs > 0 {
		cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", procs))
	}
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	s := &preauServer{cmd: cmd}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.out = bufio.NewReader(stdout)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := s.readLine(2 * time.Minute)
	if err == nil {
		_, err = fmt.Sscanf(line, "LISTEN %s %g", &s.addr, &s.viewLoad)
	}
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("starting the Préau server: %v (got %q)", err, line)
	}
	return s, nil
}

func (s *preauServer) readLine(timeout time.Duration) (string, error) {
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := s.out.ReadString('\n')
		ch <- res{strings.TrimSpace(l), err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-time.After(timeout):
		return "", fmt.Errorf("no answer after %s", timeout)
	}
}

// command sends one line ("profile FILE", "stop", "runtime") and waits for
// "OK", which may be followed by an answer, returned.
func (s *preauServer) command(line string) (string, error) {
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		return "", err
	}
	got, err := s.readLine(30 * time.Second)
	if err == nil && got != "OK" && !strings.HasPrefix(got, "OK ") {
		err = fmt.Errorf("Préau server answered %q to %q", got, line)
	}
	return strings.TrimPrefix(strings.TrimPrefix(got, "OK"), " "), err
}

func (s *preauServer) pid() int { return s.cmd.Process.Pid }

// stop closes the child's input, which shuts it down, and kills it if it
// has not exited within 10 seconds.
func (s *preauServer) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}
