// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package pki_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/pki"
)

// helperDirEnv, when set, turns TestLoadHelperProcess into a child process
// that loads the PKI of that folder and prints the CA fingerprint.
const helperDirEnv = "PREAU_PKI_HELPER_DIR"

func TestLoadHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestLoadConcurrentProcesses")
	}
	p, err := pki.Load(pki.Config{Hosts: []string{"preau.test"}}, dir, core.SystemClock{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("fingerprint:", p.Fingerprint())
	os.Exit(0)
}

func TestLoadConcurrentProcesses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoadHelperProcess$")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
		out := new(strings.Builder)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	p, err := pki.Load(pki.Config{Hosts: []string{"preau.test"}}, dir, core.SystemClock{})
	if err != nil {
		t.Fatal(err)
	}
	for i, out := range outs {
		if !strings.Contains(out.String(), "fingerprint: "+p.Fingerprint()) {
			t.Errorf("process %d saw another CA than the folder holds (%s):\n%s", i, p.Fingerprint(), out)
		}
	}
}
