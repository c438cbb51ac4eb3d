// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Command gen writes a UT1 tree at real scale for the filter benchmarks:
// the real snapshot unpacked, plus a seeded adult/domains of about 4.6
// million lines in the real format (lowercase, no www., punycode for some
// IDNs, some IPv4 literals, a few leading dots), which the snapshot lacks.
//
//	go run ./bench/filter/gen -snapshot SNAPSHOT.tar.gz -out DIR [-lines 4600370] [-seed 1]
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	snapshot := flag.String("snapshot", "/work/shared/data/ut1/ut1-blacklists-2026-08-17-partial.tar.gz", "real UT1 snapshot")
	out := flag.String("out", "", "folder to write (the tree goes in OUT/blacklists)")
	lines := flag.Int("lines", 4600370, "lines of the generated adult/domains")
	seed := flag.Uint64("seed", 1, "generator seed")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		os.Exit(2)
	}
	if err := untar(*snapshot, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	p := filepath.Join(*out, "blacklists", "adult", "domains")
	if err := generate(p, *lines, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%d lines)\n", p, *lines)
}

var (
	syllables = []string{"ka", "lo", "mi", "ne", "po", "ra", "si", "tu", "va", "xo", "ze", "bi", "da", "fe", "go", "hu",
		"sex", "cam", "xxx", "hot", "girl", "porn", "tube", "live", "chat", "date", "nude", "teen", "milf", "vid"}
	tlds = []string{"com", "com", "com", "net", "org", "info", "xxx", "fr", "de", "ru", "nl", "co.uk", "com.br", "io",
		"tv", "biz", "club", "online", "site", "top", "xyz", "pl", "cz", "es", "it"}
)

// generate writes n distinct entries in the real line format.
func generate(path string, n int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		switch r := rng.IntN(1000); {
		case r < 3: // IPv4 literal
			fmt.Fprintf(&b, "%d.%d.%d.%d", 1+rng.IntN(223), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
		case r < 4: // punycode IDN
			fmt.Fprintf(&b, "xn--%s%d-%s.%s", word(rng, 2), i, word(rng, 1), tlds[rng.IntN(len(tlds))])
		default:
			if r < 6 {
				b.WriteByte('.') // the occasional leading dot
			}
			if rng.IntN(5) == 0 {
				b.WriteString(word(rng, 1))
				b.WriteByte('.')
			}
			// The counter keeps entries distinct, as in the real list.
			fmt.Fprintf(&b, "%s%s.%s", word(rng, 2+rng.IntN(3)), base36(i), tlds[rng.IntN(len(tlds))])
		}
		b.WriteByte('\n')
		if _, err := w.WriteString(b.String()); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func word(rng *rand.Rand, n int) string {
	var s string
	for range n {
		s += syllables[rng.IntN(len(syllables))]
	}
	return s
}

func base36(i int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 36 {
		b = append([]byte{digits[i%36]}, b...)
	}
	return string(b)
}

func untar(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	root, _ := filepath.Abs(dst)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(root, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, root+string(filepath.Separator)) {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			if !strings.Contains(h.Linkname, "/") {
				os.Remove(p)
				os.Symlink(h.Linkname, p)
			}
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			o, err := os.Create(p)
			if err != nil {
				return err
			}
			if _, err := io.Copy(o, tr); err != nil {
				o.Close()
				return err
			}
			o.Close()
		}
	}
}
