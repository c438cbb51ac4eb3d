// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package monitor is Préau's supervision and helpdesk service (CARINE
// MCO-SEI): checks of the school's equipment and of Préau's own services,
// incidents opened and resolved from their results, users' requests, and
// the aggregated figures the dashboards and the Prometheus endpoint show.
//
// # Checks
//
// A Target is something checked at an interval: a declared piece of
// equipment or external service of an establishment (TCP connect, HTTP(S)
// with status, body and certificate-expiry conditions, DNS, TLS, ICMP) or a
// self-check of one of Préau's own listeners and services, registered by
// internal/app through a Probe. The Engine runs due checks on the one node
// holding the store's lease; Step decides, from a target's state and a new
// result, whether it goes down (Retries+1 failures in a row), comes back
// (two successes in a row) or flaps (too many changes within FlapWindow:
// then no new alert is sent and the incident stays open until it settles).
// Results are kept as hourly aggregates (checks, failures, latency), a few
// dozen bytes per target and hour.
//
// # Incidents
//
// A target going down opens an incident (or an admin opens one by hand);
// its timeline records detection, alerts, acknowledgement, notes and
// resolution; the time to restore is compared with the target's restore
// objective, the one the CGU states (MCO-SEI-2). Alerts go to the on-call
// addresses by mail and to a generic JSON webhook (Alerter). A target
// coming back resolves its incident.
//
// # Requests
//
// Any person files a request (category, description, device, attachment);
// the admins of the establishment triage, assign, answer and resolve it;
// the requester follows it and is notified at each answer (MCO-SEI-3).
//
// This is a domain package: it imports neither database/sql nor net/http.
// Its network checks live in monitor/probes, its store in internal/store,
// its pages in monitorweb.
package monitor

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/preau/preau/internal/core"
)

// Kind is how a target is checked.
type Kind string

// Kinds of check. The string values are stored.
const (
	KindTCP  Kind = "tcp"  // connect to host:port
	KindHTTP Kind = "http" // GET a URL: status, body, certificate expiry
	KindDNS  Kind = "dns"  // resolve a name (through a given server when set)
	KindTLS  Kind = "tls"  // TLS handshake to host:port, certificate expiry
	KindICMP Kind = "icmp" // echo request, when the process may send one
	KindSelf Kind = "self" // a Préau service's own probe
)

// Kinds lists the kinds an admin may declare, in display order.
var Kinds = []Kind{KindTCP, KindHTTP, KindDNS, KindTLS, KindICMP}

// State is where a target stands.
type State string

// States. The string values are stored.
const (
	Unknown State = "unknown" // not checked yet
	Up      State = "up"
	Down    State = "down"
)

// Target is one thing checked at an interval, with its current state.
type Target struct {
	ID            string
	Establishment string // "" for the deployment's self-checks
	Name          string // unique in its establishment, e.g. "Switch CDI", "ENT"
	Kind          Kind
	Address       string        // host:port, URL, or DNS name (see Kind)
	Service       string        // the service it affects, e.g. "internet", "ent", "ldap"
	Interval      time.Duration // between checks
	Timeout       time.Duration // of one check
	Retries       int           // failures tolerated before the target is down
	ExpectStatus  int           // HTTP: the status wanted; 0 accepts 200–399
	ExpectBody    string        // HTTP: a text the body must hold
	CertDays      int           // HTTP(S)/TLS: fail when the certificate ends within this many days
	RestoreTarget time.Duration // time to restore stated in the CGU; 0 uses DefaultRestoreTarget
	Enabled       bool
	CreatedAt     time.Time

	// State, maintained by the engine.
	State       State
	StateSince  time.Time
	Flapping    bool
	LastCheck   time.Time
	LastLatency time.Duration
	LastError   string

	// Checks and failures over the dashboards' window (about 30 days),
	// kept by the store.
	WindowChecks, WindowFailures int64
}

// Limits and defaults of targets.
const (
	MinInterval          = time.Second
	MaxInterval          = 24 * time.Hour
	DefaultInterval      = time.Minute
	DefaultTimeout       = 5 * time.Second
	MaxRetries           = 10
	DefaultRestoreTarget = 4 * time.Hour
	maxName              = 100
	maxAddress           = 500
)

