// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
)

// Config configures a Store.
//
// Durability: Append puts the record in a bounded buffer (Buffer records)
// and returns at once; a full buffer drops the record and counts it. One
// goroutine takes buffered records into a spool per stream (memory, and a
// file in Spool); each FsyncInterval (default 1 s) a syncer goroutine writes
// what the spools received since its last round to their files and fsyncs
// them. Every SealInterval (default 5 min), or when a stream reaches
// MaxSegmentRecords, the stream's spool becomes a sealed segment in the blob
// store and the spool file is removed (the records the syncer has not
// written yet are written only if the segment is not stored by its next
// round). A crash (kill -9, power loss) therefore loses at most what
// was received in the last FsyncInterval plus what was still in the buffer;
// at the next Open the surviving spool is sealed as a segment marked
// Recovered, and a "logs gap" record states when the loss window began.
// Sealed segments are never rewritten.
type Config struct {
	Blobs             blob.Store
	Key               ed25519.PrivateKey // the deployment key (the journal's)
	Spool             string             // local folder for spool files; required
	Node              string             // this node's name in blob keys; default "local"
	FsyncInterval     time.Duration      // default 1 s
	SealInterval      time.Duration      // default 5 min
	MaxSegmentRecords int                // default 100,000
	Buffer            int                // default 65,536 records
	Clock             core.Clock
	Log               *slog.Logger
	// DiskUsage measures a folder's disk (total and free bytes); nil turns
	// disk watching off. DiskPaths are the folders watched (default: the
	// spool); DiskWarn and DiskCritical the percentages used that raise
	// the alerts (defaults 85 and 95; disk.go). DiskCheckInterval: 10 s.
	DiskUsage         func(path string) (total, free uint64, err error)
	DiskPaths         []string
	DiskWarn          int
	DiskCritical      int
	DiskCheckInterval time.Duration
	// ReadOnly opens the store for reading (search, verify, archive) beside
	// a running server: no spool, no recovery, Append drops everything.
	ReadOnly bool
}

