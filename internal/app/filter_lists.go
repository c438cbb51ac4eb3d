// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package app

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/config"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/filter"
	"github.com/preau/preau/internal/filter/filterweb"
	"github.com/preau/preau/internal/fsutil"
	"github.com/preau/preau/internal/store"
)

// installFilterLists checks that the lists at src (an archive or a folder)
// load, installs them as the lists in force by an atomic rename (a folder
// is packed into the archive form) and records the import; running nodes
// reload within seconds. A list that does not load changes nothing: the
// error names the problem and the previous lists stay in force. progress,
// when set, hears of the bytes of an archive read so far.
func installFilterLists(ctx context.Context, db *store.DB, cfg config.File, src, name string,
	opts installOpts) (*store.FilterImport, filter.Stats, error) {
	progress := opts.Progress
	merged, cleanup, err := withCustomLists(cfg, src, opts.Custom)
	if err != nil {
		return nil, filter.Stats{}, fmt.Errorf("the lists were not imported, the previous ones stay in force: %w", err)
	}
	defer cleanup()
	src = merged
	info, err := os.Stat(src)
	if err != nil {
		return nil, filter.Stats{}, err
	}
	var l *filter.Lists
	if info.IsDir() || progress == nil {
		l, err = filter.Load(src)
	} else {
		var f *os.File
		if f, err = os.Open(src); err == nil {
			l, err = filter.LoadArchive(&countingReader{r: f, total: info.Size(), progress: progress}, info.Size())
			f.Close()
		}
	}
	if err != nil {
		return nil, filter.Stats{}, fmt.Errorf("the lists were not imported, the previous ones stay in force: %w", err)
	}
	st := l.Stats()
	dst := filterListsPath(cfg)
	h := sha256.New()
	err = fsutil.WriteFile(dst, 0o600, false, func(w io.Writer) error {
		w = io.MultiWriter(w, h)
		if info.IsDir() {
			return packDir(w, src)
		}
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return nil, st, fmt.Errorf("installing the lists in %s: %w", dst, err)
	}
	im := &store.FilterImport{Source: name, SHA256: hex.EncodeToString(h.Sum(nil)), Categories: st.Categories,
		Domains: st.Domains, URLs: st.URLs, Skipped: st.Skipped}
	if opts.Blobs != nil {
		if err := publishFilterLists(ctx, opts.Blobs, dst, im.SHA256); err != nil {
			return nil, st, fmt.Errorf("sharing the lists with the other servers: %w", err)
		}
	}
	if err := db.RecordFilterImport(ctx, im); err != nil {
		return nil, st, err
	}
	return im, st, nil
}

// installOpts are the options of installFilterLists.
type installOpts struct {
	// Progress, when set, hears of the bytes of an archive read so far.
	Progress func(read, total int64)
	// Custom are the custom lists to merge in; nil keeps those of the
	// archive in force.
	Custom map[string][]byte
	// Blobs, when set, receives the installed archive so that the other
	// nodes of the deployment install the same one.
	Blobs blob.Store
}

// filterListsKey is the blob key of an installed archive.
func filterListsKey(sha string) string { return "filter/lists/" + sha + ".tar.gz" }

// publishFilterLists copies the installed archive to the blob store, under
// its SHA-256.
func publishFilterLists(ctx context.Context, bs blob.Store, file, sha string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := bs.Create(ctx, filterListsKey(sha))
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := io.Copy(w, f); err != nil {
		return err
	}
	return w.Commit()
}

// ensureFilterLists makes the local archive the one of import im: a node
// that did not install it itself (another node downloaded or received it)
// copies it from the blob store, checking its SHA-256. It returns false
// when the local archive is not (yet) that one.
func (a *App) ensureFilterLists(ctx context.Context, im *store.FilterImport) bool {
	dst := filterListsPath(a.cfg)
	if sha, err := fileSHA256(dst); err == nil && sha == im.SHA256 {
		return true
	}
	if a.blobs == nil || im.SHA256 == "" {
		return false
	}
	r, _, err := a.blobs.Open(ctx, filterListsKey(im.SHA256))
	if err != nil {
		a.log.Warn("the lists in force are not in the blob store; this server keeps its own", "sha256", im.SHA256, "err", err)
		return false
	}
	defer r.Close()
	h := sha256.New()
	err = fsutil.WriteFile(dst, 0o600, false, func(w io.Writer) error {
		if _, err := io.Copy(io.MultiWriter(w, h), r); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != im.SHA256 {
			return fmt.Errorf("the shared lists have SHA-256 %s where the import says %s", got, im.SHA256)
		}
		return nil
	})
	if err != nil {
		a.log.Error("copying the lists in force from the blob store", "err", err)
		return false
	}
	return true
}

func fileSHA256(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(read, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.progress(c.n, c.total)
	return n, err
}

// downloadFilterLists downloads the archive at archiveURL into a temporary
// file of dir and checks it against the MD5SUM.LST published beside it (as
// UT1 does). The caller removes the file. A download that does not match
// its checksum is refused, naming both sums.
func downloadFilterLists(ctx context.Context, client *http.Client, archiveURL, dir string) (string, int64, error) {
	u, err := url.Parse(archiveURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", 0, usageErr("%q is not an http(s) URL", archiveURL)
	}
	sumsURL := *u
	sumsURL.Path = path.Join(path.Dir(u.Path), "MD5SUM.LST")
	sums, err := httpGetSmall(ctx, client, sumsURL.String())
	if err != nil {
		return "", 0, fmt.Errorf("fetching the checksums %s: %w", sumsURL.String(), err)
	}
	want := filter.ParseMD5Sums(sums)[path.Base(u.Path)]
	if want == "" {
		return "", 0, fmt.Errorf("%s lists no checksum for %s: nothing imported", sumsURL.String(), path.Base(u.Path))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, err
	}
	tmp, err := os.CreateTemp(dir, ".download-*.tar.gz")
	if err != nil {
		return "", 0, err
	}
	ok := false
	defer func() {
		tmp.Close()
		if !ok {
			os.Remove(tmp.Name())
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("User-Agent", "Preau/"+Version)
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("downloading %s: %w", u.String(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("downloading %s: %s", u.String(), resp.Status)
	}
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), resp.Body)
	if err != nil {
		return "", 0, fmt.Errorf("downloading %s: %w", u.String(), err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return "", 0, fmt.Errorf("the download of %s (%d bytes) has MD5 %s where MD5SUM.LST says %s: nothing imported", u.String(), n, got, want)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, err
	}
	ok = true
	return tmp.Name(), n, nil
}

// filterFetchLease is the store lease that makes one node of the
// deployment download the lists.
const filterFetchLease = "filter-fetch"

// filterFetchTick is how often the scheduler looks whether a download is
// due (listsAdmin.tick, which tests shorten); filterFetchRetry is how long
// it waits after a failed download before trying again.
const (
	filterFetchTick  = 30 * time.Second
	filterFetchRetry = time.Hour
)

// listsAdmin runs the lists' imports (uploads from the lists page) and
// downloads (on schedule, by one node, or asked for on the page); it is
// what the lists page acts on.
type listsAdmin struct {
	a        *App
	node     string
	client   *http.Client
	fetching atomic.Bool
	mu       sync.Mutex
	jobs     map[string]*listsJob
	reload   func(ctx context.Context) // applies new lists on this node
	customMu sync.Mutex                // one custom list change at a time
	tick     time.Duration             // how often the scheduler looks
}

type listsJob struct {
	mu    sync.Mutex
	state filterweb.ImportState
	wake  chan struct{}
}

func (j *listsJob) set(f func(s *filterweb.ImportState)) {
	j.mu.Lock()
	f(&j.state)
	j.mu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// filterListsSlot holds the node's listsAdmin, built on first use.
type filterListsSlot struct {
	once sync.Once
	la   *listsAdmin
}

func (a *App) listsAdminOf() *listsAdmin {
	a.filterL.once.Do(func() {
		a.filterL.la = &listsAdmin{a: a, node: core.NewID(), client: &http.Client{Timeout: 15 * time.Minute},
			jobs: map[string]*listsJob{}, reload: a.reloadFilterNow, tick: filterFetchTick}
	})
	return a.filterL.la
}

// FetchConfig returns the schedule in force: the stored one, or one built
// from filter.lists_url (enabled when that key is set).
func (l *listsAdmin) FetchConfig(ctx context.Context) (filter.FetchConfig, error) {
	c, err := l.a.db.FilterFetchConfig(ctx)
	if err == nil {
		return *c, nil
	}
	if !core.IsKind(err, core.NotFound) {
		return filter.FetchConfig{}, err
	}
	u := l.a.cfg.Filter.ListsURL
	enabled := u != ""
	if u == "" {
		u = UT1ArchiveURL
	}
	return filter.FetchConfig{URL: u, Enabled: enabled, AtMinute: filter.DefaultFetchAt, EveryHours: 24}, nil
}

func (l *listsAdmin) SaveFetchConfig(ctx context.Context, c filter.FetchConfig) error {
	return l.a.db.PutFilterFetchConfig(ctx, &c)
}

func (l *listsAdmin) FetchRuns(ctx context.Context, n int) ([]filter.FetchRun, error) {
	return l.a.db.FilterFetchRuns(ctx, n)
}

func (l *listsAdmin) Fetching() bool { return l.fetching.Load() }

func (l *listsAdmin) Imports(ctx context.Context, n int) ([]filterweb.ListsImport, error) {
	ims, err := l.a.db.FilterImports(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]filterweb.ListsImport, 0, len(ims))
	for _, im := range ims {
		out = append(out, filterweb.ListsImport{ID: im.ID, Source: im.Source, SHA256: im.SHA256, At: im.At, By: im.By,
			Categories: im.Categories, Domains: im.Domains, URLs: im.URLs, Skipped: im.Skipped})
	}
	return out, nil
}

// Upload keeps an uploaded archive in the data folder and imports it in
// the background; the returned job id follows the import.
func (l *listsAdmin) Upload(ctx context.Context, r io.Reader, name string) (string, error) {
	dir := filepath.Join(l.a.cfg.Data, "filter")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	tmp.Close()
	id := core.NewID()
	j := &listsJob{wake: make(chan struct{}, 1), state: filterweb.ImportState{Source: name}}
	l.mu.Lock()
	for old, oj := range l.jobs { // forget finished imports beyond the last few
		if len(l.jobs) < 20 {
			break
		}
		if st, _, _ := l.jobState(oj); st.Done {
			delete(l.jobs, old)
		}
	}
	l.jobs[id] = j
	l.mu.Unlock()
	p := core.PrincipalFromContext(ctx)
	l.a.goBackground(context.WithoutCancel(ctx), "filter-upload", func(bctx context.Context) {
		defer os.Remove(tmp.Name())
		bctx = core.ContextWithPrincipal(bctx, p)
		im, _, err := installFilterLists(bctx, l.a.db, l.a.cfg, tmp.Name(), name, installOpts{Blobs: l.a.blobs,
			Progress: func(read, total int64) {
				if read%(1<<20) < 32<<10 || read == total {
					j.set(func(s *filterweb.ImportState) { s.Read, s.Total = read, total })
				}
			}})
		if err == nil {
			l.reload(bctx)
		}
		j.set(func(s *filterweb.ImportState) {
			s.Done = true
			if err != nil {
				s.Err = errText(err)
				return
			}
			s.Categories, s.Domains, s.URLs, s.Skipped = im.Categories, im.Domains, im.URLs, im.Skipped
		})
	})
	return id, nil
}

// Job returns the state of an import and a channel woken on changes.
func (l *listsAdmin) Job(id string) (filterweb.ImportState, <-chan struct{}, bool) {
	l.mu.Lock()
	j := l.jobs[id]
	l.mu.Unlock()
	if j == nil {
		return filterweb.ImportState{}, nil, false
	}
	return l.jobState(j)
}

func (l *listsAdmin) jobState(j *listsJob) (filterweb.ImportState, <-chan struct{}, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state, j.wake, true
}

// FetchNow starts a download in the background (false when one runs).
func (l *listsAdmin) FetchNow(ctx context.Context) bool {
	if l.fetching.Load() {
		return false
	}
	p := core.PrincipalFromContext(ctx)
	l.a.goBackground(context.WithoutCancel(ctx), "filter-fetch", func(bctx context.Context) {
		c, err := l.FetchConfig(bctx)
		if err != nil {
			l.a.log.Error("reading the lists' download settings", "err", err)
			return
		}
		l.fetch(core.ContextWithPrincipal(bctx, p), c.URL, "manual")
	})
	return true
}

// fetch downloads, checks and installs the lists at u and records the run
// (journaled; a failure is shown on the lists page and to supervision).
func (l *listsAdmin) fetch(ctx context.Context, u, cause string) *filter.FetchRun {
	if !l.fetching.CompareAndSwap(false, true) {
		return nil
	}
	defer l.fetching.Store(false)
	run := &filter.FetchRun{Started: l.a.clock.Now(), URL: u, Node: l.node, Cause: cause}
	tmp, n, err := downloadFilterLists(ctx, l.client, u, filepath.Join(l.a.cfg.Data, "filter"))
	if err == nil {
		defer os.Remove(tmp)
		var im *store.FilterImport
		im, _, err = installFilterLists(ctx, l.a.db, l.a.cfg, tmp, path.Base(u), installOpts{Blobs: l.a.blobs})
		if err == nil {
			run.OK, run.ImportID = true, im.ID
			run.Message = fmt.Sprintf("%d bytes, MD5 checked: %d categories, %d domains, %d URLs", n, im.Categories, im.Domains, im.URLs)
			l.reload(ctx)
		}
	}
	if err != nil {
		run.Message = errText(err)
		l.a.log.Warn("downloading the filter lists failed; the previous ones stay in force", "url", u, "err", err)
	}
	run.Finished = l.a.clock.Now()
	if rerr := l.a.db.RecordFilterFetch(ctx, run); rerr != nil {
		l.a.log.Error("recording a lists download", "err", rerr)
	}
	return run
}

// due reports whether the schedule asks for a download now: none
// succeeded since the latest scheduled instant, and the last attempt is
// older than filterFetchRetry (or succeeded).
func (l *listsAdmin) due(ctx context.Context, c filter.FetchConfig, now time.Time) (bool, error) {
	runs, err := l.a.db.FilterFetchRuns(ctx, 50)
	if err != nil {
		return false, err
	}
	var lastOK time.Time
	if im, err := l.a.db.LastFilterImport(ctx); err == nil {
		lastOK = im.At // an upload counts as fresh lists too
	}
	for _, r := range runs {
		if r.OK && r.Started.After(lastOK) {
			lastOK = r.Started
		}
	}
	if !c.Due(now, lastOK) {
		return false, nil
	}
	return len(runs) == 0 || runs[0].OK || now.Sub(runs[0].Started) >= filterFetchRetry, nil
}

// runFetchScheduler downloads the lists on schedule: every tick the node
// takes (or keeps) the lease, and the holder downloads when it is due.
func (l *listsAdmin) runFetchScheduler(ctx context.Context) {
	sys := core.ContextWithPrincipal(ctx, core.SystemPrincipal("system:filter-fetch", core.ChannelJob))
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.tick):
		}
		c, err := l.FetchConfig(sys)
		if err != nil || !c.Enabled {
			continue
		}
		ok, err := l.a.db.AcquireLease(sys, filterFetchLease, l.node, 20*time.Minute)
		if err != nil || !ok {
			continue
		}
		if due, err := l.due(sys, c, l.a.clock.Now()); err == nil && due {
			l.fetch(sys, c.URL, "schedule")
		}
	}
}

// reloadFilterNow applies new lists on this node at once (others follow
// the store's counter).
func (a *App) reloadFilterNow(ctx context.Context) {
	if err := a.reloadFilter(ctx, true); err != nil {
		a.log.Error("applying the new lists failed", "err", err)
	}
}

// filterFetchFailure describes the last download of the lists when it
// failed ("" otherwise), for supervision.
func (a *App) filterFetchFailure(ctx context.Context) string {
	runs, err := a.db.FilterFetchRuns(ctx, 1)
	if err != nil || len(runs) == 0 || runs[0].OK {
		return ""
	}
	return fmt.Sprintf("the download of the lists at %s failed (%s): %s", runs[0].Started.Format(time.DateTime), runs[0].URL, runs[0].Message)
}

// errText is the message of err for an administrator's page: the message
// of a core error, else the whole text (download and file errors).
func errText(err error) string {
	if m := core.MessageOf(err); m != "" {
		return m
	}
	return err.Error()
}
