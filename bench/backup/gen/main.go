// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command gen writes the backup benchmark's corpus: office-like documents
// (compressible text and XML), images (incompressible bytes) and many small
// files, deterministically from a seed; with -mutate it changes a fraction
// of the corpus (rewrites, appends, new files, deletions).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var words = strings.Fields(`le la les un une des et en à au aux pour par sur dans avec sans élève élèves classe classes
professeur professeure cours devoir devoirs note notes bulletin trimestre collège lycée école mathématiques français histoire
géographie physique chimie sciences anglais espagnol allemand éducation physique musique arts plastiques technologie
conseil réunion parents projet sortie voyage cantine emploi du temps salle bâtiment administration vie scolaire absence
retard exercice chapitre leçon évaluation compétence progrès travail année septembre octobre novembre décembre janvier`)

func text(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		if r.Intn(12) == 0 {
			b.WriteString(".\n")
		}
		b.WriteString(words[r.Intn(len(words))])
		b.WriteByte(' ')
	}
	return b.Bytes()[:n]
}

func doc(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"><office:body>`)
	for b.Len() < n {
		fmt.Fprintf(&b, `<text:p text:style-name="P%d">%s</text:p>`, r.Intn(20), text(r, 80+r.Intn(400)))
	}
	return b.Bytes()[:n]
}

func img(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	copy(b, "\xff\xd8\xff\xe0\x00\x10JFIF")
	return b
}

func write(p string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func main() {
	dir := flag.String("dir", "", "corpus folder")
	mb := flag.Int("mb", 512, "corpus size in MiB")
	seed := flag.Int64("seed", 1, "seed")
	mutate := flag.Float64("mutate", 0, "change this fraction of the corpus's bytes instead of generating it")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	r := rand.New(rand.NewSource(*seed))
	if *mutate > 0 {
		var files []string
		var total int64
		filepath.WalkDir(*dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
				fi, _ := d.Info()
				total += fi.Size()
			}
			return nil
		})
		sort.Strings(files)
		budget := int64(float64(total) * *mutate)
		for budget > 0 && len(files) > 0 {
			i := r.Intn(len(files))
			p := files[i]
			b, _ := os.ReadFile(p)
			switch r.Intn(4) {
			case 0: // an edit in the middle of a document
				if len(b) > 1000 {
					off := r.Intn(len(b) - 500)
					copy(b[off:], text(r, 400))
				}
				write(p, b)
				budget -= 64 << 10
			case 1: // an append
				write(p, append(b, text(r, 20000)...))
				budget -= 20000
			case 2: // a new image
				n := 200<<10 + r.Intn(1<<20)
				write(filepath.Join(*dir, "photos", fmt.Sprintf("new-%d-%d.jpg", *seed, r.Int())), img(r, n))
				budget -= int64(n)
			default: // a deletion
				os.Remove(p)
				budget -= int64(len(b))
			}
			files = append(files[:i], files[i+1:]...)
		}
		return
	}
	target := int64(*mb) << 20
	var n int64
	for i := 0; n < target; i++ {
		var p string
		var b []byte
		switch k := r.Intn(10); {
		case k < 4:
			p = filepath.Join(*dir, "documents", fmt.Sprintf("classe-%02d", i%40), fmt.Sprintf("cours-%05d.odt", i))
			b = doc(r, 20<<10+r.Intn(600<<10))
		case k < 6:
			p = filepath.Join(*dir, "photos", fmt.Sprintf("sortie-%02d", i%30), fmt.Sprintf("IMG_%05d.jpg", i))
			b = img(r, 300<<10+r.Intn(3<<20))
		default:
			p = filepath.Join(*dir, "petits", fmt.Sprintf("%03d", i%200), fmt.Sprintf("note-%05d.txt", i))
			b = text(r, 200+r.Intn(16<<10))
		}
		write(p, b)
		n += int64(len(b))
	}
}
