// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package davd

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/files"
)

// fileSystem is webdav.FileSystem over files.Service for one request.
type fileSystem struct {
	files *files.Service
	st    *reqState
	size  int64 // the PUT's announced length, -1 unknown

	mu     sync.Mutex
	listed map[string]*listedEntry // the entries of folders listed in this request, by path
	quotas map[string]*files.Quota // by folder path
}

type listedEntry struct {
	e     *files.Entry
	props string
}

var errNotDir = errors.New("not a folder")

// osError turns a files error into what webdav tests with os.IsNotExist,
// os.IsExist and os.IsPermission, and records it for the status mapper.
func (f *fileSystem) osError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	f.st.note(err)
	switch core.KindOf(err) {
	case core.NotFound:
		return &os.PathError{Op: op, Path: name, Err: os.ErrNotExist}
	case core.Exists:
		return &os.PathError{Op: op, Path: name, Err: os.ErrExist}
	case core.Permission:
		return &os.PathError{Op: op, Path: name, Err: os.ErrPermission}
	}
	return &os.PathError{Op: op, Path: name, Err: err}
}

func (f *fileSystem) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	_, err := f.files.Mkdir(ctx, name)
	return f.osError("mkdir", name, err)
}

func (f *fileSystem) RemoveAll(ctx context.Context, name string) error {
	return f.osError("remove", name, f.files.Remove(ctx, name))
}

func (f *fileSystem) Rename(ctx context.Context, oldName, newName string) error {
	_, err := f.files.Move(ctx, oldName, newName, true)
	return f.osError("rename", oldName, err)
}

func (f *fileSystem) cachedEntry(name string) *listedEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listed[path.Clean(name)]
}

func (f *fileSystem) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	if le := f.cachedEntry(name); le != nil {
		return info{le.e}, nil
	}
	e, err := f.files.Stat(ctx, name)
	if err != nil {
		return nil, f.osError("stat", name, err)
	}
	return info{e}, nil
}

func (f *fileSystem) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	if flag&(os.O_CREATE|os.O_TRUNC) != 0 || flag&os.O_WRONLY != 0 {
		return f.create(ctx, name)
	}
	// O_RDWR alone is PROPPATCH opening an existing item for its properties.
	var e *files.Entry
	props, known := "", false
	if le := f.cachedEntry(name); le != nil {
		e, props, known = le.e, le.props, true
	} else {
		var err error
		if e, err = f.files.Stat(ctx, name); err != nil {
			return nil, f.osError("open", name, err)
		}
	}
	return &file{fs: f, ctx: ctx, name: path.Clean(name), e: e, props: props, propsKnown: known}, nil
}

// quota returns the quota of the space a folder lies in, once per request.
func (f *fileSystem) quota(ctx context.Context, name string) *files.Quota {
	f.mu.Lock()
	q, ok := f.quotas[name]
	f.mu.Unlock()
	if ok {
		return q
	}
	q, _ = f.files.Quota(ctx, name)
	f.mu.Lock()
	if f.quotas == nil {
		f.quotas = map[string]*files.Quota{}
	}
	f.quotas[name] = q
	f.mu.Unlock()
	return q
}

// info is an os.FileInfo that also gives webdav the stored ETag and the
// content type from the name, so that PROPFIND never reads content.
type info struct{ e *files.Entry }

func (i info) Name() string {
	if i.e.Name == "" {
		return "/"
	}
	return i.e.Name
}
func (i info) Size() int64 { return i.e.Size }
func (i info) Mode() fs.FileMode {
	if i.e.Dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i info) ModTime() time.Time { return i.e.ModTime }
func (i info) IsDir() bool        { return i.e.Dir }
func (i info) Sys() any           { return nil }

func (i info) ETag(context.Context) (string, error) {
	if i.e.ETag == "" {
		return "", webdav.ErrNotImplemented
	}
	return i.e.ETag, nil
}

func (i info) ContentType(context.Context) (string, error) {
	if i.e.Dir {
		return "", webdav.ErrNotImplemented
	}
	return i.e.ContentType, nil
}

// file is an open file or folder for reading, listing and properties. Its
// content is opened at the first Read or Seek only.
type file struct {
	fs         *fileSystem
	ctx        context.Context
	name       string
	e          *files.Entry
	rc         io.ReadSeekCloser
	pos        int64
	listed     []os.FileInfo
	done       bool
	props      string
	propsKnown bool
}