// Normalize fills defaults and checks t, returning every problem at once as
// a core.Invalid error whose message names the fields.
func (t *Target) Normalize() error {
	t.Name = strings.TrimSpace(t.Name)
	t.Address = strings.TrimSpace(t.Address)
	t.Service = strings.ToLower(strings.TrimSpace(t.Service))
	if t.Interval == 0 {
		t.Interval = DefaultInterval
	}
	if t.Timeout == 0 {
		t.Timeout = DefaultTimeout
	}
	if t.State == "" {
		t.State = Unknown
	}
	var probs []string
	if t.Name == "" || utf8.RuneCountInString(t.Name) > maxName || strings.ContainsAny(t.Name, "\r\n\t") {
		probs = append(probs, fmt.Sprintf("name: give a name of 1 to %d characters on one line", maxName))
	}
	if t.Kind != KindSelf {
		if err := CheckAddress(t.Kind, t.Address); err != nil {
			probs = append(probs, "address: "+err.Error())
		}
	}
	if t.Interval < MinInterval || t.Interval > MaxInterval {
		probs = append(probs, fmt.Sprintf("interval: between %s and %s", MinInterval, MaxInterval))
	}
	if t.Timeout <= 0 || t.Timeout > t.Interval || t.Timeout > time.Minute {
		probs = append(probs, "timeout: more than 0, at most a minute and at most the interval")
	}
	if t.Retries < 0 || t.Retries > MaxRetries {
		probs = append(probs, fmt.Sprintf("retries: from 0 to %d", MaxRetries))
	}
	if t.ExpectStatus != 0 && (t.ExpectStatus < 100 || t.ExpectStatus > 599) {
		probs = append(probs, "expected status: an HTTP status from 100 to 599, or empty")
	}
	if t.CertDays < 0 || t.CertDays > 365 {
		probs = append(probs, "certificate days: from 0 to 365")
	}
	if t.RestoreTarget < 0 {
		probs = append(probs, "restore target: must not be negative")
	}
	if len(t.Service) > 40 || strings.ContainsAny(t.Service, " \r\n\t") {
		probs = append(probs, "service: one word of at most 40 characters")
	}
	if len(probs) > 0 {
		return core.E("monitor.Target", core.Invalid, "%s", strings.Join(probs, "; "))
	}
	return nil
}

// CheckAddress checks that address suits kind: host:port for TCP and TLS,
// an http(s) URL for HTTP, a host name for DNS and a host for ICMP.
func CheckAddress(kind Kind, address string) error {
	if address == "" || len(address) > maxAddress || strings.ContainsAny(address, " \r\n\t") {
		return fmt.Errorf("give an address of 1 to %d characters, without spaces", maxAddress)
	}
	switch kind {
	case KindTCP, KindTLS:
		h, p, err := net.SplitHostPort(address)
		if err != nil || h == "" || p == "" {
			return fmt.Errorf("%q is not host:port (e.g. 10.0.0.1:22)", address)
		}
	case KindHTTP:
		u, err := url.Parse(address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an http:// or https:// URL", address)
		}
	case KindDNS, KindICMP:
		if strings.ContainsAny(address, "/:@") && net.ParseIP(address) == nil {
			return fmt.Errorf("%q is not a host name or address", address)
		}
	default:
		return fmt.Errorf("unknown kind %q (tcp, http, dns, tls or icmp)", kind)
	}
	return nil
}

// Restore returns the restore objective of t.
func (t *Target) Restore() time.Duration {
	if t.RestoreTarget > 0 {
		return t.RestoreTarget
	}
	return DefaultRestoreTarget
}

// Result is the outcome of one check.
type Result struct {
	OK      bool
	Latency time.Duration
	Error   string    // why it failed, for the admins (never shown to users)
	CertEnd time.Time // end of the certificate seen, when any
}

// Fail returns a failed result saying why.
func Fail(format string, args ...any) Result {
	return Result{Error: fmt.Sprintf(format, args...)}
}

// Checker runs one check of a declared target. monitor/probes implements
// it over the network.
type Checker interface {
	Check(ctx context.Context, t *Target) Result
}

// Probe is a self-check of one of Préau's services. internal/app registers
// one per service with Engine.Register: one line each.
type Probe interface {
	Probe(ctx context.Context) Result
}

// ProbeFunc adapts a function to Probe.
type ProbeFunc func(ctx context.Context) Result

// Probe calls f.
func (f ProbeFunc) Probe(ctx context.Context) Result { return f(ctx) }

// Sample is one target's aggregated results over one hour.
type Sample struct {
	TargetID   string
	Hour       time.Time // start of the hour, UTC
	Checks     int64
	Failures   int64
	LatencySum time.Duration
	LatencyMax time.Duration
}

// add counts one result in s.
func (s *Sample) add(r Result) {
	s.Checks++
	if !r.OK {
		s.Failures++
	}
	s.LatencySum += r.Latency
	s.LatencyMax = max(s.LatencyMax, r.Latency)
}

// Availability is a ratio of successful checks.
func (s Sample) Availability() float64 {
	if s.Checks == 0 {
		return 1
	}
	return float64(s.Checks-s.Failures) / float64(s.Checks)
}
