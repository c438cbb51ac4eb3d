// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package directory

import (
	"net/netip"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// GroupKind is what a group stands for.
type GroupKind string

// Group kinds (design §3).
const (
	Class      GroupKind = "class"      // a division, carries the school year
	Teaching   GroupKind = "teaching"   // a teaching group across classes (spécialité, langue)
	Discipline GroupKind = "discipline" // teachers of a subject
	Staff      GroupKind = "staff"      // a staff group (vie scolaire, administration)
	Custom     GroupKind = "custom"     // anything else (a club, a project)
)

// Group is a set of people in one establishment. Classes and teaching groups
// belong to a school year; other kinds use year 0.
type Group struct {
	ID            string
	Establishment string
	Code          string // unique per establishment and school year, e.g. "6A", "SPE-MATHS-1"
	Name          string
	Kind          GroupKind
	SchoolYear    int
	Level         string // "6e", "2nde", "CM1" … for classes
	GIDNumber     int64  // POSIX gid, allocated by the store at creation, never reused
	Members       int    // count, filled by queries
	Owners        int    // count, filled by queries
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Roles in a group.
const (
	RoleMember = "member"
	RoleOwner  = "owner"
)

// Validate checks g.
func (g *Group) Validate() error {
	const op = "directory.Group.Validate"
	switch g.Kind {
	case Class, Teaching:
		if g.SchoolYear < 2000 || g.SchoolYear > 2200 {
			return core.E(op, core.Invalid, "a %s needs a school year", g.Kind)
		}
	case Discipline, Staff, Custom:
		g.SchoolYear = 0
	default:
		return core.E(op, core.Invalid, "group kind %q is not one of class, teaching, discipline, staff, custom", clip(string(g.Kind)))
	}
	g.Code = strings.TrimSpace(g.Code)
	if err := checkText("group code", g.Code, 1, 64); err != nil {
		return err
	}
	if strings.ContainsAny(g.Code, "/,=+<>#;\"\\") {
		return core.E(op, core.Invalid, "group code %q must not contain / , = + < > # ; \" or \\", clip(g.Code))
	}
	if g.Name == "" {
		g.Name = g.Code
	}
	if err := checkText("group name", g.Name, 1, 200); err != nil {
		return err
	}
	return checkText("level", g.Level, 0, 32)
}

// Grant is a right given by the head (or an operator) to a person or to a
// group (exactly one of PersonID and GroupID), in one establishment or, for
// operators, in every one (Establishment == ""). A person holds the grants
// of every group they belong to, as member or owner.
type Grant struct {
	ID            string
	Establishment string
	PersonID      string
	GroupID       string
	Right         core.Right
	Zone          string // network zone the right is bound to; "" for any
	TargetName    string // read only: the login of the person, or the group's name
	GrantedBy     string // login of the granter
	From          time.Time
	Until         time.Time // zero: no end
	RevokedAt     time.Time
	CreatedAt     time.Time
}

// InForce reports whether g applies at t.
func (g *Grant) InForce(t time.Time) bool {
	return g.RevokedAt.IsZero() && !t.Before(g.From) && (g.Until.IsZero() || t.Before(g.Until))
}

// Zone names a set of network ranges of an establishment (design §3). A
// request's zone comes from its source address.
type Zone struct {
	ID            string
	Establishment string
	Name          string // admin, peda, wifi, byod, guest, servers, or one the school adds
	CIDRs         []netip.Prefix
	UpdatedAt     time.Time
}

// ZoneNames are the standard zones.
var ZoneNames = []string{"admin", "peda", "wifi", "byod", "guest", "servers"}

// ZoneOf names the zone of zones that contains addr ("peda", "wifi"…), or
// "" when none does. When ranges overlap, the narrowest wins, so that an
// admin range carved inside a wider peda range is the admin zone.
func ZoneOf(zones []*Zone, addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return ""
	}
	ip = ip.Unmap()
	best, bits := "", -1
	for _, z := range zones {
		for _, c := range z.CIDRs {
			if c.Contains(ip) && c.Bits() > bits {
				best, bits = z.Name, c.Bits()
			}
		}
	}
	return best
}

// ParseCIDRs parses a list of CIDR ranges (or single addresses), naming the
// first bad one.
func ParseCIDRs(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, core.E("directory.ParseCIDRs", core.Invalid, "%q is not an address or a CIDR range", clip(s))
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, core.E("directory.ParseCIDRs", core.Invalid, "%q is not a CIDR range", clip(s))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