func (f *file) open() error {
	if f.rc != nil {
		return nil
	}
	if f.e.Dir {
		return &os.PathError{Op: "read", Path: f.name, Err: errNotDir}
	}
	rc, _, err := f.fs.files.Open(f.ctx, f.name)
	if err != nil {
		return f.fs.osError("open", f.name, err)
	}
	if f.pos != 0 {
		if _, err := rc.Seek(f.pos, io.SeekStart); err != nil {
			rc.Close()
			return err
		}
	}
	f.rc = rc
	return nil
}

func (f *file) Read(p []byte) (int, error) {
	if err := f.open(); err != nil {
		return 0, err
	}
	n, err := f.rc.Read(p)
	f.pos += int64(n)
	return n, err
}

func (f *file) Seek(off int64, whence int) (int64, error) {
	if f.rc == nil {
		// webdav seeks to find the size; no need to open for that.
		switch whence {
		case io.SeekStart:
			f.pos = off
		case io.SeekCurrent:
			f.pos += off
		case io.SeekEnd:
			f.pos = f.e.Size + off
		}
		return f.pos, nil
	}
	pos, err := f.rc.Seek(off, whence)
	f.pos = pos
	return pos, err
}

func (f *file) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: f.name, Err: os.ErrPermission}
}

func (f *file) Close() error {
	if f.rc != nil {
		return f.rc.Close()
	}
	return nil
}

func (f *file) Stat() (os.FileInfo, error) { return info{f.e}, nil }

func (f *file) Readdir(count int) ([]os.FileInfo, error) {
	if !f.e.Dir {
		return nil, &os.PathError{Op: "readdir", Path: f.name, Err: errNotDir}
	}
	if f.listed == nil && !f.done {
		es, props, err := f.fs.files.ListWithProps(f.ctx, f.name)
		if err != nil {
			return nil, f.fs.osError("readdir", f.name, err)
		}
		f.fs.mu.Lock()
		if f.fs.listed == nil {
			f.fs.listed = map[string]*listedEntry{}
		}
		for _, e := range es {
			f.listed = append(f.listed, info{e})
			f.fs.listed[path.Clean(e.Path)] = &listedEntry{e: e, props: props[e.NodeID]}
		}
		f.fs.mu.Unlock()
		f.done = true
	}
	if count <= 0 {
		out := f.listed
		f.listed = nil
		return out, nil
	}
	if len(f.listed) == 0 {
		return nil, io.EOF
	}
	n := min(count, len(f.listed))
	out := f.listed[:n]
	f.listed = f.listed[n:]
	return out, nil
}

// storedProp is a dead property as stored.
type storedProp struct {
	Space string `json:"s"`
	Local string `json:"l"`
	Lang  string `json:"g,omitempty"`
	Inner string `json:"v"`
}

var (
	quotaAvail = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	quotaUsed  = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
)

// DeadProps returns the stored properties plus, on folders, the RFC 4331
// quota properties.
func (f *file) DeadProps() (map[xml.Name]webdav.Property, error) {
	out := map[xml.Name]webdav.Property{}
	if !f.propsKnown && !f.e.Virtual && f.e.NodeID != "" {
		p, err := f.fs.files.Props(f.ctx, f.name)
		if err != nil {
			return nil, err
		}
		f.props, f.propsKnown = p, true
	}
	if f.props != "" {
		var ps []storedProp
		if err := json.Unmarshal([]byte(f.props), &ps); err == nil {
			for _, p := range ps {
				n := xml.Name{Space: p.Space, Local: p.Local}
				out[n] = webdav.Property{XMLName: n, Lang: p.Lang, InnerXML: []byte(p.Inner)}
			}
		}
	}
	if f.e.Dir {
		if q := f.fs.quota(f.ctx, f.name); q != nil {
			av := q.Available()
			if av < 0 {
				av = 1 << 50 // unlimited: a large figure, as clients expect a number
			}
			out[quotaAvail] = webdav.Property{XMLName: quotaAvail, InnerXML: []byte(strconv.FormatInt(av, 10))}
			out[quotaUsed] = webdav.Property{XMLName: quotaUsed, InnerXML: []byte(strconv.FormatInt(q.Used, 10))}
		}
	}
	return out, nil
}

