// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package journal defines the audit journal: CARINE's "traced, identified and
// timestamped" events (design §3). Entries are append-only and hash-chained
// per establishment; the store writes each entry in the same transaction as
// the change it records. This package holds the types, the canonical hashing,
// the chain verification and the signed checkpoints that keep a purged chain
// verifiable. It does no I/O and may be imported by any package.
package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/preau/preau/internal/core"
)

// Result says how an attempted action ended.
type Result string

// Results.
const (
	Done    Result = "done"    // the change was made
	Refused Result = "refused" // the actor was not allowed, or the input was rejected
	Failed  Result = "failed"  // the change was allowed but could not be made
)

// DeploymentChain is the chain of entries that concern no single
// establishment (deployment settings, operators, the admin account).
const DeploymentChain = "deployment"

// Entry is one journal record. Secret values (passwords, tokens) never go in
// an entry: Attributes holds the names of what changed, not the values.
type Entry struct {
	ID         int64     `json:"id"`    // database row id, assigned by the store
	Chain      string    `json:"chain"` // establishment ID, or DeploymentChain
	Seq        int64     `json:"seq"`   // position in the chain, from 1, assigned by the store
	At         time.Time `json:"at"`    // UTC, from the store transaction's clock
	ActorID    string    `json:"actor_id,omitempty"`
	ActorLogin string    `json:"actor_login,omitempty"`
	Channel    string    `json:"channel"`
	Source     string    `json:"source,omitempty"` // source IP address
	Action     string    `json:"action"`           // dotted verb, e.g. "directory.person.create"
	TargetType string    `json:"target_type,omitempty"`
	TargetID   string    `json:"target_id,omitempty"`
	TargetName string    `json:"target_name,omitempty"` // login, UAI or group code: readable without the database
	Attributes []string  `json:"attributes,omitempty"`  // names of changed attributes
	Result     Result    `json:"result"`
	Reason     string    `json:"reason,omitempty"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// SetActor fills the actor fields from a principal.
func (e *Entry) SetActor(p core.Principal) {
	e.ActorID = p.PersonID
	e.ActorLogin = p.Login
	e.Channel = string(p.Channel)
	e.Source = p.Source
	if e.Channel == "" {
		e.Channel = string(core.ChannelSystem)
	}
}

// ComputeHash returns the hex SHA-256 of e's canonical form, which covers
// PrevHash: each entry's hash seals the whole chain before it.
func ComputeHash(e *Entry) string {
	bp := canonicalBuffers.Get().(*[]byte)
	b := appendCanonical((*bp)[:0], e)
	sum := sha256.Sum256(b)
	*bp = b
	canonicalBuffers.Put(bp)
	return hex.EncodeToString(sum[:])
}

// Seal sets e's Seq, PrevHash and Hash to follow a chain whose last entry has
// sequence prevSeq and hash prevHash ("" for an empty chain).
func Seal(e *Entry, prevSeq int64, prevHash string) {
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.Hash = ComputeHash(e)
}

// Filter selects entries for queries and exports. Zero fields match all.
type Filter struct {
	Chain    string    // establishment ID or DeploymentChain
	Chains   []string  // any of these chains (for a principal's establishments)
	Since    time.Time // At >= Since
	Until    time.Time // At < Until
	Action   string    // prefix match on Action, e.g. "directory.person."
	Actor    string    // actor login
	Target   string    // target ID or name
	TargetID string    // exact target ID (indexed: quick newest first)
	Result   Result
	AfterID  int64 // ID > AfterID, for keyset paging and streaming exports
	Limit    int   // 0 means the store's default page size
	NewFirst bool  // newest first (the viewer) instead of oldest first (exports)
}
