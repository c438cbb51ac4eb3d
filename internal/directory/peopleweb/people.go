// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package peopleweb

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
)

// Page sizes the list offers.
var pageSizes = []int{50, 100, 200}

// listQuery is the list's state, carried in the URL.
type listQuery struct {
	Q, Profile, Class, State, Sort string
	Page, Per                      int
}

func parseListQuery(v url.Values) listQuery {
	q := listQuery{Q: strings.TrimSpace(v.Get("q")), Profile: v.Get("profile"), Class: v.Get("class"),
		State: v.Get("state"), Sort: v.Get("sort"), Per: 50, Page: 1}
	if len([]rune(q.Q)) > 64 {
		q.Q = string([]rune(q.Q)[:64])
	}
	if !core.Profile(q.Profile).Valid() {
		q.Profile = ""
	}
	if !directory.State(q.State).Valid() {
		q.State = ""
	}
	if q.Sort != "login" && q.Sort != "created" {
		q.Sort = "name"
	}
	if !core.ValidID(q.Class) {
		q.Class = ""
	}
	if n, err := strconv.Atoi(v.Get("per")); err == nil {
		for _, s := range pageSizes {
			if n == s {
				q.Per = n
			}
		}
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 0 && n <= 100000 {
		q.Page = n
	}
	return q
}

// URL returns the list's URL for s with page n (other fields as in q).
func (q listQuery) URL(s *scope, page int) string {
	v := url.Values{"est": {s.Param()}}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Q)
	set("profile", q.Profile)
	set("class", q.Class)
	set("state", q.State)
	if q.Sort != "name" {
		v.Set("sort", q.Sort)
	}
	if q.Per != 50 {
		v.Set("per", strconv.Itoa(q.Per))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return PeoplePath + "?" + v.Encode()
}

type row struct {
	*directory.Person
	Classes string
	Est     string // establishment names, for the cross-establishment list
}

type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool // an ellipsis before this link
}

type listView struct {
	Scope    *scope
	Query    listQuery
	Rows     []row
	Total    int
	Pages    int
	From, To int
	Links    []pageLink
	Prev     string
	Next     string
	Classes  []*directory.Group // of the current school year, for the filter and "move to class"
	Profiles []core.Profile
	States   []directory.State
	Sizes    []int
	Sorts    []string
}

// list is the people list: search, filters, sorting and paging, with the
// selection checkboxes of the bulk actions.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, s *scope) error {
	ctx := r.Context()
	q := parseListQuery(r.URL.Query())
	f := directory.PersonFilter{Profile: q.Profile, State: q.State, Query: q.Q, Group: q.Class, Sort: q.Sort,
		Limit: q.Per, Offset: (q.Page - 1) * q.Per}
	if s.Est != "" {
		f.Establishments = []string{s.Est}
	}
	people, total, err := h.Directory.People(ctx, f)
	if err != nil {
		return err
	}
	v := listView{Scope: s, Query: q, Total: total, Profiles: core.Profiles, Sizes: pageSizes, Sorts: []string{"name", "login", "created"},
		States: []directory.State{directory.Active, directory.Pending, directory.Disabled, directory.ToDelete}}
	if s.Est != "" {
		if v.Classes, err = h.Directory.Groups(ctx, directory.GroupFilter{Establishment: s.Est, Kind: string(directory.Class),
			SchoolYear: core.SchoolYear(h.now()), NoCounts: true}); err != nil {
			return err
		}
	}
	ids := make([]string, len(people))
	for i, p := range people {
		ids[i] = p.ID
	}
	classes, err := h.Reader.PeopleClasses(ctx, ids, core.SchoolYear(h.now()))
	if err != nil {
		return err
	}
	for _, p := range people {
		rw := row{Person: p, Classes: classes[p.ID]}
		if s.Est == "" {
			names := make([]string, len(p.Establishments))
			for i, e := range p.Establishments {
				names[i] = s.Name(e)
			}
			rw.Est = strings.Join(names, ", ")
		}
		v.Rows = append(v.Rows, rw)
	}
	v.Pages = max(1, (total+q.Per-1)/q.Per)
	if total > 0 {
		v.From, v.To = f.Offset+1, f.Offset+len(people)
	}
	v.Links = pageLinks(q, s, v.Pages)
	if q.Page > 1 {
		v.Prev = q.URL(s, q.Page-1)
	}
	if q.Page < v.Pages {
		v.Next = q.URL(s, q.Page+1)
	}
	h.Renderer.Page(w, r, http.StatusOK, "people/list", v)
	return nil
}

// pageLinks returns the first, last and nearby pages, with gaps marked.
func pageLinks(q listQuery, s *scope, pages int) []pageLink {
	var out []pageLink
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < q.Page-2 || n > q.Page+2) {
			continue
		}
		out = append(out, pageLink{N: n, URL: q.URL(s, n), Current: n == q.Page, Gap: last != 0 && n != last+1})
		last = n
	}
	return out
}
