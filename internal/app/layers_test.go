// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering enforces design §2: domain packages import no SQL driver, no
// net/http and no protocol library; only internal/store imports a SQL
// driver; adapters do not import internal/store.
func TestLayering(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list; skipped with -short")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Deps " "}}`, "github.com/preau/preau/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	domain := []string{"internal/core", "internal/journal", "internal/directory", "internal/auth", "internal/auth/sso",
		"internal/auth/picture", "internal/auth/policy", "internal/demo", "internal/files"}
	forbiddenInDomain := []string{"database/sql", "net/http", "modernc.org/sqlite", "github.com/jackc/pgx",
		"github.com/minio/minio-go", "net/smtp"}
	drivers := []string{"modernc.org/sqlite", "github.com/jackc/pgx"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		rel := strings.TrimPrefix(pkg, "github.com/preau/preau/")
		depset := map[string]bool{}
		for _, d := range strings.Fields(deps) {
			depset[d] = true
		}
		has := func(prefix string) bool {
			for d := range depset {
				if d == prefix || strings.HasPrefix(d, prefix+"/") {
					return true
				}
			}
			return false
		}
		if isDomain(rel, domain) {
			for _, f := range forbiddenInDomain {
				if has(f) {
					t.Errorf("domain package %s depends on %s", rel, f)
				}
			}
		}
		// The wiring (app, main) and benchmark programs may reach everything.
		wiring := strings.HasPrefix(rel, "internal/app") || rel == "cmd/preau" || strings.HasPrefix(rel, "bench/")
		if !strings.HasPrefix(rel, "internal/store") && !wiring {
			for _, d := range drivers {
				if has(d) {
					t.Errorf("%s depends on the SQL driver %s; only internal/store may", rel, d)
				}
			}
			if has("github.com/preau/preau/internal/store") {
				t.Errorf("%s imports internal/store; only internal/app may", rel)
			}
		}
	}
}

// isDomain reports whether rel is a domain package: one of roots, without
// its web (…web), protocol (…d) and test (…test) adapters.
func isDomain(rel string, roots []string) bool {
	for _, r := range roots {
		if rel == r {
			return true
		}
	}
	return rel == "internal/demo/demoseed"
}
