// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package journal

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// canonical is the reference of the hashed form of an entry: every field
// but ID and Hash, in a fixed order, with the time in UTC microseconds, as
// encoding/json writes it. appendCanonical must give these bytes exactly:
// changing them breaks every existing chain (they are versioned by "v").
type canonical struct {
	V          int      `json:"v"`
	Chain      string   `json:"chain"`
	Seq        int64    `json:"seq"`
	At         int64    `json:"at"`
	ActorID    string   `json:"actor_id"`
	ActorLogin string   `json:"actor_login"`
	Channel    string   `json:"channel"`
	Source     string   `json:"source"`
	Action     string   `json:"action"`
	TargetType string   `json:"target_type"`
	TargetID   string   `json:"target_id"`
	TargetName string   `json:"target_name"`
	Attributes []string `json:"attributes"`
	Result     Result   `json:"result"`
	Reason     string   `json:"reason"`
	PrevHash   string   `json:"prev_hash"`
}

func referenceCanonical(e *Entry) []byte {
	attrs := e.Attributes
	if attrs == nil {
		attrs = []string{}
	}
	b, _ := json.Marshal(canonical{
		V: 1, Chain: e.Chain, Seq: e.Seq, At: e.At.UTC().UnixMicro(),
		ActorID: e.ActorID, ActorLogin: e.ActorLogin, Channel: e.Channel, Source: e.Source,
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName,
		Attributes: attrs, Result: e.Result, Reason: e.Reason, PrevHash: e.PrevHash,
	})
	return b
}

// FuzzCanonicalMatchesJSON: the hand-written canonical form is byte for
// byte encoding/json's, whatever the strings hold (escapes, HTML
// characters, invalid UTF-8, line separators). CARINE: INF-ANN-4.
func FuzzCanonicalMatchesJSON(f *testing.F) {
	f.Add("0750001U", int64(1), int64(1764400000000000), "login.ado", "<script>&\"x\"</script>", "a\x00b\u2028c\u2029", "\xff\xfeé", "member:élève", "")
	f.Add("", int64(-5), int64(0), "", "", "", "", "", "a\tb\nc\rd\be\ff\\g/h")
	f.Add("deployment", int64(1<<62), int64(-1), "ü", "日本", "\U0001F600", "x\x7fy", "a,b", "\xed\xa0\x80")
	f.Fuzz(func(t *testing.T, chain string, seq, at int64, actor, target, reason, source, attr, prev string) {
		e := &Entry{Chain: chain, Seq: seq, At: time.UnixMicro(at), ActorID: actor, ActorLogin: actor + "l",
			Channel: source, Source: source, Action: "directory." + target, TargetType: "person", TargetID: target,
			TargetName: reason, Result: Result(attr), Reason: reason, PrevHash: prev}
		if attr != "" {
			e.Attributes = []string{attr, reason, ""}
		}
		got, want := appendCanonical(nil, e), referenceCanonical(e)
		if !bytes.Equal(got, want) {
			t.Fatalf("canonical form differs:\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkComputeHash measures sealing one typical entry.
func BenchmarkComputeHash(b *testing.B) {
	e := &Entry{Chain: "0750001U", Seq: 123456, At: time.Now(), ActorID: "0190f2c1-aaaa-7bbb-8ccc-123456789abc",
		ActorLogin: "admin", Channel: "cli", Source: "", Action: "directory.person.create", TargetType: "person",
		TargetID: "0190f2c1-aaaa-7bbb-8ccc-123456789abd", TargetName: "jeanne.dupont",
		Attributes: []string{"login", "givenName", "familyName", "displayName", "profile", "state", "password"},
		Result:     Done, PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	b.ReportAllocs()
	for b.Loop() {
		_ = ComputeHash(e)
	}
}

func BenchmarkReferenceCanonical(b *testing.B) {
	e := &Entry{Chain: "0750001U", Seq: 123456, At: time.Now(), ActorID: "0190f2c1-aaaa-7bbb-8ccc-123456789abc",
		ActorLogin: "admin", Channel: "cli", Action: "directory.person.create", TargetType: "person",
		TargetID: "0190f2c1-aaaa-7bbb-8ccc-123456789abd", TargetName: "jeanne.dupont",
		Attributes: []string{"login", "givenName", "familyName", "displayName", "profile", "state", "password"},
		Result:     Done, PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	for b.Loop() {
		_ = referenceCanonical(e)
	}
}

func BenchmarkAppendCanonical(b *testing.B) {
	e := &Entry{Chain: "0750001U", Seq: 123456, At: time.Now(), ActorID: "0190f2c1-aaaa-7bbb-8ccc-123456789abc",
		ActorLogin: "admin", Channel: "cli", Action: "directory.person.create", TargetType: "person",
		TargetID: "0190f2c1-aaaa-7bbb-8ccc-123456789abd", TargetName: "jeanne.dupont",
		Attributes: []string{"login", "givenName", "familyName", "displayName", "profile", "state", "password"},
		Result:     Done, PrevHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
	var buf []byte
	for b.Loop() {
		buf = appendCanonical(buf[:0], e)
	}
}