func (c *Config) defaults() {
	if c.Node == "" {
		c.Node = "local"
	}
	if c.FsyncInterval <= 0 {
		c.FsyncInterval = time.Second
	}
	if c.SealInterval <= 0 {
		c.SealInterval = 5 * time.Minute
	}
	if c.MaxSegmentRecords <= 0 {
		c.MaxSegmentRecords = 100_000
	}
	if c.Buffer <= 0 {
		c.Buffer = 65536
	}
	if c.Clock == nil {
		c.Clock = core.SystemClock{}
	}
	if c.DiskWarn <= 0 {
		c.DiskWarn = 85
	}
	if c.DiskCritical <= 0 {
		c.DiskCritical = 95
	}
	if c.DiskCheckInterval <= 0 {
		c.DiskCheckInterval = 10 * time.Second
	}
	if len(c.DiskPaths) == 0 && c.Spool != "" {
		c.DiskPaths = []string{c.Spool}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Stats are the store's counters since Open.
type Stats struct {
	Appended  int64 // records accepted
	Dropped   int64 // records dropped because the buffer was full
	Segments  int64 // segments sealed
	Recovered int64 // segments sealed from a crashed process's spool
	SealErr   string
	Disk      DiskStatus // the log disk's last measure
}

// Store is the sealed log store. It implements Sink. Build it with Open and
// end it with Close, which seals every open stream.
type Store struct {
	cfg  Config
	ch   chan entry
	bch  chan batch // batches of records already encoded (syslog receivers)
	quit chan struct{}
	done chan struct{}

	appended, dropped, segments, recovered atomic.Int64
	flushPending, sealing                  atomic.Int64
	closed                                 atomic.Bool

	seals   chan sealJob
	syncs   chan []syncJob // spool bytes to write and fsync (the syncer goroutine)
	synced  chan struct{}  // closed when the syncer ends
	scratch segScratch     // the sealer's buffers (segments prepared at the seal)
	// Buffers of sealed spools and segments, for the next ones: free
	// lists rather than sync.Pools, which the GC empties (steady ingestion
	// then reallocated and zeroed a segment's worth of memory after each
	// collection); bounded, so an idle store keeps at most about two
	// segments' worth.
	scratchPool freeList[*segScratch] // of segments prepared at hand-off
	linePool    freeList[[]line]      // line tables of sealed spools
	chunkPool   freeList[[]byte]      // spool chunks of sealed spools
	sealDone    chan struct{}
	sealErr     atomic.Value // string
	disk        atomic.Value // DiskStatus
	alarm       chan struct{}

	mu    sync.Mutex
	heads map[Stream]head      // last sealed segment per stream (sealer goroutine and Open only)
	mans  map[string]*Manifest // manifest cache by key (immutable objects)
	// The day index (index.go): streams known to be indexed, and the day
	// before which each stream's days were last compacted (sealer only).
	indexed   map[string]bool
	compacted map[string]string
	bg        sync.WaitGroup // background index building

	spools    map[Stream]*spool // writer goroutine only
	lastCount map[Stream]int    // records of each stream's last spool (writer only)
	lastSync  time.Time         // the writer's last fsync of every spool
}

type head struct {
	seq  int64
	hash string
}

// spool is a stream's open spool file. Its lines live in chunks (each line
// followed by its newline, as in the file); the file gets them once per
// FsyncInterval, written and fsynced by the syncer goroutine (syncLater),
// from chunk wc, offset wo on. Sealed spools give their chunks back for
// the next ones, so that steady ingestion reuses its memory.
type spool struct {
	stream Stream
	id     string
	path   string
	f      *os.File
	chunks [][]byte
	cur    []byte // the last chunk
	wc, wo int    // the first byte not handed to the syncer yet: chunks[wc][wo:]
	io     *sync.WaitGroup
	lines  []line
	opened time.Time
	dirty  bool
}

// unwritten returns the bytes of sp not handed to the syncer yet (slices
// of its chunks, which never change once written) and marks them handed.
func (sp *spool) unwritten() [][]byte {
	var out [][]byte
	for ; sp.wc < len(sp.chunks); sp.wc, sp.wo = sp.wc+1, 0 {
		c := sp.chunks[sp.wc]
		if sp.wo < len(c) {
			out = append(out, c[sp.wo:len(c):len(c)])
		}
		if sp.wc == len(sp.chunks)-1 {
			sp.wo = len(c)
			break
		}
	}
	return out
}

// syncJob is one spool file's part of a round of the syncer: bytes to
// write, then an fsync.
type syncJob struct {
	f     *os.File
	path  string
	parts [][]byte
	io    *sync.WaitGroup // Done once the parts are written
}

// chunkSize is the size of a spool's memory chunks.
const chunkSize = 1 << 20

// freeList is a bounded list of reusable buffers.
type freeList[T any] struct {
	once sync.Once
	n    int
	c    chan T
}

func (f *freeList[T]) init() {
	f.once.Do(func() { f.c = make(chan T, max(f.n, 1)) })
}

// get returns a buffer from the list, if there is one.
func (f *freeList[T]) get() (T, bool) {
	f.init()
	select {
	case v := <-f.c:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// put keeps v for a later get, unless the list is full.
func (f *freeList[T]) put(v T) {
	f.init()
	select {
	case f.c <- v:
	default:
	}
}

// put copies data and a newline into the spool and returns the stored
// copy of data.
func (s *Store) put(sp *spool, data []byte) []byte {
	n := len(data) + 1
	if cap(sp.cur)-len(sp.cur) < n {
		c := s.newChunk(n)
		sp.chunks = append(sp.chunks, c)
		sp.cur = c
	}
	off := len(sp.cur)
	sp.cur = append(sp.cur, data...)
	sp.cur = append(sp.cur, '\n')
	sp.chunks[len(sp.chunks)-1] = sp.cur
	return sp.cur[off : off+len(data) : off+len(data)]
}

// writeParts writes parts to a spool file, logging a failure.
func (s *Store) writeParts(f *os.File, path string, parts [][]byte) bool {
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			s.cfg.Log.Error("writing a log spool file failed", "file", path, "err", err)
			return false
		}
	}
	return true
}

func (s *Store) newChunk(n int) []byte {
	if n <= chunkSize {
		if c, ok := s.chunkPool.get(); ok {
			return c[:0]
		}
		n = chunkSize
	}
	return make([]byte, 0, n)
}

func (s *Store) recycleChunks(cs [][]byte) {
	for _, c := range cs {
		if cap(c) == chunkSize {
			s.chunkPool.put(c[:0])
		}
	}
}

type sealJob struct {
	stream    Stream
	lines     []line
	prep      chan *prepared // the segment being prepared since the hand-off (nil: prepare at the seal)
	prepared  *prepared
	wal       string
	path      string
	recovered bool
	gapAfter  time.Time
	done      chan error // nil: nobody waits
	sealed    chan bool  // the seal's outcome, for the spool file's keeper (handOff)
}

var _ Sink = (*Store)(nil)

// Open opens the store, seals what a previous process left in the spool and
// starts the writer.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	const op = "logs.Open"
	cfg.defaults()
	if cfg.ReadOnly {
		s := &Store{cfg: cfg, heads: map[Stream]head{}, mans: map[string]*Manifest{}, indexed: map[string]bool{},
			compacted: map[string]string{}, alarm: make(chan struct{}, 1)}
		s.closed.Store(true)
		return s, nil
	}
	if cfg.Blobs == nil || cfg.Key == nil || cfg.Spool == "" {
		return nil, core.E(op, core.Invalid, "the log store needs a blob store, a key and a spool folder")
	}
	if err := os.MkdirAll(cfg.Spool, 0o700); err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	s := &Store{cfg: cfg, ch: make(chan entry, cfg.Buffer), bch: make(chan batch, max(4, cfg.Buffer/256)), quit: make(chan struct{}), done: make(chan struct{}),
		seals: make(chan sealJob, 4), sealDone: make(chan struct{}), syncs: make(chan []syncJob), synced: make(chan struct{}), heads: map[Stream]head{},
		mans: map[string]*Manifest{}, spools: map[Stream]*spool{}, lastCount: map[Stream]int{}, indexed: map[string]bool{}, compacted: map[string]string{},
		alarm: make(chan struct{}, 1)}
	// About two segments' worth of buffers (one filling, one sealing).
	s.chunkPool.n = min(256, 2*cfg.MaxSegmentRecords*400/chunkSize+2)
	s.linePool.n, s.scratchPool.n = 3, 3
	s.checkDisk(cfg.Clock.Now())
	go s.sealer()
	gaps, err := s.recover(ctx)
	if err != nil {
		close(s.seals)
		<-s.sealDone
		return nil, err
	}
	s.lastSync = time.Now()
	go s.syncer()
	go s.writer()
	for _, g := range gaps {
		s.Append(g)
	}
	return s, nil
}

// PublicKey returns the deployment's public key.
func (s *Store) PublicKey() ed25519.PublicKey { return s.cfg.Key.Public().(ed25519.PublicKey) }

// Blobs returns the blob store the segments live in.
func (s *Store) Blobs() blob.Store { return s.cfg.Blobs }

// Node returns this node's name.
func (s *Store) Node() string { return s.cfg.Node }

// entry is a record on its way to the writer, already encoded by the
// producer's goroutine (so that encoding runs in parallel).
type entry struct {
	stream Stream
	line   line
	flush  bool
}

func (s *Store) entryOf(r *Record) entry {
	if r.Time.IsZero() {
		r.Time = s.cfg.Clock.Now()
	}
	if r.Class == "" {
		r.Class = ClassSystem
	}
	return entry{stream: Stream{Class: r.Class, Establishment: r.Establishment},
		line: line{data: EncodeJSON(r), t: r.Time.UTC(), user: r.User, host: r.Source}}
}

// Append queues r. It never blocks: when the buffer is full the record is
// dropped and counted (Stats.Dropped), and a "dropped" record is logged once
// the pressure eases.
func (s *Store) Append(r Record) {
	if s == nil || s.closed.Load() {
		return
	}
	select {
	case s.ch <- s.entryOf(&r):
		s.appended.Add(1)
	default:
		s.dropped.Add(1)
	}
}

// AppendWait queues r, waiting while the buffer is full, until ctx ends.
// Receivers with their own flow control use it (syslog over TCP: the
// sender slows down instead of losing records); services use Append.
func (s *Store) AppendWait(ctx context.Context, r Record) error {
	if s == nil || s.closed.Load() {
		return core.E("logs.AppendWait", core.Unavailable, "the log store is closed")
	}
	e := s.entryOf(&r)
	select {
	case s.ch <- e:
		s.appended.Add(1)
		return nil
	default:
	}
	select {
	case s.ch <- e:
		s.appended.Add(1)
		return nil
	case <-ctx.Done():
		s.dropped.Add(1)
		return ctx.Err()
	}
}

// Encoded is a record already in its stored form: the JSON line EncodeJSON
// writes for it (without the newline), with the fields the store sorts
// and indexes by. Receivers that parse straight into the stored form
// (syslogd) hand records over this way, in batches, without building a
// Record each.
type Encoded struct {
	Stream Stream
	Line   []byte    // must not change once handed over
	Time   time.Time // the record's time, UTC
	User   string
	Host   string // the record's source
}

// AppendEncoded queues a batch of encoded records, waiting while the
// buffer is full, until ctx ends (then the batch is dropped and counted).
// Once the store has copied the batch it calls release (when not nil), from
// another goroutine: only then may the caller reuse recs and the lines'
// memory; release is not called when an error is returned.
func (s *Store) AppendEncoded(ctx context.Context, recs []Encoded, release func()) error {
	if s == nil || s.closed.Load() {
		return core.E("logs.AppendEncoded", core.Unavailable, "the log store is closed")
	}
	if len(recs) == 0 {
		return nil
	}
	b := batch{recs: recs, release: release}
	select {
	case s.bch <- b:
		s.appended.Add(int64(len(recs)))
		return nil
	default:
	}
	select {
	case s.bch <- b:
		s.appended.Add(int64(len(recs)))
		return nil
	case <-ctx.Done():
		s.dropped.Add(int64(len(recs)))
		return ctx.Err()
	}
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	st := Stats{Appended: s.appended.Load(), Dropped: s.dropped.Load(), Segments: s.segments.Load(),
		Recovered: s.recovered.Load(), Disk: s.Disk()}
	if e, ok := s.sealErr.Load().(string); ok {
		st.SealErr = e
	}
	return st
}

// Flush seals every open stream now and waits until the segments are
// stored (tests, `preau logs` commands). It may block while the buffer is
// full, unlike Append.
func (s *Store) Flush(ctx context.Context) error {
	if s.closed.Load() {
		return nil
	}
	s.flushPending.Add(1)
	select {
	case s.ch <- entry{flush: true}:
	case <-ctx.Done():
		s.flushPending.Add(-1)
		return ctx.Err()
	}
	for {
		if s.flushPending.Load() == 0 && s.sealing.Load() == 0 {
			if e, ok := s.sealErr.Load().(string); ok && e != "" {
				return core.E("logs.Flush", core.Internal, "sealing failed: %s", e)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Close stops the writer, seals every stream and waits for the blob store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.quit)
	<-s.done
	close(s.seals)
	<-s.sealDone
	s.bg.Wait() // the spools handed off, which wait for the syncer's rounds
	close(s.syncs)
	<-s.synced
	if e, ok := s.sealErr.Load().(string); ok && e != "" {
		return core.E("logs.Close", core.Internal, "sealing failed: %s", e)
	}
	return nil
}

// writer is the one goroutine that writes spool files.
func (s *Store) writer() {
	defer close(s.done)
	tick := time.NewTicker(s.cfg.FsyncInterval)
	defer tick.Stop()
	var reported int64
	var lastDisk time.Time
	for {
		select {
		case r := <-s.ch:
			s.write(r)
		case b := <-s.bch:
			s.writeBatch(b)
		case <-tick.C:
			s.syncLater()
			now := s.cfg.Clock.Now()
			if now.Sub(lastDisk) >= s.cfg.DiskCheckInterval || now.Before(lastDisk) {
				s.checkDisk(now)
				lastDisk = now
			}
			every := s.sealEvery()
			for _, sp := range s.spools {
				if len(sp.lines) > 0 && now.Sub(sp.opened) >= every {
					s.handOff(sp, nil)
				}
			}
			if d := s.dropped.Load(); d > reported {
				s.cfg.Log.Warn("log buffer full: records dropped", "dropped", d-reported, "total", d)
				s.write(s.entryOf(&Record{Time: now, Class: ClassSystem, Service: "logs", Action: "drop", Result: "lost",
					Severity: 4, Message: fmt.Sprintf("log buffer full: %d records dropped (%d since start)", d-reported, d),
					Fields: map[string]string{"dropped": strconv.FormatInt(d-reported, 10)}}))
				reported = d
			}
		case <-s.quit:
			for {
				select {
				case r := <-s.ch:
					s.write(r)
					continue
				case b := <-s.bch:
					s.writeBatch(b)
					continue
				default:
				}
				break
			}
			for _, sp := range s.spools {
				if len(sp.lines) > 0 {
					s.handOff(sp, nil)
				} else {
					s.dropSpool(sp)
				}
			}
			return
		}
	}
}

func (s *Store) write(e entry) {
	if e.flush {
		// Batches queued before the flush are written first.
		for drained := false; !drained; {
			select {
			case b := <-s.bch:
				s.writeBatch(b)
			default:
				drained = true
			}
		}
		for _, sp := range s.spools {
			if len(sp.lines) > 0 {
				s.handOff(sp, nil)
			}
		}
		s.flushPending.Add(-1)
		return
	}
	sp := s.spoolFor(e.stream)
	if sp == nil {
		return
	}
	s.add(sp, e.line)
}

// spoolFor returns the open spool of a stream, opening one if needed; nil
// (the record is counted as dropped) when the file cannot be created.
func (s *Store) spoolFor(st Stream) *spool {
	sp := s.spools[st]
	if sp == nil {
		var err error
		if sp, err = s.openSpool(st); err != nil {
			s.cfg.Log.Error("opening a log spool file failed: record lost", "stream", st.String(), "err", err)
			s.dropped.Add(1)
			return nil
		}
		s.spools[st] = sp
	}
	return sp
}

// add writes one line to sp and hands the spool to the sealer when full;
// it returns false when it did.
func (s *Store) add(sp *spool, l line) bool {
	l.data = s.put(sp, l.data)
	sp.dirty = true
	if len(sp.lines) == cap(sp.lines) {
		// A busy stream's first spool grows fourfold (less copying than
		// append's doubling); the next ones start at its size.
		sp.lines = slices.Grow(sp.lines, min(s.cfg.MaxSegmentRecords, 4*cap(sp.lines))-len(sp.lines))
	}
	sp.lines = append(sp.lines, l)
	if len(sp.lines) >= s.cfg.MaxSegmentRecords {
		s.handOff(sp, nil)
		return false
	}
	return true
}

// batch is what AppendEncoded queues.
type batch struct {
	recs    []Encoded
	release func()
}

// writeBatch writes a batch of encoded records (usually of one stream),
// then lets the producer reuse its buffers.
func (s *Store) writeBatch(bt batch) {
	b := bt.recs
	defer func() {
		if bt.release != nil {
			bt.release()
		}
	}()
	var sp *spool
	var cur Stream
	for i := range b {
		e := &b[i]
		if sp == nil || e.Stream != cur {
			if sp = s.spoolFor(e.Stream); sp == nil {
				continue
			}
			cur = e.Stream
		}
		if !s.add(sp, line{data: e.Line, t: e.Time, user: e.User, host: e.Host}) {
			sp = nil
		}
	}
}

// spoolHeader is the first line of a spool file.
type spoolHeader struct {
	WAL           string    `json:"wal"`
	Class         Class     `json:"class"`
	Establishment string    `json:"establishment,omitempty"`
	Opened        time.Time `json:"opened"`
}

func (s *Store) openSpool(st Stream) (*spool, error) {
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	id := hex.EncodeToString(rb[:])
	p := filepath.Join(s.cfg.Spool, keyPart(string(st.Class))+"~"+keyPart(orUnderscore(st.Establishment))+"~"+id+".wal")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Clock.Now()
	h, _ := json.Marshal(spoolHeader{WAL: id, Class: st.Class, Establishment: st.Establishment, Opened: now.UTC()})
	sp := &spool{stream: st, id: id, path: p, f: f, opened: now, dirty: true, lines: s.newLines(s.lastCount[st]), io: &sync.WaitGroup{}}
	s.put(sp, h)
	// The header now (a file left by a crash is never empty); the records
	// with the next round of the syncer.
	if !s.writeParts(f, p, sp.unwritten()) {
		_ = f.Close()
		_ = os.Remove(p)
		s.recycleChunks(sp.chunks)
		return nil, fmt.Errorf("writing the spool header failed")
	}
	return sp, nil
}

// newLines returns an empty line slice for a spool, with room for a whole
// segment when a sealed spool left one (so that spools do not regrow).
// Without one, a stream whose last spool held n records gets room for n
// (a busy stream does not regrow its table each segment; a quiet one stays
// small).
func (s *Store) newLines(n int) []line {
	if p, ok := s.linePool.get(); ok && cap(p) >= n {
		return p[:0]
	} else if ok {
		s.linePool.put(p)
	}
	return make([]line, 0, min(s.cfg.MaxSegmentRecords, max(n, 1024)))
}

// recycle keeps a sealed spool's line slice for the next spool, without
// its lines (their memory goes).
func (s *Store) recycle(ls []line) {
	if cap(ls) < 1024 || cap(ls) > 2*s.cfg.MaxSegmentRecords {
		return
	}
	clear(ls)
	ls = ls[:0]
	s.linePool.put(ls)
}

func orUnderscore(s string) string {
	if s == "" {
		return "_"
	}
	return s
}

// syncLater hands what the spools received since the last round to the
// syncer, which writes and fsyncs it while the writer goes on taking
// records (writing and fsyncing in the writer stalled the receivers). A
// record is on disk at most FsyncInterval plus one write and fsync after
// it was received, which is the loss bound of a crash of either kind
// (kill -9 or power loss). The writer waits only when the previous round
// is not done yet.
func (s *Store) syncLater() {
	s.lastSync = time.Now()
	var jobs []syncJob
	for _, sp := range s.spools {
		if !sp.dirty {
			continue
		}
		if parts := sp.unwritten(); len(parts) > 0 {
			sp.io.Add(1)
			jobs = append(jobs, syncJob{f: sp.f, path: sp.path, parts: parts, io: sp.io})
		}
		sp.dirty = false
	}
	if len(jobs) > 0 {
		s.syncs <- jobs
	}
}

// syncer writes and fsyncs the spool bytes syncLater hands it. A spool
// handed off to the sealer meanwhile keeps its file and chunks until this
// round has written them (keepSpool waits for spool.io).
func (s *Store) syncer() {
	defer close(s.synced)
	for jobs := range s.syncs {
		for _, j := range jobs {
			ok := s.writeParts(j.f, j.path, j.parts)
			j.io.Done()
			if ok {
				_ = j.f.Sync()
			}
		}
	}
}

// handOff gives sp's records to the sealer and forgets the spool; the
// sealer removes the file once the segment is stored.
func (s *Store) handOff(sp *spool, done chan error) {
	s.lastCount[sp.stream] = len(sp.lines)
	// The records received since the syncer's last round are written to
	// the spool file only if the segment is not stored by the time the
	// next round would have made them durable: a segment sealed in time is
	// itself durable, and the file, removed unwritten, costs the disk
	// nothing. Either way a crash loses at most FsyncInterval.
	sealed := make(chan bool, 1)
	s.bg.Add(1)
	go func(sp *spool, rest [][]byte, wait time.Duration) {
		defer s.bg.Done()
		s.keepSpool(sp, rest, sealed, wait)
	}(sp, sp.unwritten(), time.Until(s.lastSync.Add(s.cfg.FsyncInterval)))
	delete(s.spools, sp.stream)
	s.sealing.Add(1)
	// The segment is grouped and compressed now, on other goroutines,
	// while the sealer may still be chaining and storing the one before.
	prep := make(chan *prepared, 1)
	sc, _ := s.scratchPool.get()
	if sc == nil {
		sc = &segScratch{}
	}
	lines := sp.lines
	go func() { prep <- prepareSegment(lines, sc) }()
	s.seals <- sealJob{stream: sp.stream, lines: sp.lines, wal: sp.id, path: sp.path, done: done, prep: prep,
		sealed: sealed}
}

// keepSpool holds a handed-off spool (its file and its chunks) until its
// seal's outcome: when the seal failed or has not succeeded within wait,
// it writes the records the syncer has not (rest) and fsyncs the file.
// Then it closes the file and recycles the chunks, once the syncer's
// rounds have written them and the sealer is done with them.
func (s *Store) keepSpool(sp *spool, rest [][]byte, sealed <-chan bool, wait time.Duration) {
	t := time.NewTimer(max(wait, 0))
	defer t.Stop()
	known, ok := false, false
	select {
	case ok = <-sealed:
		known = true
	case <-t.C:
	}
	sp.io.Wait() // the syncer's rounds, written in order before the rest
	if !known || !ok {
		if s.writeParts(sp.f, sp.path, rest) {
			_ = sp.f.Sync()
		}
	}
	if !known {
		<-sealed // the sealer reads the chunks until then
	}
	_ = sp.f.Close()
	s.recycleChunks(sp.chunks)
}

func (s *Store) dropSpool(sp *spool) {
	sp.io.Wait()
	s.recycleChunks(sp.chunks)
	_ = sp.f.Close()
	_ = os.Remove(sp.path)
	delete(s.spools, sp.stream)
}

func (s *Store) sealer() {
	defer close(s.sealDone)
	for j := range s.seals {
		if j.prep != nil {
			j.prepared = <-j.prep
		}
		// A blob store that is down (S3 outage) is retried while the store
		// runs: meanwhile the writer waits, the buffer fills and Append
		// drops and counts. The spool file keeps the records for the next
		// start if the store closes first.
		err := s.seal(context.Background(), j)
		for wait := time.Second; err != nil && j.done == nil; wait = min(2*wait, 30*time.Second) {
			s.sealErr.Store(err.Error())
			s.cfg.Log.Error("sealing a log segment failed; retrying (the spool file keeps the records)",
				"stream", j.stream.String(), "retry_in", wait, "err", err)
			select {
			case <-s.quit:
			case <-time.After(wait):
				err = s.seal(context.Background(), j)
				continue
			}
			break
		}
		if j.sealed != nil {
			j.sealed <- err == nil
		}
		if err == nil {
			s.sealErr.Store("")
			if j.path != "" {
				_ = os.Remove(j.path)
			}
		}
		if j.prepared != nil {
			s.scratchPool.put(j.prepared.sc)
		}
		s.recycle(j.lines)
		s.sealing.Add(-1)
		if j.done != nil {
			j.done <- err
		}
	}
}

// seal stores one segment: the .seg, then the signed .man, then the head.
func (s *Store) seal(ctx context.Context, j sealJob) error {
	h, err := s.headOf(ctx, j.stream)
	if err != nil {
		return err
	}
	p := j.prepared
	if p == nil {
		p = prepareSegment(j.lines, &s.scratch)
	}
	data, m := p.finish(j.lines, h.hash)
	m.Node, m.Class, m.Establishment, m.Seq = s.cfg.Node, j.stream.Class, j.stream.Establishment, h.seq+1
	m.SealedAt = s.cfg.Clock.Now().UTC()
	m.WAL, m.Recovered, m.GapAfter = j.wal, j.recovered, j.gapAfter.UTC()
	if j.gapAfter.IsZero() {
		m.GapAfter = time.Time{}
	}
	m.Sign(s.cfg.Key)
	prefix := streamPrefix(s.cfg.Node, j.stream)
	if _, err := blob.Put(ctx, s.cfg.Blobs, segKey(prefix, m.Seq), bytes.NewReader(data)); err != nil {
		return err
	}
	mb, _ := json.MarshalIndent(m, "", " ")
	if _, err := blob.Put(ctx, s.cfg.Blobs, manKey(prefix, m.Seq), bytes.NewReader(mb)); err != nil {
		return err
	}
	// The day index, before the head: a seal retried after a failure
	// rewrites the same objects.
	if err := writeIndexEntry(ctx, s.cfg.Blobs, prefix, m); err != nil {
		return err
	}
	if err := s.ensureIndexed(ctx, prefix, m.Seq); err != nil {
		s.cfg.Log.Warn("indexing a log stream failed; its searches read the manifests", "stream", j.stream.String(), "err", err)
	}
	if err := writeHead(ctx, s.cfg.Blobs, prefix, m, s.cfg.Key); err != nil {
		return err
	}
	if d := dayKey(m.First); d > s.compacted[prefix] {
		if err := s.compactDays(ctx, prefix, d); err != nil {
			s.cfg.Log.Warn("compacting the log day index failed", "stream", j.stream.String(), "err", err)
		} else {
			s.compacted[prefix] = d
		}
	}
	s.mu.Lock()
	s.heads[j.stream] = head{seq: m.Seq, hash: m.Hash}
	s.mans[manKey(prefix, m.Seq)] = m
	s.mu.Unlock()
	s.segments.Add(1)
	if j.recovered {
		s.recovered.Add(1)
	}
	return nil
}

// headOf returns the last sealed segment of a stream, from the cache or by
// listing the stream's manifests.
func (s *Store) headOf(ctx context.Context, st Stream) (head, error) {
	s.mu.Lock()
	h, ok := s.heads[st]
	s.mu.Unlock()
	if ok {
		return h, nil
	}
	prefix := streamPrefix(s.cfg.Node, st)
	seqs, err := listSeqs(ctx, s.cfg.Blobs, prefix, ".man")
	if err != nil {
		return head{}, err
	}
	if len(seqs) == 0 {
		if p, err := readPurged(ctx, s.cfg.Blobs, prefix); err == nil && p != nil {
			return head{seq: p.Seq, hash: p.Hash}, nil
		}
		return head{}, nil
	}
	m, err := readManifest(ctx, s.cfg.Blobs, manKey(prefix, seqs[len(seqs)-1]))
	if err != nil {
		return head{}, err
	}
	return head{seq: m.Seq, hash: m.Hash}, nil
}

// recover seals what a previous process left in the spool folder and
// returns the gap records to log.
func (s *Store) recover(ctx context.Context) ([]Record, error) {
	ents, err := os.ReadDir(s.cfg.Spool)
	if err != nil {
		return nil, core.Wrap("logs.recover", core.Internal, err)
	}
	var gaps []Record
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".wal") {
			continue
		}
		p := filepath.Join(s.cfg.Spool, e.Name())
		hdr, lines, err := readSpool(p)
		if err != nil {
			s.cfg.Log.Error("unreadable log spool file set aside", "file", p, "err", err)
			_ = os.Rename(p, p+".bad")
			continue
		}
		st := Stream{Class: hdr.Class, Establishment: hdr.Establishment}
		// A spool whose segment was stored before the crash (between the
		// head and the removal) is already sealed.
		h, err := s.headOf(ctx, st)
		if err != nil {
			return nil, err
		}
		if h.seq > 0 {
			if m, err := readManifest(ctx, s.cfg.Blobs, manKey(streamPrefix(s.cfg.Node, st), h.seq)); err == nil && m.WAL == hdr.WAL {
				_ = os.Remove(p)
				continue
			}
		}
		gapAfter := hdr.Opened
		for _, l := range lines {
			if l.t.After(gapAfter) {
				gapAfter = l.t
			}
		}
		now := s.cfg.Clock.Now()
		if len(lines) > 0 {
			done := make(chan error, 1)
			s.sealing.Add(1)
			s.seals <- sealJob{stream: st, lines: lines, wal: hdr.WAL, path: p, recovered: true, gapAfter: gapAfter, done: done}
			if err := <-done; err != nil {
				return nil, err
			}
		} else {
			_ = os.Remove(p)
		}
		gaps = append(gaps, Record{Time: now, Class: ClassSystem, Service: "logs", Action: "gap", Result: "lost",
			Severity: 3, Source: s.cfg.Node,
			Message: fmt.Sprintf("unclean stop: stream %s recovered %d records; records received between %s and this restart at %s may be lost",
				st, len(lines), gapAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)),
			Fields: map[string]string{"stream": st.String(), "gap_from": gapAfter.UTC().Format(time.RFC3339Nano),
				"gap_to": now.UTC().Format(time.RFC3339Nano), "recovered": strconv.Itoa(len(lines))}})
	}
	return gaps, nil
}

