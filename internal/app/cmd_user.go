// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
)

// userFlags are the flags of every `preau user` subcommand.
type userFlags struct {
	globals
	as, format, uai, profile, state, query string
	given, family, mail, login, password   string
	name                                   string
	limit                                  int
	ttl                                    time.Duration
	mustChange, service                    bool
	ldapAttrs, ldapProfiles                string
	defaultScope                           bool
}

func runUser(ctx context.Context, env Env, args []string) error {
	var f userFlags
	fs := flag.NewFlagSet("preau user", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f.register(fs)
	fs.StringVar(&f.as, "as", "", "act as this admin (their rights apply) instead of as the system")
	fs.StringVar(&f.format, "format", "table", "output: table, json or csv")
	fs.StringVar(&f.uai, "uai", "", "establishment UAI")
	fs.StringVar(&f.profile, "profile", "", "pupil, teacher, staff, head or admin")
	fs.StringVar(&f.state, "state", "", "filter by state: pending, active, disabled, to-delete")
	fs.StringVar(&f.query, "q", "", "search: start of login or name")
	fs.StringVar(&f.given, "given", "", "given name")
	fs.StringVar(&f.family, "family", "", "family name")
	fs.StringVar(&f.mail, "mail", "", "institutional mail address")
	fs.StringVar(&f.password, "password", "", "password (default: generate one and print it once)")
	fs.StringVar(&f.name, "name", "", "token name")
	fs.StringVar(&f.ldapAttrs, "ldap-attrs", "", "service account: the only attributes it reads of people over LDAP (comma-separated)")
	fs.StringVar(&f.ldapProfiles, "ldap-profiles", "", "service account: the only profiles of people it sees over LDAP (comma-separated)")
	fs.BoolVar(&f.defaultScope, "default", false, "scope: give the service account the default LDAP scope back")
	fs.IntVar(&f.limit, "limit", 1000, "list at most this many")
	fs.DurationVar(&f.ttl, "ttl", 0, "token lifetime (0: no end)")
	fs.BoolVar(&f.mustChange, "must-change", true, "the person must change the password at next login")
	fs.BoolVar(&f.service, "service", false, "a service account for an application (LDAP reads only; never on the web)")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: preau user add LOGIN --uai UAI --profile P --given G --family F [--mail M] [--password PW]\n"+
			"       preau user list [--uai UAI] [--profile P] [--state S] [--q TEXT] [--format table|json|csv]\n"+
			"       preau user show|disable|enable LOGIN\n       preau user reset-password LOGIN [--password PW]\n"+
			"       preau user reset-2fa LOGIN   (a lost phone or key: removes the authenticator app and passkeys)\n"+
			"       preau user factors LOGIN     (lists the authenticator app and passkeys, with their IDs)\n"+
			"       preau user remove-factor LOGIN ID   (removes one of them: a lost key, the others kept)\n"+
			"       preau user token LOGIN --name NAME [--ttl 720h]\n"+
			"       preau user scope LOGIN [--ldap-attrs uid,cn,mail] [--ldap-profiles pupil,teacher] [--default]\n"+
			"                                    (what a service account reads over LDAP; without flags, shows it)\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return usageErr("preau user needs a subcommand")
	}
	b, ctx, err := openCLI(ctx, env, f.globals, f.as)
	if err != nil {
		return err
	}
	defer b.Close()
	sub, rest := pos[0], pos[1:]
	switch {
	case sub == "remove-factor" && len(rest) != 2:
		return usageErr("preau user remove-factor needs a LOGIN and a factor ID (see preau user factors LOGIN)")
	case sub != "list" && sub != "remove-factor" && len(rest) != 1:
		return usageErr("preau user %s needs exactly one LOGIN", sub)
	}
	switch sub {
	case "add":
		return userAdd(ctx, b, env.Stdout, rest[0], f)
	case "list":
		return userList(ctx, b, env.Stdout, f)
	case "show":
		p, err := b.dir.Person(ctx, rest[0])
		if err != nil {
			return err
		}
		return printPeople(ctx, b, env.Stdout, f.format, []*directory.Person{p})
	case "disable", "enable":
		st := directory.Disabled
		if sub == "enable" {
			st = directory.Active
		}
		p, err := b.dir.Person(ctx, rest[0])
		if err != nil {
			return err
		}
		if _, err := b.dir.SetState(ctx, p.ID, st); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is now %s\n", p.Login, st)
		return nil
	case "reset-password":
		pw := f.password
		if pw == "" {
			pw = auth.GeneratePassword()
		}
		if err := b.auth.ResetPassword(ctx, rest[0], pw); err != nil {
			return err
		}
		when := "to be changed at next login"
		if p, err := b.dir.Person(ctx, rest[0]); err == nil && p.Service {
			when = "an application account: set it in the application's settings"
		}
		fmt.Fprintf(env.Stdout, "New password for %s (shown once; %s): %s\n", lower(rest[0]), when, pw)
		return nil
	case "reset-2fa":
		n, err := b.auth.ResetSecondFactors(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Removed %d second factor(s) of %s; they set up a new one at their next strong login.\n", n, lower(rest[0]))
		return nil
	case "factors":
		return userFactors(ctx, b, env.Stdout, rest[0])
	case "scope":
		return userScope(ctx, b, env.Stdout, rest[0], f)
	case "remove-factor":
		if err := b.auth.RemoveSecondFactor(ctx, rest[0], rest[1]); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "Removed second factor %s of %s; the others stay.\n", rest[1], lower(rest[0]))
		return nil
	case "token":
		tok, err := b.auth.CreateToken(ctx, rest[0], f.name, f.ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "API token for %s (shown once): %s\n", lower(rest[0]), tok)
		return nil
	}
	return usageErr("unknown subcommand preau user %s", sub)
}

