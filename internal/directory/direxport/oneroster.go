// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package direxport

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/directory/dirldap"
)

// oneRosterRole maps profiles to OneRoster 1.1 roles.
var oneRosterRole = map[core.Profile]string{core.ProfilePupil: "student", core.ProfileTeacher: "teacher",
	core.ProfileStaff: "aide", core.ProfileHead: "administrator", core.ProfileAdmin: "administrator"}

// WriteOneRoster writes a OneRoster 1.1 bulk CSV set into dir (created if
// needed): manifest, academicSessions, orgs, courses, classes, users and
// enrollments, for the establishments in ests (all when nil). Only active
// people; no phone, SMS, password or birth date column is ever filled.
func WriteOneRoster(dir string, d *dirldap.Data, ests []string, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	stamp := now.UTC().Format("2006-01-02T15:04:05.000Z")
	year := d.SchoolYear
	term := fmt.Sprintf("year-%d", year)
	in := func(id string) bool { return ests == nil || slices.Contains(ests, id) }
	files := map[string][][]string{}
	files["academicSessions.csv"] = [][]string{
		{"sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"},
		{term, "active", stamp, fmt.Sprintf("%d-%d", year, year+1), "schoolYear", fmt.Sprintf("%d-09-01", year),
			fmt.Sprintf("%d-08-31", year+1), "", fmt.Sprint(year + 1)}}
	orgs := [][]string{{"sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"}}
	for _, e := range d.Establishments {
		if in(e.ID) {
			orgs = append(orgs, []string{e.ID, "active", stamp, e.Name, "school", e.UAI, ""})
		}
	}
	files["orgs.csv"] = orgs
	courses := [][]string{{"sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"}}
	classes := [][]string{{"sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods"}}
	groups := map[string]*directory.Group{}
	for _, g := range d.Groups {
		if !in(g.Establishment) || (g.Kind != directory.Class && g.Kind != directory.Teaching) || g.SchoolYear != year {
			continue
		}
		groups[g.ID] = g
		typ := "homeroom"
		if g.Kind == directory.Teaching {
			typ = "scheduled"
		}
		courses = append(courses, []string{"course-" + g.ID, "active", stamp, term, g.Name, g.Code, "", g.Establishment, "", ""})
		classes = append(classes, []string{g.ID, "active", stamp, g.Name, "", "course-" + g.ID, g.Code, typ, "", g.Establishment, term, "", "", ""})
	}
	files["courses.csv"], files["classes.csv"] = courses, classes
	users := [][]string{{"sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades", "password"}}
	active := map[string]*directory.Person{}
	for _, p := range d.People {
		if p.State != directory.Active || p.Service || !slices.ContainsFunc(p.Establishments, in) {
			continue
		}
		active[p.ID] = p
		var orgIDs []string
		for _, e := range p.Establishments {
			if in(e) {
				orgIDs = append(orgIDs, e)
			}
		}
		users = append(users, []string{p.ID, "active", stamp, "true", strings.Join(orgIDs, ","), oneRosterRole[p.Profile], p.Login, "",
			p.GivenName, p.FamilyName, "", p.Login, p.Mail, "", "", "", "", ""})
	}
	files["users.csv"] = users
	enr := [][]string{{"sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"}}
	for _, m := range d.Memberships {
		g, p := groups[m.GroupID], active[m.PersonID]
		if g == nil || p == nil {
			continue
		}
		role, primary := "student", "false"
		if m.Role == directory.RoleOwner {
			role = "teacher"
		}
		enr = append(enr, []string{m.GroupID + "-" + m.PersonID + "-" + m.Role, "active", stamp, g.ID, g.Establishment, p.ID, role, primary, "", ""})
	}
	files["enrollments.csv"] = enr
	manifest := [][]string{{"propertyName", "value"}, {"manifest.version", "1.0"}, {"oneroster.version", "1.1"}}
	for _, f := range []string{"academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
		"demographics", "enrollments", "lineItems", "orgs", "resources", "results", "users"} {
		mode := "absent"
		if files[f+".csv"] != nil {
			mode = "bulk"
		}
		manifest = append(manifest, []string{"file." + f, mode})
	}
	manifest = append(manifest, []string{"source.systemName", "Préau"}, []string{"source.systemCode", "preau"})
	files["manifest.csv"] = manifest
	for name, rows := range files {
		if err := writeCSV(filepath.Join(dir, name), rows); err != nil {
			return err
		}
	}
	return nil
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
