// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
)

// Ask states.
const (
	AskPending  = "pending"
	AskAccepted = "accepted"
	AskRefused  = "refused"
)

// Ask is a pupil's request to open a blocked site (INF-SEC-6): it lands
// with the teachers holding filter.delegate for the pupil's groups, who
// open the site for one group for the lesson, or refuse.
type Ask struct {
	ID            string
	Establishment string
	PersonID      string
	Login         string
	Name          string
	Groups        []string // the pupil's group codes when asking
	Site          string
	Reason        string
	At            time.Time
	State         string
	DecidedAt     time.Time
	DecidedBy     string
	Target        string // the group the site was opened for
	OverrideID    string
}

// FetchConfig is the scheduled download of the category lists: from URL
// (checked against the MD5SUM.LST beside it), every EveryHours hours from
// AtMinute minutes after midnight UTC, by one node of the deployment.
type FetchConfig struct {
	URL        string
	Enabled    bool
	AtMinute   int // minutes after 00:00 UTC; UT1 asks for downloads outside 08:00–19:00 GMT
	EveryHours int
	UpdatedAt  time.Time
	UpdatedBy  string
}

// DefaultFetchAt is 02:00 UTC, outside UT1's busy hours.
const DefaultFetchAt = 120

// Validate checks a fetch configuration, naming the problem.
func (c *FetchConfig) Validate() error {
	const op = "filter.FetchConfig.Validate"
	u, err := url.Parse(c.URL)
	if c.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return core.E(op, core.Invalid, "%q is not an http(s) address of a lists archive", c.URL)
	}
	if c.AtMinute < 0 || c.AtMinute >= 24*60 {
		return core.E(op, core.Invalid, "the time of day must be between 00:00 and 23:59")
	}
	if c.EveryHours < 1 || c.EveryHours > 24*31 {
		return core.E(op, core.Invalid, "the interval must be between 1 hour and 31 days")
	}
	return nil
}

// Due reports whether a download is due at now when the last one (attempt
// or success, whichever the caller tracks) started at last: the schedule
// runs at AtMinute UTC and then every EveryHours hours; a download is due
// when none started since the latest scheduled instant.
func (c *FetchConfig) Due(now, last time.Time) bool {
	if !c.Enabled || c.EveryHours < 1 {
		return false
	}
	every := time.Duration(c.EveryHours) * time.Hour
	now = now.UTC()
	anchor := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).Add(time.Duration(c.AtMinute) * time.Minute)
	for anchor.After(now) {
		anchor = anchor.Add(-every)
	}
	for !anchor.Add(every).After(now) {
		anchor = anchor.Add(every)
	}
	return last.Before(anchor)
}

// FetchRun is one download of the lists, journaled and shown on the lists
// page; a failed one is visible to supervision too.
type FetchRun struct {
	ID       string
	Started  time.Time
	Finished time.Time
	URL      string
	Node     string
	Cause    string // "schedule" or "manual"
	OK       bool
	Message  string
	ImportID string
}

// MaxCustomEntries bounds a custom list uploaded in the pages.
const MaxCustomEntries = 1_000_000

// ValidCustomName reports whether name can name a custom category: 2 to 40
// lowercase letters, digits, '-' or '_', starting with a letter.
func ValidCustomName(name string) bool {
	if len(name) < 2 || len(name) > 40 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ParseDomainList reads a custom list: one site per line (a host name, or
// a URL whose host is taken), blank lines and lines starting with '#'
// ignored. It returns the normalised names, sorted and without duplicates,
// and the refused lines (at most 10, with their line numbers); more than
// MaxCustomEntries names is an error.
func ParseDomainList(data []byte) (hosts []string, refused []string, err error) {
	const op = "filter.ParseDomainList"
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var h string
		var herr error
		if strings.Contains(line, "://") {
			h, _, herr = NormalizeURL(line)
		} else {
			h, herr = NormalizeHost(strings.TrimPrefix(line, "."))
		}
		if herr != nil || h == "" {
			if len(refused) < 10 {
				refused = append(refused, fmt.Sprintf("line %d: %q", i+1, clip(line, 80)))
			}
			continue
		}
		if !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
			if len(hosts) > MaxCustomEntries {
				return nil, nil, core.E(op, core.Invalid, "the list has more than %d sites", MaxCustomEntries)
			}
		}
	}
	slices.Sort(hosts)
	return hosts, refused, nil
}
