// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadFileEnvAndSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "preau.toml")
	secret := filepath.Join(dir, "relay-password")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	os.WriteFile(path, []byte(`
data = "/srv/preau"
[listen]
https = "0.0.0.0:443"
[mail]
relay = "smtp.example.org:587"
from = "preau@example.org"
[auth]
session_idle = "45m"
`), 0o600)
	f, err := config.Load(path, env(map[string]string{
		"PREAU_LISTEN_HTTP":        "0.0.0.0:80",
		"PREAU_MAIL_PASSWORD_FILE": secret,
		"PREAU_TLS_HOSTS":          "preau.clg.example, 10.0.0.2",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if f.Data != "/srv/preau" || f.Listen.HTTPS != "0.0.0.0:443" || f.Listen.HTTP != "0.0.0.0:80" ||
		f.Mail.Password != "s3cret" || f.Auth.SessionIdle != 45*time.Minute || len(f.TLS.Hosts) != 2 {
		t.Fatalf("loaded: %+v", f)
	}
	if d := config.Dump(f); strings.Contains(d, "s3cret") || !strings.Contains(d, "***") {
		t.Fatalf("dump leaks the secret:\n%s", d)
	}
	if f.SchemaVersion != 1 {
		t.Fatalf("file without schema_version not migrated: %d", f.SchemaVersion)
	}
}

func TestLoadErrorsNameTheKey(t *testing.T) {
	cases := []struct{ name, doc, env, want string }{
		{"unknown key", "[listen]\nhttps = \"127.0.0.1:1\"\nhtps = \"x\"", "", "listen.htps"},
		{"bad type", "[listen]\nhttps = 443", "", "listen.https"},
		{"newer schema", "schema_version = 99", "", "newer than this preau"},
		{"bad env duration", "", "PREAU_AUTH_SESSION_IDLE=soon", "PREAU_AUTH_SESSION_IDLE"},
		{"bad toml", "[listen", "", "parsing config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(path, []byte(tc.doc), 0o600)
			e := map[string]string{}
			if k, v, ok := strings.Cut(tc.env, "="); ok {
				e[k] = v
			}
			_, err := config.Load(path, env(e))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	f := config.Default()
	f.Listen.HTTPS = "nonsense"
	f.Mail.Relay = "smtp.example.org:25"
	f.Mail.TLS = "sometimes"
	f.DB = "mysql://x"
	f.Auth.Argon2.MemoryKiB = 1024
	f.Logs.DiskWarn = 97 // above the default critical level (95)
	err := f.Validate()
	for _, want := range []string{"listen.https", "mail.from", "mail.tls", "db:", "memory_kib", "logs.disk_warn"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "data = \"x\"", "schema_version = 1\n[listen]\nhttps = \"a:1\"",
		"[auth]\nsession_idle = \"1h\"", "[[x]]", "schema_version = 999999999999999999999", "\x00", "a = [1, \"b\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := config.Default()
		if err := config.Parse(b, &c); err != nil {
			return
		}
		_ = c.Validate() // must not panic
	})
}
