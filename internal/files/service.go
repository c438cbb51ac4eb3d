// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/breakglass"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/directory"
	"github.com/preau/preau/internal/files/bandwidth"
)

// People is what files reads of the directory.
type People interface {
	FindPerson(ctx context.Context, id string) (*directory.Person, error)
	FindPersonByLogin(ctx context.Context, login string) (*directory.Person, error)
	FindMemberships(ctx context.Context, personID string) ([]directory.PersonGroup, error)
	FindEstablishment(ctx context.Context, idOrUAI string) (*directory.Establishment, error)
}

// Authorizer is break-glass (internal/breakglass.Service).
type Authorizer interface {
	Authorize(ctx context.Context, target string, scope breakglass.Scope, object string) (*breakglass.Request, error)
}

// Settings holds the defaults an establishment's administrators change
// (internal/store: the settings table, journaled).
type Settings interface {
	Setting(ctx context.Context, scope, name string) (string, error)
	PutSetting(ctx context.Context, scope, name, value string) error
}

// Scanner checks an upload for malware (a clamd client). Scan returns
// ErrInfected wrapped with the signature name when it finds one.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) error
}

// Config is the service's policy.
type Config struct {
	// Quotas by profile for personal spaces, in bytes; a missing profile
	// takes DefaultQuota. 0 means unlimited.
	Quotas             map[core.Profile]int64
	DefaultQuota       int64
	GroupQuota         int64
	EstablishmentQuota int64
	// Versions kept per file (0: DefaultVersions; -1: none) and their
	// maximum age (0: DefaultVersionAge).
	Versions   int
	VersionAge time.Duration
	// TrashAge is how long trashed items stay before the purge (0: DefaultTrashAge).
	TrashAge time.Duration
	// PrivateWords are marker words the establishment adds to PERSONNEL and PRIVÉ.
	PrivateWords []string
	// InlineMax is the largest content kept in the database instead of
	// the blob store (0: InlineMax; negative: every content goes to the
	// blob store).
	InlineMax int64
}

// Policy defaults (documented in docs/files.md).
const (
	GiB                  = int64(1) << 30
	DefaultVersions      = 10
	DefaultVersionAge    = 30 * 24 * time.Hour
	DefaultTrashAge      = 30 * 24 * time.Hour
	DefaultPupilQuota    = 2 * GiB
	DefaultAdultQuota    = 10 * GiB
	DefaultGroupQuota    = 5 * GiB
	DefaultEstablishment = 20 * GiB
)

// DefaultConfig returns the default policy.
func DefaultConfig() Config {
	return Config{Quotas: map[core.Profile]int64{core.ProfilePupil: DefaultPupilQuota},
		DefaultQuota: DefaultAdultQuota, GroupQuota: DefaultGroupQuota, EstablishmentQuota: DefaultEstablishment,
		Versions: DefaultVersions, VersionAge: DefaultVersionAge, TrashAge: DefaultTrashAge}
}

// Deps are what New needs.
type Deps struct {
	Store    Store
	Blobs    blob.Store
	People   People
	Glass    Authorizer // nil: no break-glass access
	Scanner  Scanner    // nil: no antivirus
	Settings Settings   // nil: the Config defaults only
	Mail     Mailer     // nil: quota warnings on the portal only
	Clock    core.Clock
	Sleep    bandwidth.Sleep // nil: real waits (tests pace transfers on a fake clock)
	Log      *slog.Logger
	Config   Config
}

// Mailer mails a notice already written on the portal, when the person has
// a mail address and a relay is configured (it decides, and journals the
// sending); it must not block for long.
type Mailer interface {
	MailNotice(ctx context.Context, n Notice)
}

// Service is the storage service.
type Service struct {
	st    Store
	blobs blob.Store
	dir   People
	glass Authorizer
	av    Scanner
	set   Settings
	mail  Mailer
	clock core.Clock
	log   *slog.Logger
	cfg   Config

	shaper *bandwidth.Shaper // bandwidth limits of transfers (UTI-ESF-5)
}

