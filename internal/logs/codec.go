// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/preau/preau/internal/jsonenc"
)

// jsonRecord is the stored and exported form of a Record (MCO-JAL-1): one
// JSON object per line, RFC 3339 UTC time, empty fields left out.
type jsonRecord struct {
	Time          string            `json:"time"`
	Establishment string            `json:"establishment,omitempty"`
	Class         Class             `json:"class"`
	Source        string            `json:"source,omitempty"`
	Facility      uint8             `json:"facility"`
	Severity      Severity          `json:"severity"`
	Service       string            `json:"service,omitempty"`
	User          string            `json:"user,omitempty"`
	Action        string            `json:"action,omitempty"`
	Object        string            `json:"object,omitempty"`
	Result        string            `json:"result,omitempty"`
	Message       string            `json:"message,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
}

// EncodeJSON returns r as one JSON line (without the newline). It writes
// exactly what encoding/json writes for jsonRecord (a test holds it to
// that), several times faster: it runs for every record.
func EncodeJSON(r *Record) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendField(b, "establishment", r.Establishment)
	b = append(b, `,"class":`...)
	b = appendJSONString(b, string(r.Class))
	b = appendField(b, "source", r.Source)
	b = append(b, `,"facility":`...)
	b = strconv.AppendUint(b, uint64(r.Facility), 10)
	b = append(b, `,"severity":`...)
	b = strconv.AppendUint(b, uint64(r.Severity), 10)
	b = appendField(b, "service", r.Service)
	b = appendField(b, "user", r.User)
	b = appendField(b, "action", r.Action)
	b = appendField(b, "object", r.Object)
	b = appendField(b, "result", r.Result)
	b = appendField(b, "message", r.Message)
	if len(r.Fields) > 0 {
		var arr [16]string
		keys := arr[:0]
		for k := range r.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"fields":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, r.Fields[k])
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

// AppendJSONString appends s quoted as EncodeJSON quotes strings, for
// receivers that build stored lines themselves (syslogd's encoder).
func AppendJSONString(b []byte, s string) []byte { return jsonenc.AppendString(b, s) }

func appendJSONString(b []byte, s string) []byte { return jsonenc.AppendString(b, s) }

// encodeJSONReflect is the reference EncodeJSON is held to.
func encodeJSONReflect(r *Record) []byte {
	b, _ := json.Marshal(jsonRecord{Time: r.Time.UTC().Format(time.RFC3339Nano), Establishment: r.Establishment,
		Class: r.Class, Source: r.Source, Facility: r.Facility, Severity: r.Severity, Service: r.Service,
		User: r.User, Action: r.Action, Object: r.Object, Result: r.Result, Message: r.Message, Fields: r.Fields})
	return b
}

func decodeRecord(b []byte, r *Record) error {
	var j jsonRecord
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("not a JSON record: %v", err)
	}
	t, err := time.Parse(time.RFC3339Nano, j.Time)
	if err != nil {
		return fmt.Errorf("bad time %q", j.Time)
	}
	*r = Record{Time: t, Establishment: j.Establishment, Class: j.Class, Source: j.Source, Facility: j.Facility,
		Severity: j.Severity, Service: j.Service, User: j.User, Action: j.Action, Object: j.Object,
		Result: j.Result, Message: j.Message, Fields: j.Fields}
	return nil
}

// WriteJSONLines writes records as JSON lines.
func WriteJSONLines(w io.Writer, recs []Record) error {
	for i := range recs {
		b := append(EncodeJSON(&recs[i]), '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// PEN is the private enterprise number used in Préau's structured-data IDs
// (32473 is the IANA example number: a deployment may set its own).
const PEN = "32473"

// FormatRFC5424 returns r as an RFC 5424 message (without framing): the
// standard fields go into a [preau@PEN …] structured-data element, the
// extra fields into [fields@PEN …].
func FormatRFC5424(r *Record) string {
	var b strings.Builder
	pri := int(r.Facility)*8 + int(r.Severity&7)
	fmt.Fprintf(&b, "<%d>1 %s %s %s - %s ", pri, r.Time.UTC().Format("2006-01-02T15:04:05.000000Z"),
		nilOr(printable(r.Source, 255)), nilOr(printable(r.Service, 48)), nilOr(printable(r.Action, 32)))
	b.WriteString("[preau@" + PEN)
	for _, kv := range [][2]string{{"class", string(r.Class)}, {"establishment", r.Establishment},
		{"user", r.User}, {"object", r.Object}, {"result", r.Result}} {
		if kv[1] != "" {
			b.WriteString(" " + kv[0] + "=\"" + sdEscape(kv[1]) + "\"")
		}
	}
	b.WriteString("]")
	if len(r.Fields) > 0 {
		b.WriteString("[fields@" + PEN)
		var arr [16]string
		keys := arr[:0]
		for k := range r.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			name := sdName(k)
			if name == "" {
				continue
			}
			b.WriteString(" " + name + "=\"" + sdEscape(r.Fields[k]) + "\"")
		}
		b.WriteString("]")
	}
	if r.Message != "" {
		b.WriteString(" \xEF\xBB\xBF")
		b.WriteString(strings.ToValidUTF8(r.Message, "\uFFFD"))
	}
	return b.String()
}

func nilOr(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable keeps the printable US-ASCII of s (RFC 5424 header fields), at
// most n bytes.
func printable(s string, n int) string {
	out := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(out) < n; i++ {
		if s[i] > 32 && s[i] < 127 {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// sdName makes a structured-data parameter name: printable ASCII but '=',
// ' ', ']', '"', at most 32 bytes.
func sdName(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(out) < 32; i++ {
		c := s[i]
		if c > 32 && c < 127 && c != '=' && c != ']' && c != '"' {
			out = append(out, c)
		}
	}
	return string(out)
}

func sdEscape(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)
	return r.Replace(s)
}

// WriteRFC5424 writes records as RFC 5424 messages with octet-counting
// framing (RFC 6587 §3.4.1), the framing RFC 5425 requires, so that a
// message with a newline in it stays whole.
func WriteRFC5424(w io.Writer, recs []Record) error {
	for i := range recs {
		m := FormatRFC5424(&recs[i])
		if _, err := io.WriteString(w, strconv.Itoa(len(m))+" "+m); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes records as CSV with a header row.
func WriteCSV(w io.Writer, recs []Record) error {
	cw := newCSV(w)
	cw.row("time", "establishment", "class", "source", "facility", "severity", "service", "user", "action",
		"object", "result", "message", "fields")
	for _, r := range recs {
		var f []string
		for k, v := range r.Fields {
			f = append(f, k+"="+v)
		}
		slices.Sort(f)
		cw.row(r.Time.UTC().Format(time.RFC3339Nano), r.Establishment, string(r.Class), r.Source,
			strconv.Itoa(int(r.Facility)), strconv.Itoa(int(r.Severity)), r.Service, r.User, r.Action, r.Object,
			r.Result, r.Message, strings.Join(f, ";"))
	}
	return cw.flush()
}
