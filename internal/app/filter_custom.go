// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/filterweb"
)

// Custom lists are an establishment's own categories (one site per line).
// They live in the installed lists archive itself, each in its own folder
// with a ".preau-custom" marker: every install (an upload, a download, the
// command line) carries over the custom lists of the archive in force, so
// a new UT1 archive does not drop them, and every node that has the
// archive in force has them (the archive is shared through the blob store).

const customMarker = ".preau-custom"

// customLists returns the custom lists of the archive in force, by name
// (none when no lists are installed).
func customLists(cfg config.File) (map[string][]byte, error) {
	src := filterListsPath(cfg)
	if !fileExists(src) {
		return map[string][]byte{}, nil
	}
	marked := map[string]bool{}
	if err := scanArchive(src, func(name string, _ *tar.Reader) error {
		if path.Base(name) == customMarker {
			marked[archiveCategory(name)] = true
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	if len(marked) == 0 {
		return out, nil
	}
	err := scanArchive(src, func(name string, tr *tar.Reader) error {
		if cat := archiveCategory(name); marked[cat] && path.Base(name) == "domains" {
			b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
			if err != nil {
				return err
			}
			out[cat] = b
		}
		return nil
	})
	return out, err
}

// scanArchive calls fn for each regular file of a .tar.gz or .tar archive
// (a folder: for each file, with no reader).
func scanArchive(src string, fn func(name string, tr *tar.Reader) error) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			return fn(filepath.ToSlash(rel), nil)
		})
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	br := &peekable{r: f}
	var r io.Reader = br
	if magic, _ := br.peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return core.E("app.scanArchive", core.Invalid, "not a gzip archive: %v", err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return core.E("app.scanArchive", core.Invalid, "the archive is damaged: %v", err)
		}
		if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
			continue
		}
		if err := fn(h.Name, tr); err != nil {
			return err
		}
	}
}

// archiveCategory is the category folder of an archive entry ("" when the
// entry is not inside one).
func archiveCategory(name string) string {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	dir, _ := path.Split(name)
	if dir == "" {
		return ""
	}
	return path.Base(dir)
}