// New returns the service.
func New(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = core.SystemClock{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	c := d.Config
	def := DefaultConfig()
	if c.Quotas == nil {
		c.Quotas = def.Quotas
	}
	if c.Versions == 0 {
		c.Versions = def.Versions
	}
	if c.VersionAge == 0 {
		c.VersionAge = def.VersionAge
	}
	if c.TrashAge == 0 {
		c.TrashAge = def.TrashAge
	}
	if c.InlineMax == 0 {
		c.InlineMax = InlineMax
	}
	s := &Service{st: d.Store, blobs: d.Blobs, dir: d.People, glass: d.Glass, av: d.Scanner, set: d.Settings, mail: d.Mail, clock: d.Clock,
		log: d.Log, cfg: c}
	s.shaper = bandwidth.NewShaper(s.loadBandwidth, d.Clock, d.Sleep, nil)
	return s
}

// Config returns the policy in force.
func (s *Service) Config() Config { return s.cfg }

// keepVersions is the version count to pass to the store.
func (s *Service) keepVersions() int {
	if s.cfg.Versions < 0 {
		return 0
	}
	return s.cfg.Versions
}

// limit returns the effective quota of a space.
func (s *Service) limit(ctx context.Context, sp *Space) int64 {
	if sp.Quota != 0 {
		return sp.Quota
	}
	m := memoOf(ctx)
	if m == nil {
		return s.defaultLimit(ctx, sp)
	}
	m.mu.Lock()
	l, ok := m.limits[sp.ID]
	m.mu.Unlock()
	if !ok {
		l = s.defaultLimit(ctx, sp)
		m.mu.Lock()
		if m.limits == nil {
			m.limits = map[string]int64{}
		}
		m.limits[sp.ID] = l
		m.mu.Unlock()
	}
	return l
}

// defaultLimit is the quota of a space without an override of its own.
func (s *Service) defaultLimit(ctx context.Context, sp *Space) int64 {
	switch sp.Kind {
	case GroupSpace:
		return s.defaultQuota(ctx, sp.Establishment, "group", s.cfg.GroupQuota)
	case Establishment:
		return s.defaultQuota(ctx, sp.Establishment, "establishment", s.cfg.EstablishmentQuota)
	}
	// The caller's own space: the profile is the principal's (it comes from
	// the login, checked against the store's credential stamp on every
	// WebDAV request), which saves reading the person on each upload.
	prof := core.Profile("")
	if pr := core.PrincipalFromContext(ctx); pr.PersonID != "" && pr.PersonID == sp.Owner && pr.Profile != "" {
		prof = pr.Profile
	} else if p, err := s.dir.FindPerson(ctx, sp.Owner); err == nil {
		prof = p.Profile
	} else {
		return s.cfg.DefaultQuota
	}
	def := s.cfg.DefaultQuota
	if q, ok := s.cfg.Quotas[prof]; ok {
		def = q
	}
	return s.defaultQuota(ctx, sp.Establishment, string(prof), def)
}

// isPrivate reports whether a name is a private marker.
func (s *Service) isPrivate(name string) bool { return core.IsPrivate(name, s.cfg.PrivateWords...) }

// target is a resolved virtual path.
type target struct {
	vpath   string
	space   *Space  // nil for a virtual folder
	chain   []*Node // from the space root to the node; empty at the space root
	base    int     // chain[:base] lies above what the caller sees (a share's parents)
	level   Level
	private bool   // some component from the space root is private
	owner   string // who owns the private part (when private)
	glass   bool   // reached through break-glass: read-only
	virtual string // "/", "/groups", "/shared" when virtual
	// With missingOK, what resolve found under the name it hands back
	// (looked: it did look; existing: nil when absent), so that Put does
	// not look it up again.
	looked   bool
	existing *Node
}

func (t *target) node() *Node {
	if len(t.chain) == 0 {
		return nil
	}
	return t.chain[len(t.chain)-1]
}

// parentID is the node ID under which children of t live.
func (t *target) parentID() string {
	if n := t.node(); n != nil {
		return n.ID
	}
	return ""
}

// spacePath is the path of t inside its space.
func (t *target) spacePath() string {
	var b strings.Builder
	for _, n := range t.chain {
		b.WriteString("/")
		b.WriteString(n.Name)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// caller is the principal with the groups files needs.
type caller struct {
	p      core.Principal
	groups []directory.PersonGroup
}

func (c *caller) groupIDs() []string {
	out := make([]string, 0, len(c.groups))
	for _, g := range c.groups {
		out = append(out, g.Group.ID)
	}
	return out
}

func (s *Service) caller(ctx context.Context) (*caller, error) {
	p := core.PrincipalFromContext(ctx)
	if p.PersonID == "" {
		return nil, core.E("files", core.Unauthenticated, "log in to reach your files")
	}
	m := memoOf(ctx)
	if m != nil {
		m.mu.Lock()
		c := m.caller
		m.mu.Unlock()
		if c != nil && c.p.PersonID == p.PersonID {
			return c, nil
		}
	}
	gs, err := s.dir.FindMemberships(ctx, p.PersonID)
	if err != nil {
		return nil, err
	}
	c := &caller{p: p, groups: gs}
	if m != nil {
		m.mu.Lock()
		m.caller = c
		m.mu.Unlock()
	}
	return c, nil
}

// GroupFolderName is the folder a group space appears as under /groups:
// the group code (a class's folder name is its class code), then its name
// when that says more.
func GroupFolderName(g *directory.Group) string {
	n := strings.ReplaceAll(g.Code, "/", "-")
	if g.Name != "" && g.Name != g.Code {
		n += " - " + strings.ReplaceAll(g.Name, "/", "-")
	}
	return n
}

// groupLevel is what a role in a group gives in its space: owners (the
// teachers who run it) manage, adult members write, pupils read.
func groupLevel(role string, p core.Principal) Level {
	switch {
	case role == directory.RoleOwner:
		return Manage
	case p.Profile.Adult():
		return Write
	}
	return Read
}

// homeSpace returns the personal space of a person.
func (s *Service) homeSpace(ctx context.Context, personID, login, est string) (*Space, error) {
	m := memoOf(ctx)
	if m != nil && personID == core.PrincipalFromContext(ctx).PersonID {
		m.mu.Lock()
		home := m.home
		m.mu.Unlock()
		if home != nil {
			sp := *home
			return &sp, nil
		}
		sp, err := s.findHomeSpace(ctx, personID, login, est)
		if err == nil {
			cp := *sp
			m.mu.Lock()
			m.home = &cp
			m.mu.Unlock()
		}
		return sp, err
	}
	return s.findHomeSpace(ctx, personID, login, est)
}

func (s *Service) findHomeSpace(ctx context.Context, personID, login, est string) (*Space, error) {
	if est == "" {
		if sp, err := s.st.FindSpaceByOwner(ctx, Personal, personID); err == nil {
			return sp, nil
		}
		return nil, core.E("files", core.Permission, "a personal space belongs to an establishment: this account has none")
	}
	return s.st.EnsureSpace(ctx, &Space{ID: core.NewID(), Establishment: est, Kind: Personal, Owner: personID,
		Name: login, CreatedAt: s.clock.Now()})
}

func (s *Service) groupSpace(ctx context.Context, g *directory.Group) (*Space, error) {
	return s.st.EnsureSpace(ctx, &Space{ID: core.NewID(), Establishment: g.Establishment, Kind: GroupSpace,
		Owner: g.ID, Name: g.Code, CreatedAt: s.clock.Now()})
}

func (s *Service) establishmentSpace(ctx context.Context, est string) (*Space, string, error) {
	e, err := s.dir.FindEstablishment(ctx, est)
	if err != nil {
		return nil, "", err
	}
	sp, err := s.st.EnsureSpace(ctx, &Space{ID: core.NewID(), Establishment: est, Kind: Establishment, Owner: est,
		Name: e.UAI, CreatedAt: s.clock.Now()})
	return sp, "Documents - " + strings.ReplaceAll(e.Name, "/", "-"), err
}

func notFound(vpath string) error {
	return core.E("files", core.NotFound, "no such file or folder: %s", vpath)
}

// sharedRoot is one folder under /shared.
type sharedRoot struct {
	name  string
	space *Space
	node  *Node // nil: the whole space
	level Level
}

// sharedRoots lists what /shared shows the caller.
func (s *Service) sharedRoots(ctx context.Context, c *caller) ([]sharedRoot, error) {
	var out []sharedRoot
	for _, est := range c.p.Establishments {
		sp, name, err := s.establishmentSpace(ctx, est)
		if err != nil {
			return nil, err
		}
		lvl := Read
		if c.p.Profile == core.ProfileHead || c.p.Profile == core.ProfileStaff || c.p.Profile == core.ProfileAdmin {
			lvl = Manage
		}
		out = append(out, sharedRoot{name: name, space: sp, level: lvl})
	}
	shares, err := s.st.FindShares(ctx, c.p.PersonID, c.groupIDs())
	if err != nil {
		return nil, err
	}
	best := map[string]int{}
	for _, sh := range shares {
		if sh.Space.Kind == Personal && sh.Space.Owner == c.p.PersonID {
			continue // one's own folder
		}
		if chain, err := s.ancestry(ctx, sh.Node); err != nil || slices.ContainsFunc(chain, func(n *Node) bool {
			return s.isPrivate(n.Name)
		}) {
			continue // a folder made private after it was shared is no longer shared
		}
		if i, ok := best[sh.Node.ID]; ok {
			out[i].level = max(out[i].level, sh.ACL.Level)
			continue
		}
		name := sh.Node.Name + " (" + sh.Space.Name + ")"
		best[sh.Node.ID] = len(out)
		out = append(out, sharedRoot{name: name, space: sh.Space, node: sh.Node, level: sh.ACL.Level})
	}
	// Names must be unique in a listing.
	seen := map[string]int{}
	for i := range out {
		if n := seen[out[i].name]; n > 0 {
			out[i].name += " " + strings.Repeat("'", n)
		}
		seen[out[i].name]++
	}
	return out, nil
}

// resolve finds what a virtual path names. With missingOK, a missing last
// component is allowed: the target is then its parent and the name is
// returned.
func (s *Service) resolve(ctx context.Context, c *caller, vpath string, missingOK bool) (*target, string, error) {
	clean, err := CleanPath(vpath)
	if err != nil {
		return nil, "", err
	}
	comps := split(clean)
	t := &target{vpath: clean}
	if len(comps) == 0 {
		t.virtual, t.level = "/", Read
		return t, "", nil
	}
	var rest []string
	switch comps[0] {
	case "home":
		sp, err := s.homeSpace(ctx, c.p.PersonID, c.p.Login, mainEst(c.p))
		if err != nil {
			return nil, "", err
		}
		t.space, t.level, rest = sp, Manage, comps[1:]
	case "groups":
		if len(comps) == 1 {
			t.virtual, t.level = "/groups", Read
			return t, "", nil
		}
		for _, g := range c.groups {
			if GroupFolderName(g.Group) == comps[1] {
				sp, err := s.groupSpace(ctx, g.Group)
				if err != nil {
					return nil, "", err
				}
				t.space, rest = sp, comps[2:]
				t.level = max(t.level, groupLevel(g.Role, c.p))
			}
		}
		if t.space == nil {
			if missingOK && len(comps) == 2 {
				return nil, "", core.E("files", core.Permission, "only group folders can be in /groups")
			}
			return nil, "", notFound(clean)
		}
	case "shared":
		if len(comps) == 1 {
			t.virtual, t.level = "/shared", Read
			return t, "", nil
		}
		roots, err := s.sharedRoots(ctx, c)
		if err != nil {
			return nil, "", err
		}
		for _, r := range roots {
			if r.name != comps[1] {
				continue
			}
			t.space, t.level, rest = r.space, r.level, comps[2:]
			if r.node != nil {
				if t.chain, err = s.ancestry(ctx, r.node); err != nil {
					return nil, "", err
				}
				t.base = len(t.chain) - 1
			}
		}
		if t.space == nil {
			if missingOK && len(comps) == 2 {
				return nil, "", core.E("files", core.Permission, "only shared folders can be in /shared")
			}
			return nil, "", notFound(clean)
		}
	case "users":
		// An administrator's road to a person's space: break-glass only.
		if len(comps) == 1 {
			return nil, "", notFound(clean)
		}
		person, err := s.dir.FindPersonByLogin(ctx, comps[1])
		if err != nil || person.ID == c.p.PersonID {
			return nil, "", notFound(clean)
		}
		sp, err := s.st.FindSpaceByOwner(ctx, Personal, person.ID)
		if err != nil {
			return nil, "", notFound(clean)
		}
		t.space, t.level, t.glass, rest = sp, Read, true, comps[2:]
	default:
		return nil, "", notFound(clean)
	}
	// Walk down.
	name := ""
	for i, comp := range rest {
		n, err := s.findChild(ctx, t.space.ID, t.parentID(), comp)
		if core.IsKind(err, core.NotFound) && missingOK && i == len(rest)-1 {
			name, t.looked = comp, true
			break
		}
		if err != nil {
			if core.IsKind(err, core.NotFound) {
				return nil, "", notFound(clean)
			}
			return nil, "", err
		}
		if !n.Dir && i < len(rest)-1 {
			return nil, "", notFound(clean)
		}
		t.chain = append(t.chain, n)
	}
	if missingOK && name == "" {
		if len(rest) == 0 {
			return nil, "", core.E("files", core.Exists, "%s already exists", clean)
		}
		// The last component exists: hand back its parent and name.
		last := t.chain[len(t.chain)-1]
		t.chain = t.chain[:len(t.chain)-1]
		name, t.existing, t.looked = last.Name, last, true
	}
	if err := s.decide(ctx, c, t, name); err != nil {
		return nil, "", err
	}
	return t, name, nil
}

// ancestry returns the chain from the space root down to n.
func (s *Service) ancestry(ctx context.Context, n *Node) ([]*Node, error) {
	chain := []*Node{n}
	for p := n.Parent; p != ""; {
		if len(chain) > MaxDepth+1 {
			return nil, core.E("files", core.Internal, "folder loop at %s", n.ID)
		}
		pn, err := s.st.FindNode(ctx, p)
		if err != nil {
			return nil, err
		}
		chain = append(chain, pn)
		p = pn.Parent
	}
	slices.Reverse(chain)
	return chain, nil
}

// decide settles the caller's level on t: ACLs along the chain, the private
// marker (owner-only), break-glass.
func (s *Service) decide(ctx context.Context, c *caller, t *target, newName string) error {
	// Private marker: the first private component decides who owns it.
	for _, n := range t.chain {
		if s.isPrivate(n.Name) {
			t.private = true
			t.owner = n.CreatedBy
			if t.space.Kind == Personal {
				t.owner = t.space.Owner
			}
			break
		}
	}
	if !t.private && newName != "" && s.isPrivate(newName) {
		t.private, t.owner = true, c.p.PersonID
		if t.space.Kind == Personal {
			t.owner = t.space.Owner
		}
	}
	if t.glass {
		// Reading a person's space as an administrator: break-glass for
		// each object opened (it journals the use or the refusal).
		if _, err := s.glass.Authorize(ctx, t.space.Owner, breakglass.ScopeFiles, "/"+t.space.Name+t.spacePath()); err != nil || s.glass == nil {
			if err == nil {
				err = core.E("files", core.Permission, "break-glass is not available")
			}
			return err
		}
		return nil
	}
	if t.private && t.owner != c.p.PersonID {
		// Hidden, not forbidden: others do not learn it exists.
		return notFound(t.vpath)
	}
	if t.space.Kind == Personal && t.space.Owner == c.p.PersonID {
		return nil
	}
	// ACLs on the chain raise the level.
	if len(t.chain) > 0 {
		ids := make([]string, len(t.chain))
		for i, n := range t.chain {
			ids[i] = n.ID
		}
		acls, err := s.st.FindACLs(ctx, ids)
		if err != nil {
			return err
		}
		gids := c.groupIDs()
		for _, a := range acls {
			if a.GranteeKind == GranteePerson && a.GranteeID == c.p.PersonID ||
				a.GranteeKind == GranteeGroup && slices.Contains(gids, a.GranteeID) {
				t.level = max(t.level, a.Level)
			}
		}
	}
	if t.level == None {
		return notFound(t.vpath)
	}
	return nil
}

func mainEst(p core.Principal) string {
	if len(p.Establishments) > 0 {
		return p.Establishments[0]
	}
	return ""
}

// entry builds what the caller sees of t.
func (s *Service) entry(t *target) *Entry {
	e := &Entry{Path: t.vpath, Level: t.level, Private: t.private}
	if t.glass {
		e.Level = Read
	}
	comps := split(t.vpath)
	if len(comps) > 0 {
		e.Name = comps[len(comps)-1]
	}
	if t.virtual != "" || t.space == nil {
		e.Dir, e.Virtual, e.ModTime = true, true, time.Unix(0, 0).UTC()
		e.ETag = `"v` + strings.ReplaceAll(t.vpath, "/", "-") + `"`
		return e
	}
	n := t.node()
	if n == nil {
		e.Dir, e.ModTime, e.ETag = true, t.space.CreatedAt, `"s`+t.space.ID+`"`
		return e
	}
	fillEntry(e, n)
	return e
}

func fillEntry(e *Entry, n *Node) {
	e.Dir, e.Size, e.ModTime, e.ETag, e.SHA256, e.NodeID = n.Dir, n.Size, n.ModTime, n.ETag, n.SHA256, n.ID
	if !n.Dir {
		e.ContentType = ContentType(n.Name)
	}
}

func unixTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