func userAdd(ctx context.Context, b *base, out io.Writer, login string, f userFlags) error {
	p := &directory.Person{Login: login, GivenName: f.given, FamilyName: f.family, Profile: core.Profile(f.profile),
		Mail: f.mail, MustChangePassword: f.mustChange && !f.service, Service: f.service}
	if f.uai != "" {
		e, err := b.dir.Establishment(ctx, f.uai)
		if err != nil {
			return err
		}
		p.Establishments = []string{e.ID}
	}
	pw := f.password
	if pw == "" {
		pw = auth.GenerateFor(p.Profile)
	}
	if err := b.dir.CreatePerson(ctx, p, b.auth.Hash(pw)); err != nil {
		return err
	}
	fmt.Fprintf(out, "Created %s (%s). Initial password (shown once): %s\n", p.Login, p.Profile, pw)
	if f.ldapAttrs != "" || f.ldapProfiles != "" {
		return userScope(ctx, b, out, p.Login, f)
	}
	return nil
}

func userList(ctx context.Context, b *base, out io.Writer, f userFlags) error {
	filter := directory.PersonFilter{Profile: f.profile, State: f.state, Query: f.query, Sort: "login", Limit: f.limit}
	if f.uai != "" {
		e, err := b.dir.Establishment(ctx, f.uai)
		if err != nil {
			return err
		}
		filter.Establishments = []string{e.ID}
	}
	var people []*directory.Person
	var total int
	for {
		filter.Offset = len(people)
		filter.Limit = min(f.limit-len(people), 1000)
		page, n, err := b.dir.People(ctx, filter)
		if err != nil {
			return err
		}
		people, total = append(people, page...), n
		if len(page) == 0 || len(people) >= min(total, f.limit) {
			break
		}
	}
	if err := printPeople(ctx, b, out, f.format, people); err != nil {
		return err
	}
	if f.format == "table" && total > len(people) {
		fmt.Fprintf(out, "(%d of %d shown; use --limit)\n", len(people), total)
	}
	return nil
}

// personRow is the exported view of a person (CLI and API).
type personRow struct {
	ID             string            `json:"id"`
	Login          string            `json:"login"`
	GivenName      string            `json:"given_name"`
	FamilyName     string            `json:"family_name"`
	Profile        string            `json:"profile"`
	State          string            `json:"state"`
	Mail           string            `json:"mail,omitempty"`
	MustChange     bool              `json:"must_change_password"`
	Establishments []string          `json:"establishments"` // UAIs
	ExternalIDs    map[string]string `json:"external_ids,omitempty"`
}

