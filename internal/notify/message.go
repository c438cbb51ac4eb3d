// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package notify

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is a notification to send. The Mailer adds Date, Message-ID,
// From, MIME-Version and the content headers.
type Message struct {
	// To lists the recipients, each an RFC 5322 address such as
	// "marie.curie@lycee.fr" or "Marie Curie <marie.curie@lycee.fr>".
	// At least one is required.
	To []string
	// Subject is plain UTF-8 text; it is encoded as needed.
	Subject string
	// Text is the plain-text body, required, in UTF-8.
	Text string
	// HTML is an optional HTML alternative of Text, in UTF-8. When set, the
	// message is multipart/alternative.
	HTML string
	// Headers are extra header fields, e.g. "Reply-To" or "X-Preau-Event".
	// Names the Mailer sets itself are refused. Non-ASCII values are encoded.
	// Auto-Submitted defaults to "auto-generated" (RFC 3834).
	Headers map[string]string
}

// Length limits keeping every header line below the 998 characters of
// RFC 5322 (encoded words are folded on lines of their own).
const (
	maxHeaderValue = 900 // bytes of a Subject or extra header value
	maxAddrSpec    = 254 // bytes of local@domain (RFC 3696 errata 1690)
	maxDisplayName = 200 // bytes of the name in "Name <local@domain>"
)

// reservedHeaders are set by the Mailer and cannot be given in Headers.
var reservedHeaders = []string{"Bcc", "Cc", "Content-Transfer-Encoding", "Content-Type", "Date", "From",
	"Message-Id", "Mime-Version", "Received", "Return-Path", "Sender", "Subject", "To"}

// envelope is a built message with its SMTP envelope.
type envelope struct {
	from string   // MAIL FROM address
	rcpt []string // RCPT TO addresses
	data []byte   // RFC 5322 message with CRLF line ends
}

// build validates m and renders it. Every error is a plain error naming the
// faulty field; Send turns it into core.Invalid.
func build(m Message, from *mail.Address, date time.Time, msgID string) (*envelope, error) {
	if len(m.To) == 0 {
		return nil, errors.New("To: no recipient")
	}
	env := &envelope{from: from.Address}
	var to []string
	for i, s := range m.To {
		a, err := parseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("To[%d]: %v", i, err)
		}
		env.rcpt = append(env.rcpt, a.Address)
		to = append(to, formatAddress(a))
	}
	// Parsers drop the blanks around a field value: drop them here too.
	m.Subject = strings.Trim(m.Subject, " \t")
	if err := checkText("Subject", m.Subject, true); err != nil {
		return nil, err
	}
	if m.Text == "" {
		return nil, errors.New("Text: the plain-text body is empty")
	}
	if err := checkText("Text", m.Text, false); err != nil {
		return nil, err
	}
	if err := checkText("HTML", m.HTML, false); err != nil {
		return nil, err
	}
	extra, err := extraHeaders(m.Headers)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	header(&b, "Date", date.Format(time.RFC1123Z))
	header(&b, "From", formatAddress(from))
	header(&b, "To", strings.Join(to, ",\r\n "))
	header(&b, "Subject", encodeWords(m.Subject))
	header(&b, "Message-ID", msgID)
	header(&b, "MIME-Version", "1.0")
	for _, kv := range extra {
		header(&b, kv[0], kv[1])
	}
	if m.HTML == "" {
		header(&b, "Content-Type", "text/plain; charset=utf-8")
		header(&b, "Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
	} else {
		writeAlternative(&b, m.Text, m.HTML)
	}
	env.data = b.Bytes()
	return env, nil
}

// parseAddress parses one RFC 5322 address whose addr-spec SMTP can carry.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("%q contains a line break (header injection refused)", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid address: %v", s, err)
	}
	return a, checkAddress(s, a)
}