// readSpool reads a spool file, keeping every whole record and dropping a
// torn last line.
func readSpool(p string) (spoolHeader, []line, error) {
	var hdr spoolHeader
	f, err := os.Open(p)
	if err != nil {
		return hdr, nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	first, err := br.ReadBytes('\n')
	if err != nil {
		return hdr, nil, fmt.Errorf("no header line")
	}
	if err := json.Unmarshal(first, &hdr); err != nil || hdr.WAL == "" || hdr.Class == "" {
		return hdr, nil, fmt.Errorf("bad header line")
	}
	var lines []line
	for {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			break // a torn last line (no newline) is dropped
		}
		if err != nil {
			return hdr, lines, err
		}
		b = b[:len(b)-1]
		var r Record
		if decodeRecord(b, &r) != nil {
			break // torn write: keep what came before
		}
		lines = append(lines, line{data: append([]byte(nil), b...), t: r.Time.UTC(), user: r.User, host: r.Source})
	}
	return hdr, lines, nil
}

// listSeqs returns the sequence numbers of a stream's objects with suffix,
// ascending.
func listSeqs(ctx context.Context, bs blob.Store, prefix, suffix string) ([]int64, error) {
	var out []int64
	err := bs.List(ctx, prefix, func(i blob.Info) error {
		name := strings.TrimPrefix(i.Key, prefix)
		if n, ok := strings.CutSuffix(name, suffix); ok && !strings.Contains(n, "/") {
			if v, err := strconv.ParseInt(n, 10, 64); err == nil {
				out = append(out, v)
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, err
}

func readObject(ctx context.Context, bs blob.Store, key string, limit int64) ([]byte, error) {
	rc, _, err := bs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", key, limit)
	}
	return b, nil
}

func readManifest(ctx context.Context, bs blob.Store, key string) (*Manifest, error) {
	b, err := readObject(ctx, bs, key, 64<<20)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s is not valid JSON: %v", key, err)
	}
	return &m, nil
}

// manifest returns a manifest through the cache.
func (s *Store) manifest(ctx context.Context, key string) (*Manifest, error) {
	s.mu.Lock()
	m := s.mans[key]
	s.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m, err := readManifest(ctx, s.cfg.Blobs, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.mans) > 20_000 { // bounded memory: manifests list up to 4,096 users each
		clear(s.mans)
	}
	s.mans[key] = m
	s.mu.Unlock()
	return m, nil
}

// Head is the signed pointer to a stream's last segment, replaced at each
// seal, so that deleting the newest segments is detected too.
type Head struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	SealedAt  time.Time `json:"sealed_at"`
	KeyID     string    `json:"key_id"`
	Signature string    `json:"signature"`
}

func (h *Head) signedBytes(prefix string) []byte {
	return fmt.Appendf(nil, "preau-logs-head-v1\n%s\n%d\n%s\n%d", prefix, h.Seq, h.Hash, h.SealedAt.UTC().UnixMicro())
}

func writeHead(ctx context.Context, bs blob.Store, prefix string, m *Manifest, key ed25519.PrivateKey) error {
	h := Head{Seq: m.Seq, Hash: m.Hash, SealedAt: m.SealedAt}
	signObj(&h.KeyID, &h.Signature, key, h.signedBytes(prefix))
	b, _ := json.Marshal(h)
	_, err := blob.Put(ctx, bs, prefix+"head", bytes.NewReader(b))
	return err
}