func printPeople(ctx context.Context, b *base, out io.Writer, format string, people []*directory.Person) error {
	uais := map[string]string{}
	rows := make([]personRow, len(people))
	for i, p := range people {
		var ests []string
		for _, id := range p.Establishments {
			if _, ok := uais[id]; !ok {
				if e, err := b.db.FindEstablishment(ctx, id); err == nil {
					uais[id] = e.UAI
				}
			}
			ests = append(ests, uais[id])
		}
		rows[i] = personRow{ID: p.ID, Login: p.Login, GivenName: p.GivenName, FamilyName: p.FamilyName,
			Profile: string(p.Profile), State: string(p.State), Mail: p.Mail, MustChange: p.MustChangePassword,
			Establishments: ests, ExternalIDs: p.ExternalIDs}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	case "csv":
		w := csv.NewWriter(out)
		_ = w.Write([]string{"id", "login", "given_name", "family_name", "profile", "state", "mail", "must_change", "establishments"})
		for _, r := range rows {
			_ = w.Write([]string{r.ID, r.Login, r.GivenName, r.FamilyName, r.Profile, r.State, r.Mail,
				yesNo(r.MustChange), strings.Join(r.Establishments, " ")})
		}
		w.Flush()
		return w.Error()
	case "table", "":
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LOGIN\tNAME\tPROFILE\tSTATE\tESTABLISHMENTS")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\n", r.Login, r.GivenName, r.FamilyName, r.Profile, r.State,
				strings.Join(r.Establishments, " "))
		}
		return tw.Flush()
	}
	return usageErr("--format must be table, json or csv")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// userFactors prints the second factors of login, one per line: ID, kind,
// name, creation and last use.
func userFactors(ctx context.Context, b *base, out io.Writer, login string) error {
	p, err := b.dir.Person(ctx, login)
	if err != nil {
		return err
	}
	fs, err := b.auth.SecondFactors(ctx, p.ID)
	if err != nil {
		return err
	}
	if len(fs) == 0 {
		fmt.Fprintf(out, "%s has no second factor.\n", p.Login)
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tCREATED\tLAST USED")
	for _, f := range fs {
		used := "-" // an authenticator app's last use is not kept
		if f.Kind == "passkey" {
			used = "never"
		}
		if !f.LastUsed.IsZero() {
			used = f.LastUsed.UTC().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.ID, f.Kind, f.Name, f.CreatedAt.UTC().Format(time.DateTime), used)
	}
	return tw.Flush()
}

// userScope shows or sets the LDAP read scope of a service account.
func userScope(ctx context.Context, b *base, out io.Writer, login string, f userFlags) error {
	p, err := b.dir.Person(ctx, login)
	if err != nil {
		return err
	}
	if f.ldapAttrs != "" || f.ldapProfiles != "" || f.defaultScope {
		var sc directory.ServiceScope
		if !f.defaultScope {
			if sc, err = directory.ParseServiceScope(f.ldapAttrs, f.ldapProfiles, dirldap.CanonicalAttribute); err != nil {
				return err
			}
		}
		if err := b.dir.SetServiceScope(ctx, p.Login, sc); err != nil {
			return err
		}
	}
	scopes, err := b.db.ServiceScopes(ctx)
	if err != nil {
		return err
	}
	sc := scopes[p.ID]
	attrs, profiles := "default (identity, POSIX and groups; no national join keys)", "all"
	if len(sc.Attrs) > 0 {
		attrs = "objectclass," + strings.Join(sc.Attrs, ",")
	}
	if len(sc.Profiles) > 0 {
		ps := make([]string, len(sc.Profiles))
		for i, pr := range sc.Profiles {
			ps[i] = string(pr)
		}
		profiles = strings.Join(ps, ",")
	}
	fmt.Fprintf(out, "LDAP scope of %s: attributes %s; profiles %s\n", p.Login, attrs, profiles)
	return nil
}