// checkAddress checks what net/mail accepts but SMTP or our header lines
// cannot carry. s is the text the caller gave, for messages.
func checkAddress(s string, a *mail.Address) error {
	if len(a.Address) > maxAddrSpec {
		return fmt.Errorf("%q: the address is longer than %d bytes", s, maxAddrSpec)
	}
	if len(a.Name) > maxDisplayName {
		return fmt.Errorf("%q: the display name is longer than %d bytes", s, maxDisplayName)
	}
	for _, c := range []byte(a.Address) {
		if c >= utf8.RuneSelf {
			return fmt.Errorf("%q: non-ASCII addresses are not supported", s)
		}
		if c <= ' ' || c == 0x7f {
			return fmt.Errorf("%q: the address contains a space or a control character", s)
		}
	}
	return nil
}

// formatAddress renders a for a header, folded between encoded words.
func formatAddress(a *mail.Address) string { return fold(a.String()) }

// checkText refuses invalid UTF-8, and in a header also line breaks and
// other control characters and overlong values.
func checkText(field, s string, isHeader bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: not valid UTF-8", field)
	}
	if !isHeader {
		return nil
	}
	if strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("%s: contains a line break (header injection refused)", field)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
		return fmt.Errorf("%s: contains a control character", field)
	}
	if len(s) > maxHeaderValue {
		return fmt.Errorf("%s: longer than %d bytes", field, maxHeaderValue)
	}
	return nil
}

// extraHeaders validates the caller's header fields and returns them as
// canonical (name, encoded value) pairs in a stable order.
func extraHeaders(h map[string]string) ([][2]string, error) {
	var out [][2]string
	auto := false
	for name, value := range h {
		field := fmt.Sprintf("Headers[%q]", name)
		if !validFieldName(name) {
			return nil, fmt.Errorf("%s: invalid header name", field)
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if slices.Contains(reservedHeaders, canon) {
			return nil, fmt.Errorf("%s: this header is set by the mailer", field)
		}
		value = strings.Trim(value, " \t")
		if err := checkText(field, value, true); err != nil {
			return nil, err
		}
		switch canon {
		case "Reply-To":
			list, err := mail.ParseAddressList(value)
			if err != nil {
				return nil, fmt.Errorf("%s: %q is not a valid address list: %v", field, value, err)
			}
			var parts []string
			for _, a := range list {
				if err := checkAddress(value, a); err != nil {
					return nil, fmt.Errorf("%s: %v", field, err)
				}
				parts = append(parts, formatAddress(a))
			}
			value = strings.Join(parts, ",\r\n ")
		case "Auto-Submitted":
			auto = true
			fallthrough
		default:
			value = encodeWords(value)
		}
		out = append(out, [2]string{canon, value})
	}
	if !auto {
		out = append(out, [2]string{"Auto-Submitted", "auto-generated"})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out, nil
}

// validFieldName accepts RFC 5322 field names: printable ASCII but ':'.
func validFieldName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' || s[i] == ':' {
			return false
		}
	}
	return true
}

// encodeWords Q-encodes s when it is not plain ASCII (RFC 2047), folding
// between encoded words so that no line grows too long.
func encodeWords(s string) string {
	return fold(mime.QEncoding.Encode("utf-8", s))
}

// fold breaks a header value between adjacent encoded words. Unfolding
// gives the value back, so this is safe even inside a quoted string.
func fold(s string) string { return strings.ReplaceAll(s, "?= =?", "?=\r\n =?") }

// header writes one header field.
func header(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(": ")
	b.WriteString(value)
	b.WriteString("\r\n")
}

// writeQP writes s quoted-printable with CRLF line ends.
func writeQP(b *bytes.Buffer, s string) {
	w := quotedprintable.NewWriter(b)
	_, _ = w.Write([]byte(s)) // writes to a bytes.Buffer cannot fail
	_ = w.Close()
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
}

// writeAlternative writes the content headers and body of a
// multipart/alternative message with a text and an HTML part.
func writeAlternative(b *bytes.Buffer, text, html string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range [][2]string{{"text/plain", text}, {"text/html", html}} {
		pw, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p[0] + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		var part bytes.Buffer
		writeQP(&part, p[1])
		_, _ = pw.Write(part.Bytes())
	}
	_ = mw.Close()
	header(b, "Content-Type", mime.FormatMediaType("multipart/alternative",
		map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	b.Write(body.Bytes())
	b.WriteString("\r\n")
}
