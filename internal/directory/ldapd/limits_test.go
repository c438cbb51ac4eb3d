// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory/ldapd"
	"github.com/preau/preau/internal/directory/ldapd/ldaptest"
)

// populationEnv serves ldaptest.Population(n) with zoe's account on person 0.
func populationEnv(t testing.TB, cfg ldapd.Config, n int) *env {
	dir := ldaptest.NewMemDirectory(ldaptest.Population(n), []ldaptest.User{
		{Login: "user00000", DN: ldaptest.PersonDN(0), Password: zoePW}})
	return newEnv(t, cfg, dir)
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	e := populationEnv(t, ldapd.Config{MaxSizeLimit: 30}, 100)
	c := e.bind(t, "user00000", zoePW)
	people := "ou=people," + base
	run := func(limit int, filter string) (int, error) {
		res, err := c.Search(ldap.NewSearchRequest(people, 1, 0, limit, 0, false, filter, []string{"uid"}, nil))
		return len(res.Entries), err
	}
	n, err := run(10, "(objectClass=person)")
	wantCode(t, err, ldap.LDAPResultSizeLimitExceeded)
	if n != 10 {
		t.Errorf("client limit 10: %d entries", n)
	}
	n, err = run(0, "(objectClass=person)")
	wantCode(t, err, ldap.LDAPResultSizeLimitExceeded)
	if n != 30 {
		t.Errorf("server cap 30: %d entries", n)
	}
	// Exactly as many entries as the limit is a success.
	if n, err = run(25, "(memberOf="+ldaptest.ClassDN(1)+")"); err != nil || n != 25 {
		t.Errorf("exact limit: %d entries, %v", n, err)
	}
}

func TestPagedSearch(t *testing.T) {
	t.Parallel()
	e := populationEnv(t, ldapd.Config{}, 2500)
	c := e.bind(t, "user00000", zoePW)
	req := ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(objectClass=inetOrgPerson)", []string{"uid"}, nil)
	res, err := c.SearchWithPaging(req, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, en := range res.Entries {
		seen[en.DN] = true
	}
	if len(res.Entries) != 2500 || len(seen) != 2500 {
		t.Fatalf("%d entries, %d distinct", len(res.Entries), len(seen))
	}
	if n := len(e.dir.Calls("Search")); n != 25 {
		t.Errorf("%d pages", n)
	}
	// Without paging, the server cap (1000) applies.
	res, err = c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(objectClass=inetOrgPerson)", []string{"uid"}, nil))
	wantCode(t, err, ldap.LDAPResultSizeLimitExceeded)
	if len(res.Entries) != 1000 {
		t.Errorf("unpaged: %d entries", len(res.Entries))
	}

	// A paged search with a client size limit stops there.
	req = ldap.NewSearchRequest(base, 2, 0, 250, 0, false, "(objectClass=inetOrgPerson)", []string{"uid"}, nil)
	res, err = c.SearchWithPaging(req, 100)
	wantCode(t, err, ldap.LDAPResultSizeLimitExceeded)
	if len(res.Entries) != 250 {
		t.Errorf("paged with size limit: %d entries", len(res.Entries))
	}

	// A bogus cookie, then a page size of 0 that abandons the search.
	pc := ldap.NewControlPaging(10)
	pc.SetCookie([]byte("bogus"))
	_, err = c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=*)", nil, []ldap.Control{pc}))
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
	pc = ldap.NewControlPaging(10)
	first, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=*)", nil, []ldap.Control{pc}))
	if err != nil || len(first.Entries) != 10 {
		t.Fatalf("first page: %v", err)
	}
	cookie := ldap.FindControl(first.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging).Cookie
	pc.SetCookie(cookie)
	// The cookie belongs to this search: another filter is refused.
	_, err = c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(cn=*)", nil, []ldap.Control{pc}))
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
	pc.PagingSize = 0
	done, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=*)", nil, []ldap.Control{pc}))
	if err != nil || len(done.Entries) != 0 {
		t.Fatalf("abandoning the paged search: %d entries, %v", len(done.Entries), err)
	}
	pc.PagingSize = 10
	_, err = c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=*)", nil, []ldap.Control{pc}))
	wantCode(t, err, ldap.LDAPResultUnwillingToPerform)
}

func TestTimeLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{MaxTimeLimit: 20 * time.Millisecond}, nil)
	e.dir.OnSearch = func(ctx context.Context, req *ldapd.SearchRequest) error {
		if req.TimeLimit != 20*time.Millisecond {
			t.Errorf("TimeLimit %v", req.TimeLimit)
		}
		<-ctx.Done()
		return ctx.Err()
	}
	c := e.bind(t, "zoe", zoePW)
	_, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 10, false, "(uid=zoe)", nil, nil))
	wantCode(t, err, ldap.LDAPResultTimeLimitExceeded)
}

func TestCriticalControls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	unknown := ldap.NewControlString("1.2.3.4.5", true, "")
	_, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=zoe)", nil, []ldap.Control{unknown}))
	wantCode(t, err, ldap.LDAPResultUnavailableCriticalExtension)
	wantCode(t, c.Del(ldap.NewDelRequest("uid=zoe,ou=people,"+base, []ldap.Control{unknown})),
		ldap.LDAPResultUnavailableCriticalExtension)
	// Paging makes no sense on a delete.
	paging := ldap.NewControlString(ldap.ControlTypePaging, true, "")
	wantCode(t, c.Del(ldap.NewDelRequest("uid=zoe,ou=people,"+base, []ldap.Control{paging})),
		ldap.LDAPResultUnavailableCriticalExtension)
	// Non-critical unknown controls and ManageDsaIT are fine.
	ctls := []ldap.Control{ldap.NewControlString("1.2.3.4.5", false, ""), ldap.NewControlManageDsaIT(true)}
	if _, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=zoe)", nil, ctls)); err != nil {
		t.Fatal(err)
	}
}

func TestSearchErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ldapd.Config{}, nil)
	c := e.bind(t, "zoe", zoePW)
	try := func(err error, code uint16, msgPart string) {
		t.Helper()
		e.dir.FailNext("Search", err)
		_, got := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid=zoe)", nil, nil))
		wantCode(t, got, code)
		if !strings.Contains(got.Error(), msgPart) {
			t.Errorf("%v lacks %q", got, msgPart)
		}
	}
	try(core.E("x", core.Unavailable, ""), ldap.LDAPResultUnavailable, "unavailable")
	try(core.E("x", core.Permission, "not your school"), ldap.LDAPResultInsufficientAccessRights, "not your school")
	try(core.E("x", core.TooMany, ""), ldap.LDAPResultBusy, "busy")
	try(errors.New("disk on fire"), ldap.LDAPResultOther, "incident")
	try(ldapd.WithCode(core.E("x", core.Invalid, "bad"), ldapd.ResultAdminLimitExceeded), ldap.LDAPResultAdminLimitExceeded, "bad")
}

func TestConcurrentOperationsOnOneConnection(t *testing.T) {
	t.Parallel()
	e := populationEnv(t, ldapd.Config{}, 200)
	c := e.bind(t, "user00000", zoePW)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid := fmt.Sprintf("user%05d", i*5)
			res, err := c.Search(ldap.NewSearchRequest(base, 2, 0, 0, 0, false, "(uid="+uid+")", []string{"uid"}, nil))
			switch {
			case err != nil:
				errs <- err
			case len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("uid") != uid:
				errs <- fmt.Errorf("search for %s got %d entries", uid, len(res.Entries))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
