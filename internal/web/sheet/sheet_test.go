// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package sheet_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/preau/preau/internal/web/sheet"
)

func sample(n int) sheet.Sheet {
	s := sheet.Sheet{At: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), Uncompressed: true,
		Labels: sheet.Labels{Title: "Fiches — 6e A", Class: "Classe", Login: "Identifiant", Password: "Mot de passe",
			Portal: "Adresse", Instructions: "Changez ce mot de passe à la première connexion."}}
	for i := range n {
		s.Cards = append(s.Cards, sheet.Card{Establishment: "Collège Hélène-Boucher", Name: "Zoé Lefèvre",
			Class: "6A", Login: "zoe.lefevre" + string(rune('a'+i%26)), Password: "lapin-vert-47", Portal: "https://preau.test/"})
	}
	return s
}

// CARINE: INF-AUT-9 — the password sheet prints as a PDF: a real PDF
// document, one card per account with the login and the password, French
// accents kept (cp1252), ten cards a page.
func TestWritePDF_INF_AUT_9(t *testing.T) {
	var b bytes.Buffer
	if err := sample(12).WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	pdf := b.String()
	if !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("not a PDF: %q", pdf[:min(20, len(pdf))])
	}
	for _, want := range []string{"zoe.lefevrea", "zoe.lefevrel", "lapin-vert-47", "(Zo\xe9 Lef\xe8vre)"} {
		if !strings.Contains(pdf, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if n := strings.Count(pdf, "/Type /Page\n"); n != 2 {
		t.Errorf("12 cards on %d pages, want 2", n)
	}
	u, err := sample(1).DataURL()
	if err != nil || !strings.HasPrefix(u, "data:application/pdf;base64,JVBER") {
		t.Fatalf("data URL: %v %.40s", err, u)
	}
}

func TestWritePDFCompressedByDefault(t *testing.T) {
	s := sample(1)
	s.Uncompressed = false
	var b bytes.Buffer
	if err := s.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "lapin-vert-47") {
		t.Fatal("the password is readable in a compressed PDF stream")
	}
}

// FuzzWritePDF: names and logins come from imports; whatever they hold, the
// sheet is written without panicking.
func FuzzWritePDF(f *testing.F) {
	f.Add("Zoé Lefèvre", "zoe.lefevre", "lapin-vert-47")
	f.Add("Ŝ€ (paren) \\ back", "x", "")
	f.Add(strings.Repeat("Æ", 300), "😀", "\x00\xff")
	f.Fuzz(func(t *testing.T, name, login, pw string) {
		s := sample(0)
		s.Cards = []sheet.Card{{Name: name, Login: login, Password: pw, Class: name, Establishment: name}}
		var b bytes.Buffer
		if err := s.WritePDF(&b); err != nil {
			t.Fatal(err)
		}
	})
}
