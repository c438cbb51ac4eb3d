// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package peopleweb is the console's people, classes and groups pages and
// their password sheets: search, filters, sorting and paging over the people
// of an establishment (or, for operators, of every establishment), bulk
// actions through the directory service, a page per person, the groups of an
// establishment with their members and owners, and printable sheets of new
// passwords (CARINE INF-ANN-4, INF-AUT-9).
//
// Who may use it for an establishment: its administrators (technical admin,
// head, operators) and whoever holds people.manage there, from the network
// zone the grant demands (directory.MayManage). The pages check it
// themselves; they are not behind the admin-only wrapper.
package peopleweb

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"slices"
	"time"

	"github.com/preau/preau/internal/auth"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/journal"
	"github.com/preau/preau/internal/web"
)

//go:embed assets
var assets embed.FS

// Assets returns the templates and catalogs of the pages.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets")
	return sub
}

// Directory is what the pages ask of the directory service; every change
// goes through it, so it is checked and journaled.
type Directory interface {
	EstablishmentList(ctx context.Context) ([]*directory.Establishment, error)
	People(ctx context.Context, f directory.PersonFilter) ([]*directory.Person, int, error)
	Person(ctx context.Context, idOrLogin string) (*directory.Person, error)
	UpdatePerson(ctx context.Context, id string, upd directory.PersonUpdate) (*directory.Person, error)
	Group(ctx context.Context, id string) (*directory.Group, error)
	Groups(ctx context.Context, f directory.GroupFilter) ([]*directory.Group, error)
	CreateGroup(ctx context.Context, g *directory.Group) error
	UpdateGroup(ctx context.Context, id string, upd directory.GroupUpdate) (*directory.Group, error)
	DeleteGroup(ctx context.Context, id string) error
	AddMember(ctx context.Context, m directory.Membership) error
	RemoveMember(ctx context.Context, m directory.Membership) error
	MoveToClass(ctx context.Context, personID, classID string) error
}

// Passwords resets passwords for sheets (auth.Service).
type Passwords interface {
	ResetMany(ctx context.Context, people []*directory.Person) ([]auth.Reset, error)
}

// Factors lists and removes a person's second factors (auth.Service), for
// someone who lost one key; the service checks who may.
type Factors interface {
	SecondFactors(ctx context.Context, personID string) ([]auth.SecondFactor, error)
	RemoveSecondFactor(ctx context.Context, login, factorID string) error
}

// Reader reads what the person page shows besides the person (the store).
type Reader interface {
	PeopleClasses(ctx context.Context, ids []string, schoolYear int) (map[string]string, error)
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)
	FindGrants(ctx context.Context, personID string) ([]*directory.Grant, error)
	FindSessions(ctx context.Context, personID string) ([]*auth.Session, error)
	FindJournal(ctx context.Context, f journal.Filter) ([]*journal.Entry, error)
}

// Deps are the collaborators of the pages. All are required but Clock.
type Deps struct {
	Directory Directory
	Passwords Passwords
	Factors   Factors
	Reader    Reader
	Renderer  *web.Renderer
	Clock     core.Clock
	// PublicURL is the portal address printed on sheets; "" uses the
	// request's host.
	PublicURL string
}

// Handler serves the pages.
type Handler struct {
	Deps
}

// New returns the pages.
func New(deps Deps) *Handler {
	if deps.Clock == nil {
		deps.Clock = core.SystemClock{}
	}
	return &Handler{Deps: deps}
}

// Paths of the pages.
const (
	PeoplePath = "/admin/people"
	GroupsPath = "/admin/groups"
)

// Routes registers the pages on mux. login wraps each one: it must demand a
// logged-in principal (and the console's strong authentication where the
// deployment requires it); the establishment rule is checked here.
func (h *Handler) Routes(mux *http.ServeMux, login func(http.Handler) http.Handler) {
	handle := func(pattern string, fn func(http.ResponseWriter, *http.Request, *scope) error) {
		mux.Handle(pattern, login(h.guard(fn)))
	}
	handle("GET "+PeoplePath, h.list)
	handle("POST "+PeoplePath+"/bulk", h.bulkConfirm)
	handle("POST "+PeoplePath+"/bulk/apply", h.bulkApply)
	handle("GET "+PeoplePath+"/{id}", h.personPage)
	handle("POST "+PeoplePath+"/{id}", h.personAction)
	handle("GET "+GroupsPath, h.groupsPage)
	handle("POST "+GroupsPath, h.createGroup)
	handle("GET "+GroupsPath+"/{id}", h.groupPage)
	handle("POST "+GroupsPath+"/{id}", h.groupAction)
}

// scope is the establishment a request works on, and the ones the principal
// may choose from.
type scope struct {
	Est     string // establishment ID; "" for every establishment (operators)
	EstName string
	Choices []*directory.Establishment
	All     bool // the principal may list every establishment at once
}

// Param returns the est query parameter value of s.
func (s *scope) Param() string {
	if s.Est == "" {
		return "*"
	}
	return s.Est
}

// Name returns the name of an establishment of the choices, or its ID.
func (s *scope) Name(id string) string {
	for _, e := range s.Choices {
		if e.ID == id {
			return e.Name
		}
	}
	return id
}

// guard resolves the establishment of the request (the "est" parameter, or
// the first the principal may manage) and refuses a principal who may not
// manage it, explaining a refusal due to the network zone.
func (h *Handler) guard(fn func(http.ResponseWriter, *http.Request, *scope) error) http.Handler {
	return web.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		p := core.PrincipalFromContext(ctx)
		ests, err := h.Directory.EstablishmentList(ctx)
		if err != nil {
			return err
		}
		s := &scope{All: p.Operator()}
		zoneRefusedIn := ""
		for _, e := range ests {
			if directory.MayManage(p, e.ID) {
				s.Choices = append(s.Choices, e)
			} else if z := p.ZoneRefusal(core.RightPeopleManage, e.ID); z != "" && zoneRefusedIn == "" {
				zoneRefusedIn = e.ID
			}
		}
		want := r.FormValue("est")
		switch {
		case want == "*" && s.All:
		case want != "":
			i := slices.IndexFunc(s.Choices, func(e *directory.Establishment) bool { return e.ID == want || e.UAI == want })
			if i < 0 {
				if z := p.ZoneRefusal(core.RightPeopleManage, want); z != "" {
					return h.zoneRefusal(w, r, want)
				}
				return core.E("peopleweb", core.Permission, "people.refused")
			}
			s.Est, s.EstName = s.Choices[i].ID, s.Choices[i].Name
		case len(s.Choices) > 0:
			s.Est, s.EstName = s.Choices[0].ID, s.Choices[0].Name
		case zoneRefusedIn != "":
			return h.zoneRefusal(w, r, zoneRefusedIn)
		default:
			return core.E("peopleweb", core.Permission, "people.refused")
		}
		return fn(w, r, s)
	})
}

// zoneRefusal shows why a right held by grant does not apply from here:
// the zone it needs and where the request comes from.
func (h *Handler) zoneRefusal(w http.ResponseWriter, r *http.Request, est string) error {
	return web.RightRefusal(r.Context(), core.RightPeopleManage, est)
}

// manages checks that the principal may manage establishment est (the
// object a request names may belong to another establishment than the
// scope's).
func manages(ctx context.Context, ests []string) bool {
	p := core.PrincipalFromContext(ctx)
	return slices.ContainsFunc(ests, func(e string) bool { return directory.MayManage(p, e) })
}

func (h *Handler) now() time.Time { return h.Clock.Now() }

// portal returns the address printed on sheets.
func (h *Handler) portal(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	return "https://" + r.Host + "/"
}
