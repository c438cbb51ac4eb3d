// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/directory/ldapd/ldaptest"
)

// ldapUtils runs OpenLDAP's command-line clients (Debian's ldap-utils)
// against e. Without them the test is skipped, or fails when
// PREAU_TEST_STRICT=1.
type ldapUtils struct {
	e      *env
	caFile string
}

func newLDAPUtils(t *testing.T, e *env) *ldapUtils {
	t.Helper()
	for _, tool := range []string{"ldapsearch", "ldapwhoami", "ldappasswd", "ldapmodify", "ldapcompare"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("PREAU_TEST_STRICT") == "1" {
				t.Fatalf("%s is missing (install ldap-utils): %v", tool, err)
			}
			t.Skipf("%s is missing: install Debian's ldap-utils to run this test", tool)
		}
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, e.caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return &ldapUtils{e: e, caFile: ca}
}

// run runs tool with args and stdin, and returns its output; it fails the
// test on a non-zero exit unless wantFail.
func (u *ldapUtils) run(t *testing.T, stdin string, wantFail bool, tool string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	// No ldap.conf nor ldaprc (LDAPNOINIT would also drop the LDAPTLS_* variables).
	cmd.Env = append(os.Environ(), "LDAPCONF="+os.DevNull, "LDAPRC=.preau-ldaprc-none",
		"LDAPTLS_CACERT="+u.caFile, "LDAPTLS_REQCERT=demand")
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if (err != nil) != wantFail {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (u *ldapUtils) url() string { return "ldap://" + u.e.addr }

func TestLDAPUtils(t *testing.T) {
	t.Parallel()
	dir := ldaptest.NewMemDirectory(ldaptest.Population(120), []ldaptest.User{
		{Login: "user00000", DN: ldaptest.PersonDN(0), Password: zoePW},
		{Login: "user00001", DN: ldaptest.PersonDN(1), Password: hugoPW},
	})
	e := newEnv(t, ldapd.Config{}, dir)
	u := newLDAPUtils(t, e)
	bindDN := ldaptest.PersonDN(0)
	auth := []string{"-x", "-H", u.url(), "-D", bindDN, "-w", zoePW}

	t.Run("paged search", func(t *testing.T) {
		out := u.run(t, "", false, "ldapsearch", append(auth, "-b", base, "-E", "pr=50/noprompt", "-LLL",
			"(&(objectClass=inetOrgPerson)(uid=user000*))", "uid")...)
		if n := countDNs(out); n != 100 {
			t.Errorf("%d entries in\n%.500s", n, out)
		}
		if len(dir.Calls("Search")) < 2 {
			t.Error("the search was not paged")
		}
	})
	t.Run("filter and attributes", func(t *testing.T) {
		out := u.run(t, "", false, "ldapsearch", append(auth, "-b", base, "-LLL",
			"(&(memberOf="+ldaptest.ClassDN(2)+")(uidNumber>=10060))", "uid", "memberOf")...)
		if !strings.Contains(out, "uid: user00060") || countDNs(out) != 15 ||
			!strings.Contains(out, "memberOf: "+ldaptest.ClassDN(2)) {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
	t.Run("rootDSE", func(t *testing.T) {
		out := u.run(t, "", false, "ldapsearch", "-x", "-H", u.url(), "-b", "", "-s", "base", "-LLL", "+")
		if !strings.Contains(out, "namingContexts: "+base) || !strings.Contains(out, "supportedLDAPVersion: 3") {
			t.Errorf("rootDSE:\n%s", out)
		}
	})
	t.Run("whoami", func(t *testing.T) {
		if out := u.run(t, "", false, "ldapwhoami", auth...); !strings.Contains(out, "dn:"+bindDN) {
			t.Errorf("ldapwhoami: %s", out)
		}
		out := u.run(t, "", true, "ldapwhoami", "-x", "-H", u.url(), "-D", bindDN, "-w", "wrong")
		if !strings.Contains(out, "Invalid credentials (49)") {
			t.Errorf("wrong password: %s", out)
		}
	})
	t.Run("passwd", func(t *testing.T) {
		u.run(t, "", false, "ldappasswd", "-x", "-H", u.url(), "-D", ldaptest.PersonDN(1), "-w", hugoPW,
			"-a", hugoPW, "-s", "hugo-changed-1")
		if got := dir.Password("user00001"); got != "hugo-changed-1" {
			t.Errorf("password %q", got)
		}
		out := u.run(t, "", false, "ldappasswd", "-x", "-H", u.url(), "-D", ldaptest.PersonDN(1), "-w", "hugo-changed-1")
		if !strings.Contains(out, "New password: generated-") {
			t.Errorf("generated password: %s", out)
		}
	})
	t.Run("modify", func(t *testing.T) {
		ldif := "dn: uid=ldif,ou=people," + base + "\nchangetype: add\nobjectClass: top\nobjectClass: person\n" +
			"cn: Élève LDIF\nsn: LDIF\nuid: ldif\n\n" +
			"dn: uid=ldif,ou=people," + base + "\nchangetype: modify\nreplace: cn\ncn: Renamed\n-\nadd: description\n" +
			"description: via ldapmodify\n-\n"
		u.run(t, ldif, false, "ldapmodify", auth...)
		got, ok := dir.Entry("uid=ldif,ou=people," + base)
		if !ok || got.Get("cn")[0] != "Renamed" || got.Get("description")[0] != "via ldapmodify" {
			t.Errorf("entry after ldapmodify: %+v", got)
		}
		out := u.run(t, ldif, true, "ldapmodify", auth...)
		if !strings.Contains(out, "Already exists (68)") {
			t.Errorf("second add: %s", out)
		}
	})
	t.Run("compare", func(t *testing.T) {
		// ldapcompare exits with the result code: 6 for compareTrue.
		out := u.run(t, "", true, "ldapcompare", append(auth, ldaptest.PersonDN(0), "uid:USER00000")...)
		if !strings.Contains(out, "TRUE") {
			t.Errorf("ldapcompare: %s", out)
		}
	})
	t.Run("StartTLS", func(t *testing.T) {
		out := u.run(t, "", false, "ldapsearch", append(auth, "-ZZ", "-b", base, "-LLL", "(uid=user00007)", "uid")...)
		if !strings.Contains(out, "uid: user00007") {
			t.Errorf("ldapsearch -ZZ: %s", out)
		}
	})
}

func TestLDAPUtilsLDAPS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil, withLDAPS, remote)
	u := newLDAPUtils(t, e)
	out := u.run(t, "", false, "ldapsearch", "-x", "-H", "ldaps://"+e.addr, "-D", "uid=zoe,ou=people,"+base,
		"-w", zoePW, "-b", base, "-LLL", "(cn=zo*)", "cn")
	if !strings.Contains(out, "dn: uid=zoe,ou=people,"+base) {
		t.Errorf("ldaps search: %s", out)
	}
	out = u.run(t, "", false, "ldapwhoami", "-x", "-H", "ldaps://"+e.addr, "-D", "zoe", "-w", zoePW)
	if !strings.Contains(out, "dn:uid=zoe") {
		t.Errorf("ldaps whoami: %s", out)
	}
	// A plain connection from a "remote" address is refused a bind (INF-ANN-5).
	plain := newEnv(t, ldapd.Config{}, nil, remote)
	pu := newLDAPUtils(t, plain)
	out = pu.run(t, "", true, "ldapwhoami", "-x", "-H", "ldap://"+plain.addr, "-D", "zoe", "-w", zoePW)
	if !strings.Contains(out, "Confidentiality required (13)") || !strings.Contains(out, "INF-ANN-5") {
		t.Errorf("plain bind from remote: %s", out)
	}
}

// countDNs counts the entries of LDIF output.
func countDNs(ldif string) int {
	n := 0
	for _, line := range strings.Split(ldif, "\n") {
		if strings.HasPrefix(line, "dn: ") {
			n++
		}
	}
	return n
}