// mergeCustomLists writes to w the archive at src (a .tar.gz, a plain .tar
// or a folder) without the categories that were custom lists, plus the
// custom lists in force. A nil custom with no marked category copies src.
func mergeCustomLists(w io.Writer, src string, custom map[string][]byte) error {
	open := func() (io.ReadCloser, error) {
		info, err := os.Stat(src)
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(packDir(pw, src)) }()
			return pr, nil
		}
		return os.Open(src)
	}
	reader := func(rc io.Reader) (*tar.Reader, func(), error) {
		br := &peekable{r: rc}
		magic, _ := br.peek(2)
		if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			zr, err := gzip.NewReader(br)
			if err != nil {
				return nil, nil, core.E("app.mergeCustomLists", core.Invalid, "not a gzip archive: %v", err)
			}
			return tar.NewReader(zr), func() { zr.Close() }, nil
		}
		return tar.NewReader(br), func() {}, nil
	}
	// Pass 1: which categories were custom lists.
	drop := map[string]bool{}
	for name := range custom {
		drop[name] = true
	}
	rc, err := open()
	if err != nil {
		return err
	}
	tr, done, err := reader(rc)
	if err != nil {
		rc.Close()
		return err
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			done()
			rc.Close()
			return core.E("app.mergeCustomLists", core.Invalid, "the archive is damaged: %v", err)
		}
		if path.Base(h.Name) == customMarker {
			drop[archiveCategory(h.Name)] = true
		}
	}
	done()
	rc.Close()
	// Pass 2: copy, then add the custom lists.
	if rc, err = open(); err != nil {
		return err
	}
	defer rc.Close()
	if tr, done, err = reader(rc); err != nil {
		return err
	}
	defer done()
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return core.E("app.mergeCustomLists", core.Invalid, "the archive is damaged: %v", err)
		}
		cat := archiveCategory(h.Name)
		if h.Typeflag == tar.TypeDir {
			cat = path.Base(path.Clean(strings.TrimPrefix(h.Name, "./")))
		}
		if drop[cat] {
			continue
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(custom))
	for name := range custom {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		files := []struct {
			base string
			data []byte
		}{{"domains", custom[name]}, {"usage", []byte("black\n")}, {customMarker, nil}}
		if err := tw.WriteHeader(&tar.Header{Name: "blacklists/" + name + "/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
			return err
		}
		for _, f := range files {
			if err := tw.WriteHeader(&tar.Header{Name: "blacklists/" + name + "/" + f.base, Typeflag: tar.TypeReg, Mode: 0o644,
				Size: int64(len(f.data))}); err != nil {
				return err
			}
			if _, err := tw.Write(f.data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

type peekable struct {
	r   io.Reader
	buf []byte
}

func (p *peekable) peek(n int) ([]byte, error) {
	for len(p.buf) < n {
		b := make([]byte, n-len(p.buf))
		m, err := p.r.Read(b)
		p.buf = append(p.buf, b[:m]...)
		if err != nil {
			return p.buf, err
		}
	}
	return p.buf[:n], nil
}

func (p *peekable) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// withCustomLists returns src merged with custom (nil: the custom lists of
// the archive in force), as a temporary archive the caller removes with
// cleanup, or src itself when there is nothing to merge.
func withCustomLists(cfg config.File, src string, custom map[string][]byte) (string, func(), error) {
	if custom == nil {
		var err error
		if custom, err = customLists(cfg); err != nil {
			// An unreadable archive in force: the new one replaces it.
			custom = map[string][]byte{}
		}
	}
	if len(custom) == 0 && !hasCustomMarker(src) {
		return src, func() {}, nil
	}
	dir := filepath.Join(cfg.Data, "filter")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, err
	}
	tmp, err := os.CreateTemp(dir, ".merge-*.tar.gz")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	err = mergeCustomLists(tmp, src, custom)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return tmp.Name(), cleanup, nil
}

// CustomLists describes the custom lists for the page.
func (l *listsAdmin) CustomLists(ctx context.Context) ([]filterweb.CustomList, error) {
	custom, err := customLists(l.a.cfg)
	if err != nil {
		return nil, err
	}
	var out []filterweb.CustomList
	for name, b := range custom {
		out = append(out, filterweb.CustomList{Name: name, Entries: bytes.Count(b, []byte("\n"))})
	}
	slices.SortFunc(out, func(a, b filterweb.CustomList) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// SaveCustomList adds or replaces the custom list name and installs the
// lists in force merged with it; a category of the lists that is not a
// custom list cannot be replaced. It returns the refused lines.
func (l *listsAdmin) SaveCustomList(ctx context.Context, name string, data []byte) ([]string, error) {
	const op = "app.SaveCustomList"
	if !filter.ValidCustomName(name) {
		return nil, core.E(op, core.Invalid, "%q is not a list name: 2 to 40 lowercase letters, digits, - or _, starting with a letter", name)
	}
	l.customMu.Lock()
	defer l.customMu.Unlock()
	custom, err := customLists(l.a.cfg)
	if err != nil {
		return nil, err
	}
	if lists := l.a.filterNodeOf().eng.Lists(); lists != nil && custom[name] == nil {
		if _, ok := lists.Category(name); ok {
			return nil, core.E(op, core.Invalid, "the lists already have a category %q: choose another name", name)
		}
	}
	hosts, refused, err := filter.ParseDomainList(data)
	if err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		return refused, core.E(op, core.Invalid, "the list holds no site name (one per line, e.g. jeux.example)")
	}
	custom[name] = []byte(strings.Join(hosts, "\n") + "\n")
	return refused, l.reinstall(ctx, "custom:"+name, custom)
}

// DeleteCustomList removes a custom list and installs the lists without it.
func (l *listsAdmin) DeleteCustomList(ctx context.Context, name string) error {
	l.customMu.Lock()
	defer l.customMu.Unlock()
	custom, err := customLists(l.a.cfg)
	if err != nil {
		return err
	}
	if _, ok := custom[name]; !ok {
		return core.E("app.DeleteCustomList", core.NotFound, "no custom list %q", name)
	}
	delete(custom, name)
	return l.reinstall(ctx, "custom:-"+name, custom)
}

// reinstall installs the lists in force again (merged with the custom
// lists now), or the custom lists alone when none is installed.
func (l *listsAdmin) reinstall(ctx context.Context, source string, custom map[string][]byte) error {
	src := filterListsPath(l.a.cfg)
	if !fileExists(src) {
		empty := filepath.Join(l.a.cfg.Data, "filter", ".empty")
		if err := os.MkdirAll(empty, 0o700); err != nil {
			return err
		}
		src = empty
	}
	if _, _, err := installFilterLists(ctx, l.a.db, l.a.cfg, src, source, installOpts{Custom: custom, Blobs: l.a.blobs}); err != nil {
		return err
	}
	l.reload(ctx)
	return nil
}

// hasCustomMarker reports whether the archive or folder at src carries a
// custom list (an unreadable one carries none: loading it will say why).
func hasCustomMarker(src string) bool {
	found := errors.New("found")
	err := scanArchive(src, func(name string, _ *tar.Reader) error {
		if path.Base(name) == customMarker {
			return found
		}
		return nil
	})
	return errors.Is(err, found)
}
