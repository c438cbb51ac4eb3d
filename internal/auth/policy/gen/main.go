// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command gen writes common-passwords.txt, the common-password list of
// package policy, from JSON arrays of words (the lists of the zxcvbn-ts
// language packages). Entries are folded as policy.Fold does (lower case,
// no accents), those shorter than 4 characters, with spaces or starting
// with "#" are dropped, and duplicates keep their first (most frequent)
// place. gen/regen.sh fetches the packages and runs it:
//
//	go run ./gen -out common-passwords.txt -source "…" -note "…" a.json b.json …
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/preau/preau/internal/auth/policy"
)

func main() {
	out := flag.String("out", "common-passwords.txt", "file to write")
	source := flag.String("source", "", "where the lists come from, for the header")
	date := flag.String("date", time.Now().UTC().Format(time.DateOnly), "extraction date, for the header")
	var notes []string
	flag.Func("note", "a further header line (repeatable)", func(s string) error { notes = append(notes, s); return nil })
	flag.Parse()
	if err := run(*out, *source, *date, notes, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out, source, date string, notes, files []string) error {
	if source == "" || len(files) == 0 {
		return fmt.Errorf("usage: gen -source TEXT [-note TEXT]… [-out FILE] LIST.json…")
	}
	seen := map[string]bool{}
	var words []string
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return fmt.Errorf("%s: not a JSON array of strings: %w", f, err)
		}
		kept := 0
		for _, w := range list {
			w = policy.Fold(strings.TrimSpace(w))
			if utf8.RuneCountInString(w) < 4 || strings.HasPrefix(w, "#") || strings.IndexFunc(w, unicode.IsSpace) >= 0 ||
				!utf8.ValidString(w) || seen[w] {
				continue
			}
			seen[w] = true
			words = append(words, w)
			kept++
		}
		names = append(names, fmt.Sprintf("%s (%d)", filepath.Base(f), kept))
	}
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(fh)
	fmt.Fprintf(w, "# source: %s, extracted %s\n", source, date)
	fmt.Fprintf(w, "# lists, in this order: %s\n", strings.Join(names, ", "))
	for _, n := range notes {
		fmt.Fprintf(w, "# %s\n", n)
	}
	fmt.Fprintf(w, "# one entry a line: lower case, accents removed, 4 characters or more, no duplicates\n")
	for _, word := range words {
		w.WriteString(word)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
