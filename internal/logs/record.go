// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package logs is the high-volume log store (design §3, MCO-JAL): web access
// decisions, DNS queries, authentication traffic, service logs and syslog
// from network equipment, kept in sealed, compressed segments by retention
// class and establishment. This file holds the standard record (MCO-JAL-1)
// and the small interface producers write through; the store itself lives
// beside it.
package logs

import "time"

// Class is a retention class: each has its own stream and legal duration.
type Class string

// Retention classes (formats.md §8).
const (
	// ClassConnection is connection data of internet access (web proxy
	// decisions, DNS queries, Wi-Fi/RADIUS, authentication traffic): one
	// year (LCEN art. 6, décret 2021-1362).
	ClassConnection Class = "connection"
	// ClassSystem is system and service logs, syslog from equipment: six
	// months (CNIL recommendation on logging).
	ClassSystem Class = "system"
	// ClassSecurity is security events: one year.
	ClassSecurity Class = "security"
)

// Severity follows syslog (RFC 5424 §6.2.1): 0 emergency … 7 debug.
type Severity uint8

// Record is the standard log record (MCO-JAL-1): every producer, Préau's own
// services and syslog from equipment alike, writes the same fields. Empty
// fields are simply absent from the stored form.
type Record struct {
	Time          time.Time
	Establishment string // establishment ID; empty for the deployment-level stream
	Class         Class
	Source        string // host or address that produced the record
	Facility      uint8  // syslog facility (0–23)
	Severity      Severity
	Service       string // "proxy", "dns", "auth", "syslog", …
	User          string // login, when a person is identified
	Action        string // "allow", "block", "login", …
	Object        string // host, URL, file … the action was about
	Result        string // "ok", "refused", "error", …
	Message       string
	Fields        map[string]string // structured extras (category, rule, bytes, zone …)
}

// Sink takes records. Append must never block its caller for long: a full
// buffer drops the record and counts the drop (back-pressure is reported,
// never propagated to the service that logs).
type Sink interface {
	Append(Record)
}

// Discard is a Sink that keeps nothing, for services started without a log
// store (tests, tools).
type Discard struct{}

// Append drops r.
func (Discard) Append(Record) {}
