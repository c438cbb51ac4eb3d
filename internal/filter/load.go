// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package filter

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/core"
)

// Load reads UT1 lists from a folder (the unpacked archive, with or
// without its top-level blacklists/ folder) or from a .tar.gz / .tar
// archive, streamed. A corrupt archive, an expression that does not
// compile, or lists with no entry at all are refused with an error naming
// the problem; lines that are not host names are skipped and counted.
func Load(src string) (*Lists, error) {
	const op = "filter.Load"
	st, err := os.Stat(src)
	if err != nil {
		return nil, core.E(op, core.Invalid, "cannot read the lists %s: %v", src, errors.Unwrap(err))
	}
	start := time.Now()
	var l *Lists
	if st.IsDir() {
		l, err = loadDir(src)
	} else {
		f, ferr := os.Open(src)
		if ferr != nil {
			return nil, core.E(op, core.Invalid, "cannot open %s: %v", src, ferr)
		}
		defer f.Close()
		l, err = LoadArchive(f, st.Size())
	}
	if err != nil {
		return nil, err
	}
	l.stats.Source = src
	l.stats.LoadedAt = time.Now()
	l.stats.Duration = time.Since(start)
	return l, nil
}

// LoadArchive reads a UT1 archive (gzip-compressed or plain tar) from r.
// size, when known, sizes the tables ahead.
func LoadArchive(r io.Reader, size int64) (*Lists, error) {
	const op = "filter.LoadArchive"
	br := newPeekReader(r)
	var tr *tar.Reader
	if magic, _ := br.peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, core.E(op, core.Invalid, "not a gzip archive: %v", err)
		}
		defer zr.Close()
		tr = tar.NewReader(zr)
		size *= 4
	} else {
		tr = tar.NewReader(br)
	}
	b := newBuilder(int(size / 20))
	var global map[string]globalEntry
	seen := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, core.E(op, core.Invalid, "the archive is damaged after %d entries: %v", seen, err)
		}
		seen++
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		dir, base := path.Split(name)
		cat := path.Base(dir)
		switch h.Typeflag {
		case tar.TypeSymlink:
			t := h.Linkname
			if !strings.Contains(t, "/") && t != ".." && t != "." && validCategory(base) {
				b.aliases[base] = t
			}
			continue
		case tar.TypeReg, tar.TypeRegA:
		default:
			continue
		}
		if base == "global_usage" {
			data, err := io.ReadAll(io.LimitReader(tr, 4<<20))
			if err != nil {
				return nil, core.E(op, core.Invalid, "%s: %v", name, err)
			}
			global = ParseGlobalUsage(data)
			continue
		}
		if dir == "" || !validCategory(cat) || !listFile(base) {
			continue
		}
		if err := b.readFile(cat, name, base, tr); err != nil {
			return nil, err
		}
	}
	return b.finish(global)
}

func listFile(base string) bool {
	switch base {
	case "domains", "urls", "expressions", "very_restrictive_expression", "usage":
		return true
	}
	return false
}

// validCategory accepts the folder names UT1 uses.
func validCategory(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (b *builder) readFile(cat, name, base string, r io.Reader) error {
	i, err := b.category(cat)
	if err != nil {
		return err
	}
	switch base {
	case "domains":
		return b.readDomains(i, name, r)
	case "urls":
		return b.readURLs(i, name, r)
	case "expressions":
		return b.readExpressions(i, name, false, r)
	case "very_restrictive_expression":
		return b.readExpressions(i, name, true, r)
	case "usage":
		return b.readUsage(i, r)
	}
	return nil
}

func loadDir(root string) (*Lists, error) {
	const op = "filter.Load"
	if st, err := os.Stat(filepath.Join(root, "blacklists")); err == nil && st.IsDir() {
		root = filepath.Join(root, "blacklists")
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, core.E(op, core.Invalid, "cannot read the folder %s: %v", root, err)
	}
	var total int64
	var cats []string
	for _, e := range ents {
		name := e.Name()
		if !validCategory(name) {
			continue
		}
		full := filepath.Join(root, name)
		if e.Type()&os.ModeSymlink != 0 {
			t, err := os.Readlink(full)
			if err == nil && !strings.ContainsAny(t, `/\`) && t != ".." && t != "." {
				cats = append(cats, "@"+name+"="+t)
			}
			continue
		}
		if !e.IsDir() {
			continue
		}
		cats = append(cats, name)
		if st, err := os.Stat(filepath.Join(full, "domains")); err == nil {
			total += st.Size()
		}
	}
	sort.Strings(cats)
	b := newBuilder(int(total / 20))
	for _, c := range cats {
		if strings.HasPrefix(c, "@") {
			alias, target, _ := strings.Cut(c[1:], "=")
			b.aliases[alias] = target
			continue
		}
		for _, base := range []string{"usage", "domains", "urls", "expressions", "very_restrictive_expression"} {
			p := filepath.Join(root, c, base)
			f, err := os.Open(p)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, core.E(op, core.Invalid, "cannot read %s: %v", p, err)
			}
			err = b.readFile(c, c+"/"+base, base, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	var global map[string]globalEntry
	if data, err := os.ReadFile(filepath.Join(root, "global_usage")); err == nil {
		global = ParseGlobalUsage(data)
	}
	return b.finish(global)
}

// peekReader lets LoadArchive look at the magic bytes of a stream.
type peekReader struct {
	r   io.Reader
	buf []byte
}

func newPeekReader(r io.Reader) *peekReader { return &peekReader{r: r} }

func (p *peekReader) peek(n int) ([]byte, error) {
	for len(p.buf) < n {
		tmp := make([]byte, n-len(p.buf))
		k, err := p.r.Read(tmp)
		p.buf = append(p.buf, tmp[:k]...)
		if err != nil {
			return p.buf, err
		}
	}
	return p.buf[:n], nil
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// Holder keeps the lists in force and swaps them atomically: requests in
// flight finish with the lists they started with, and a failed reload
// leaves the previous lists in force.
type Holder struct {
	cur atomic.Pointer[Lists]
}

// Lists returns the lists in force (nil before the first load).
func (h *Holder) Lists() *Lists { return h.cur.Load() }

// Set puts l in force.
func (h *Holder) Set(l *Lists) { h.cur.Store(l) }

// Reload loads src and puts it in force; on error the previous lists stay.
func (h *Holder) Reload(src string) (*Lists, error) {
	l, err := Load(src)
	if err != nil {
		return nil, err
	}
	h.cur.Store(l)
	return l, nil
}

// ParseMD5Sums reads UT1's MD5SUM.LST: one "<md5hex> <name>" line per
// archive (formats.md §1.1). It returns the checksums by file name; lines
// that are not a 32-digit hex sum and a name are skipped.
func ParseMD5Sums(data []byte) map[string]string {
	out := map[string]string{}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || len(f[0]) != 32 {
			continue
		}
		sum := strings.ToLower(f[0])
		if strings.Trim(sum, "0123456789abcdef") != "" {
			continue
		}
		name := strings.TrimPrefix(f[len(f)-1], "*") // md5sum's binary marker
		out[path.Base(name)] = sum
	}
	return out
}
