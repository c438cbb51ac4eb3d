// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"slices"
	"time"
)

// Profile is a person's role in the school (design §3). It decides the
// default rights; grants given by the head add to them.
type Profile string

// Profiles. The string values are stable: they are stored, exported in
// demo-accounts.csv and accepted on the command line.
const (
	ProfilePupil   Profile = "pupil"
	ProfileTeacher Profile = "teacher"
	ProfileStaff   Profile = "staff"
	ProfileHead    Profile = "head"
	ProfileAdmin   Profile = "admin" // technical administrator
)

// Profiles lists every profile, in display order.
var Profiles = []Profile{ProfilePupil, ProfileTeacher, ProfileStaff, ProfileHead, ProfileAdmin}

// Valid reports whether p is a known profile.
func (p Profile) Valid() bool { return slices.Contains(Profiles, p) }

// Adult reports whether p is any profile but pupil.
func (p Profile) Adult() bool { return p != ProfilePupil && p.Valid() }

// Channel says through which door an action entered Préau. It is recorded in
// every journal entry.
type Channel string

// Channels.
const (
	ChannelWeb    Channel = "web"
	ChannelAPI    Channel = "api"
	ChannelLDAP   Channel = "ldap"
	ChannelCLI    Channel = "cli"
	ChannelImport Channel = "import"
	ChannelJob    Channel = "job"
	ChannelDAV    Channel = "dav"
	ChannelProxy  Channel = "proxy"
	ChannelIMAP   Channel = "imap"
	ChannelSMTP   Channel = "smtp"
	ChannelSystem Channel = "system"
)

// Right names what a grant allows (design §3). Rights are scoped to an
// establishment; the head grants them.
type Right string

// Rights known to the foundation. Services add theirs.
const (
	RightOperator       Right = "deployment.operate" // académie / collectivité operator: every establishment
	RightSignagePublish Right = "signage.publish"
	RightSMSSend        Right = "sms.send"
	RightPublishPublic  Right = "publish.public"
	RightFilterDelegate Right = "filter.delegate"
	RightMonitorRead    Right = "monitor.read"
	RightLogsRead       Right = "logs.read"
	RightJournalRead    Right = "journal.read"
	RightPeopleManage   Right = "people.manage" // the people and groups pages of the console
	RightBreakGlass     Right = "breakglass.request"
)

// KnownRights lists the rights a head may grant, in display order.
var KnownRights = []Right{RightPeopleManage, RightSignagePublish, RightSMSSend, RightPublishPublic,
	RightFilterDelegate, RightMonitorRead, RightLogsRead, RightJournalRead, RightBreakGlass, RightOperator}

// ZoneAdmin is the administrative network zone (design §3).
const ZoneAdmin = "admin"

// RequiredZone names the zone from which a right may only be used whatever
// the grant says: CARINE restricts signage editing (INF-DIF-1) and SMS
// (UTI-MSG-13) to the administrative zone. "" means the grant decides.
func RequiredZone(r Right) string {
	switch r {
	case RightSignagePublish, RightSMSSend:
		return ZoneAdmin
	}
	return ""
}

// Principal is who is acting. A request, an LDAP connection or a CLI command
// carries exactly one. The zero Principal is anonymous.
type Principal struct {
	PersonID       string   // empty for anonymous and for System
	Login          string   // login name, or a tag such as "system:demo"
	Profile        Profile  // profile of the person; empty for system principals
	Establishments []string // establishment IDs the person is attached to
	Grants         []Grant  // rights in force for this principal
	Channel        Channel  // how the action arrived
	Source         string   // source address (IP) when known
	Zone           string   // network zone of Source in the principal's establishments ("" when none matches)
	System         bool     // a trusted internal actor: CLI run by root, jobs, the demo generator
	SessionID      string   // web session id, for "my sessions" and logout
	AuthLevel      int      // 1 simple (password, pictures), 2 strong (second factor or key)
	AuthMethods    []string // RFC 8176 methods of the session's last proof ("pwd", "otp", "hwk"…)
	AuthTime       time.Time
	// Service marks a non-interactive service account (an application such
	// as Moodle, Nextcloud, a printer or a Wi-Fi controller reading the
	// directory): it never logs in on the web and reads an allow-list.
	Service bool
	// MustChangePassword restricts the principal to changing its password
	// (first login, reset by an admin): every entry point refuses anything else.
	MustChangePassword bool
}

// Grant is a right in force for a person in an establishment. An empty
// Establishment means every establishment of the deployment.
type Grant struct {
	Right         Right
	Establishment string
	Zone          string // when set, the right holds only from this network zone
}

// SystemPrincipal returns a principal for a trusted internal actor.
func SystemPrincipal(login string, ch Channel) Principal {
	return Principal{Login: login, Channel: ch, System: true}
}

// Anonymous reports whether p carries no identity.
func (p Principal) Anonymous() bool { return p.PersonID == "" && !p.System }

// Operator reports whether p may act on every establishment.
func (p Principal) Operator() bool {
	return p.System || p.HasRight(RightOperator, "")
}

// HasRight reports whether p holds right r in establishment est (or in every
// establishment). Heads hold every right of their establishments; operators
// hold every right everywhere.
func (p Principal) HasRight(r Right, est string) bool {
	if p.System {
		return true
	}
	for _, g := range p.Grants {
		if g.Right == RightOperator && g.Establishment == "" {
			return true
		}
		if g.Right == r && (g.Establishment == "" || g.Establishment == est) && p.inZone(g.Zone, r) {
			return true
		}
	}
	if r != RightOperator && p.Profile == ProfileHead && est != "" && p.AttachedTo(est) {
		return p.inZone("", r)
	}
	return false
}

// inZone reports whether p's request comes from the zone a grant (or the
// right itself) demands.
func (p Principal) inZone(grantZone string, r Right) bool {
	if z := RequiredZone(r); z != "" && p.Zone != z {
		return false
	}
	return grantZone == "" || p.Zone == grantZone
}

// ZoneRefusal explains, when p holds right r in est by a grant but not from
// the network zone of this request, which zone is needed; "" otherwise.
func (p Principal) ZoneRefusal(r Right, est string) string {
	if p.HasRight(r, est) {
		return ""
	}
	for _, g := range p.Grants {
		if g.Right == r && (g.Establishment == "" || g.Establishment == est) {
			if z := RequiredZone(r); z != "" {
				return z
			}
			if g.Zone != "" {
				return g.Zone
			}
		}
	}
	if p.Profile == ProfileHead && est != "" && p.AttachedTo(est) {
		return RequiredZone(r)
	}
	return ""
}

// AttachedTo reports whether p is attached to establishment est.
func (p Principal) AttachedTo(est string) bool { return slices.Contains(p.Establishments, est) }

// CanAdminister reports whether p may run the administration of establishment
// est: operators anywhere, technical admins and heads where attached.
func (p Principal) CanAdminister(est string) bool {
	if p.Operator() {
		return true
	}
	return (p.Profile == ProfileAdmin || p.Profile == ProfileHead) && p.AttachedTo(est)
}

// IsAdmin reports whether p is a technical admin, a head or an operator of at
// least one establishment, i.e. may open the admin console.
func (p Principal) IsAdmin() bool {
	return p.Operator() || p.Profile == ProfileAdmin || p.Profile == ProfileHead
}