// Patch sets or removes dead properties, all or none.
func (f *file) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	ok := webdav.Propstat{Status: http.StatusOK}
	bad := webdav.Propstat{Status: http.StatusForbidden}
	if f.e.Virtual || f.e.NodeID == "" {
		for _, p := range patches {
			for _, x := range p.Props {
				bad.Props = append(bad.Props, webdav.Property{XMLName: x.XMLName})
			}
		}
		return []webdav.Propstat{bad}, nil
	}
	cur, err := f.DeadProps()
	if err != nil {
		return nil, err
	}
	delete(cur, quotaAvail)
	delete(cur, quotaUsed)
	for _, p := range patches {
		for _, x := range p.Props {
			if x.XMLName == quotaAvail || x.XMLName == quotaUsed {
				bad.Props = append(bad.Props, webdav.Property{XMLName: x.XMLName})
				continue
			}
			ok.Props = append(ok.Props, webdav.Property{XMLName: x.XMLName})
			if p.Remove {
				delete(cur, x.XMLName)
			} else {
				cur[x.XMLName] = x
			}
		}
	}
	if len(bad.Props) > 0 {
		dep := webdav.Propstat{Status: http.StatusFailedDependency, Props: ok.Props}
		return []webdav.Propstat{bad, dep}, nil
	}
	var ps []storedProp
	for n, p := range cur {
		ps = append(ps, storedProp{Space: n.Space, Local: n.Local, Lang: p.Lang, Inner: string(p.InnerXML)})
	}
	body := ""
	if len(ps) > 0 {
		b, err := json.Marshal(ps)
		if err != nil {
			return nil, err
		}
		body = string(b)
	}
	if err := f.fs.files.SetProps(f.ctx, f.name, body); err != nil {
		f.fs.st.note(err)
		if core.IsKind(err, core.Internal) {
			return nil, err
		}
		for i := range ok.Props {
			bad.Props = append(bad.Props, ok.Props[i])
		}
		return []webdav.Propstat{bad}, nil
	}
	f.props, f.propsKnown = body, true
	return []webdav.Propstat{ok}, nil
}

// writer is a file opened for writing: the bytes stream through a pipe into
// files.Service.Put, which commits on Close (or on Stat, which webdav's PUT
// calls before Close to learn the ETag).
type writer struct {
	fs   *fileSystem
	name string
	pw   *io.PipeWriter
	done chan struct{}
	e    *files.Entry
	err  error
	once sync.Once
}

func (f *fileSystem) create(ctx context.Context, name string) (webdav.File, error) {
	// Fail early when the folder is missing or not writable.
	dir := path.Dir(path.Clean(name))
	if e, err := f.files.Stat(ctx, dir); err != nil {
		return nil, f.osError("create", name, err)
	} else if !e.Dir {
		return nil, &os.PathError{Op: "create", Path: name, Err: os.ErrNotExist}
	} else if e.Level < files.Write && !(e.Virtual && e.Level >= files.Read) {
		err := core.E("davd", core.Permission, "you may not write in %s", dir)
		return nil, f.osError("create", name, err)
	}
	if e, err := f.files.Stat(ctx, name); err == nil && e.Dir {
		return nil, &os.PathError{Op: "create", Path: name, Err: errNotDir}
	}
	pr, pw := io.Pipe()
	w := &writer{fs: f, name: name, pw: pw, done: make(chan struct{})}
	size := f.size
	f.size = -1 // a COPY writes several files: only a PUT announces one
	go func() {
		defer close(w.done)
		e, err := f.files.Put(ctx, name, pr, files.PutOptions{Size: size})
		w.e, w.err = e, err
		pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
	}()
	return w, nil
}

func (w *writer) Write(p []byte) (int, error) {
	n, err := w.pw.Write(p)
	if err != nil {
		<-w.done
		if w.err != nil {
			return n, w.fs.osError("write", w.name, w.err)
		}
	}
	return n, err
}

func (w *writer) finish() error {
	w.once.Do(func() {
		_ = w.pw.Close()
		<-w.done
	})
	if w.err != nil {
		return w.fs.osError("write", w.name, w.err)
	}
	return nil
}

func (w *writer) Close() error { return w.finish() }

func (w *writer) Stat() (os.FileInfo, error) {
	if err := w.finish(); err != nil {
		return nil, err
	}
	return info{w.e}, nil
}

func (w *writer) Read([]byte) (int, error) { return 0, io.EOF }
func (w *writer) Seek(int64, int) (int64, error) {
	return 0, nil
}
func (w *writer) Readdir(int) ([]os.FileInfo, error) { return nil, errNotDir }
