// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
)

var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))

type fixture struct {
	dir   string
	blobs *fsblob.Store
	s     *Store
}

func open(t *testing.T, dir string, mod func(*Config)) *fixture {
	t.Helper()
	bs, err := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Blobs: bs, Key: testKey, Spool: filepath.Join(dir, "spool"), FsyncInterval: 50 * time.Millisecond,
		SealInterval: time.Hour}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{dir: dir, blobs: bs, s: s}
}

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func rec(i int, est string, class Class) Record {
	return Record{Time: t0.Add(time.Duration(i) * time.Second), Establishment: est, Class: class,
		Source: fmt.Sprintf("10.0.0.%d", i%7), Service: "proxy", User: fmt.Sprintf("user%d", i%13),
		Action: "allow", Object: fmt.Sprintf("https://site%d.example/", i), Result: "ok",
		Message: "GET page " + strconv.Itoa(i), Fields: map[string]string{"n": strconv.Itoa(i)}}
}

// fill writes segs segments of n records each to one stream.
func fill(t *testing.T, f *fixture, segs, n int) {
	t.Helper()
	for s := 0; s < segs; s++ {
		for i := 0; i < n; i++ {
			f.s.Append(rec(s*n+i, "est1", ClassConnection))
		}
		if err := f.s.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func segPath(f *fixture, seq int64, ext string) string {
	return filepath.Join(f.dir, "blobs", "logs", "local", "connection", "est1", fmt.Sprintf("%012d.%s", seq, ext))
}

func mustVerify(t *testing.T, f *fixture) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), f.blobs, testKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantProblem(t *testing.T, rep *Report, seq int64, words string) {
	t.Helper()
	for _, p := range rep.Problems {
		if p.Seq == seq && strings.Contains(p.What, words) {
			return
		}
	}
	t.Fatalf("no problem naming segment %d with %q; got %v", seq, words, rep.Problems)
}

// CARINE: MCO-JAL-1, MCO-JAL-2
func TestSealVerifySearch(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 3, 500)
	f.s.Append(rec(9999, "", ClassSystem))
	if err := f.s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, f)
	if !rep.OK() || rep.Segments != 4 || rep.Records != 1501 || rep.Streams != 2 {
		t.Fatalf("verify: %+v", rep)
	}
	res, err := f.s.Search(context.Background(), Query{User: "user5", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, i := range append(seq(1500), 9999) {
		if i%13 == 5 {
			want++
		}
	}
	if len(res.Records) != want {
		t.Fatalf("user5: %d records, want %d", len(res.Records), want)
	}
	for _, r := range res.Records {
		if r.User != "user5" {
			t.Fatalf("got %+v", r)
		}
	}
	// Paging: two pages of 10 follow each other.
	p1, _ := f.s.Search(context.Background(), Query{Host: "10.0.0.3", Limit: 10})
	p2, _ := f.s.Search(context.Background(), Query{Host: "10.0.0.3", Limit: 10, Offset: 10})
	if len(p1.Records) != 10 || !p1.More || len(p2.Records) != 10 || p1.Records[9].Message == p2.Records[0].Message {
		t.Fatalf("paging: %d %v %d", len(p1.Records), p1.More, len(p2.Records))
	}
	// Time range and text.
	res, _ = f.s.Search(context.Background(), Query{Since: t0.Add(100 * time.Second), Until: t0.Add(110 * time.Second), Text: "PAGE 10"})
	if len(res.Records) != 10 { // pages 100…109
		t.Fatalf("range+text: %d", len(res.Records))
	}
	// Establishment filter: the deployment stream only.
	res, _ = f.s.Search(context.Background(), Query{Establishments: []string{""}})
	if len(res.Records) != 1 || res.Records[0].Class != ClassSystem {
		t.Fatalf("deployment stream: %+v", res.Records)
	}
}

// CARINE: MCO-JAL-8
func TestVerifyNamesFlippedByte(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 3, 200)
	p := segPath(f, 2, "seg")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 0x01
	os.WriteFile(p, b, 0o600)
	rep := mustVerify(t, f)
	wantProblem(t, rep, 2, "altered")
	if len(rep.Problems) != 1 {
		t.Fatalf("only segment 2 is wrong: %v", rep.Problems)
	}
	// A flipped byte in a manifest breaks its signature.
	f2 := open(t, t.TempDir(), nil)
	fill(t, f2, 2, 50)
	p = segPath(f2, 1, "man")
	b, _ = os.ReadFile(p)
	b = bytes.Replace(b, []byte(`"count": 50`), []byte(`"count": 49`), 1)
	os.WriteFile(p, b, 0o600)
	wantProblem(t, mustVerify(t, f2), 1, "signature")
}

// CARINE: MCO-JAL-8
func TestVerifyNamesDeletedSegment(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 4, 100)
	os.Remove(segPath(f, 2, "seg"))
	os.Remove(segPath(f, 2, "man"))
	rep := mustVerify(t, f)
	wantProblem(t, rep, 2, "missing")
	// Deleting the newest segment is caught by the signed head.
	os.Remove(segPath(f, 4, "seg"))
	os.Remove(segPath(f, 4, "man"))
	wantProblem(t, mustVerify(t, f), 4, "missing")
}

// CARINE: MCO-JAL-8
func TestVerifyNamesReorderedSegments(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 4, 100)
	for _, ext := range []string{"seg", "man"} {
		a, b := segPath(f, 2, ext), segPath(f, 3, ext)
		os.Rename(a, a+".tmp")
		os.Rename(b, a)
		os.Rename(a+".tmp", b)
	}
	rep := mustVerify(t, f)
	wantProblem(t, rep, 2, "reordered")
	wantProblem(t, rep, 3, "reordered")
}

// CARINE: MCO-JAL-2
func TestPurgeWholeSegmentsKeepsChainVerifiable(t *testing.T) {
	clock := core.NewFakeClock(t0.AddDate(1, 0, 10))
	f := open(t, t.TempDir(), func(c *Config) { c.Clock = clock })
	fill(t, f, 3, 100) // records of 2026-11-02, a year and 10 days before the clock
	for i := 0; i < 10; i++ {
		r := rec(i, "est1", ClassConnection)
		r.Time = clock.Now()
		f.s.Append(r)
	}
	f.s.Flush(context.Background())
	got, err := f.s.Purge(context.Background(), clock.Now(), DefaultPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Seq != 1 || got[2].Seq != 3 {
		t.Fatalf("purged %+v", got)
	}
	if _, err := os.Stat(segPath(f, 3, "seg")); !os.IsNotExist(err) {
		t.Fatal("segment 3 still there")
	}
	if rep := mustVerify(t, f); !rep.OK() || rep.Segments != 1 {
		t.Fatalf("after purge: %+v", rep)
	}
	// A segment within retention is never purged.
	if got, _ := f.s.Purge(context.Background(), clock.Now(), DefaultPolicy); len(got) != 0 {
		t.Fatalf("second purge removed %v", got)
	}
}

// CARINE: MCO-JAL-3
func TestArchiveVerifiesOffline(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 3, 100)
	var buf bytes.Buffer
	idx, err := f.s.ExportArchive(context.Background(), &buf, t0, t0.Add(250*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Streams) != 1 || idx.Streams[0].FirstSeq != 1 || idx.Streams[0].LastSeq != 3 {
		t.Fatalf("index %+v", idx.Streams)
	}
	rep, kid, err := VerifyArchive(context.Background(), bytes.NewReader(buf.Bytes()), t.TempDir(), nil)
	if err != nil || !rep.OK() || rep.Segments != 3 || kid != KeyID(testKey.Public().(ed25519.PublicKey)) {
		t.Fatalf("verify archive: %v %+v %s", err, rep, kid)
	}
	// A period covering only the second segment's records.
	var one bytes.Buffer
	idx, _ = f.s.ExportArchive(context.Background(), &one, t0.Add(120*time.Second), t0.Add(130*time.Second))
	if len(idx.Streams) != 1 || idx.Streams[0].FirstSeq != 2 || idx.Streams[0].LastSeq != 2 {
		t.Fatalf("index %+v", idx.Streams)
	}
	if rep, _, _ := VerifyArchive(context.Background(), &one, t.TempDir(), nil); !rep.OK() {
		t.Fatal(rep.Problems)
	}
	// One flipped byte inside the tar is named.
	b := buf.Bytes()
	i := bytes.Index(b, []byte("000000000002.seg"))
	b[i+600] ^= 0x40 // inside that entry's data (after its 512-byte header)
	rep, _, _ = VerifyArchive(context.Background(), bytes.NewReader(b), t.TempDir(), nil)
	wantProblem(t, rep, 2, "")
	// The wrong expected key is reported.
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	rep, _, _ = VerifyArchive(context.Background(), bytes.NewReader(buf.Bytes()), t.TempDir(), other.Public().(ed25519.PublicKey))
	if rep.OK() {
		t.Fatal("archive accepted with another deployment's key")
	}
}

// slowBlobs blocks every Create until released: the sealer is stuck.
type slowBlobs struct {
	blob.Store
	release chan struct{}
}

func (s slowBlobs) Create(ctx context.Context, key string) (blob.Writer, error) {
	<-s.release
	return s.Store.Create(ctx, key)
}

// CARINE: MCO-JAL-2
func TestAppendNeverBlocksAndCountsDrops(t *testing.T) {
	dir := t.TempDir()
	bs, _ := fsblob.New(fsblob.Config{Dir: dir})
	slow := slowBlobs{Store: bs, release: make(chan struct{})}
	s, err := Open(context.Background(), Config{Blobs: slow, Key: testKey, Spool: filepath.Join(dir, "spool"),
		Buffer: 16, MaxSegmentRecords: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5000; i++ {
			s.Append(rec(i, "e", ClassSystem))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Append blocked while the blob store was stuck")
	}
	st := s.Stats()
	if st.Dropped == 0 || st.Appended+st.Dropped != 5000 {
		t.Fatalf("stats %+v", st)
	}
	close(slow.release)
	s.Close()
}

// TestCrashChild is the process killed by TestKillNineRecovers.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("PREAU_LOGS_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process of TestKillNineRecovers")
	}
	bs, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	s, err := Open(context.Background(), Config{Blobs: bs, Key: testKey, Spool: filepath.Join(dir, "spool"),
		FsyncInterval: 100 * time.Millisecond, SealInterval: 800 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; ; i++ {
		r := rec(i, "est1", ClassConnection)
		r.Time = time.Now()
		s.Append(r)
		if i%200 == 0 {
			fmt.Printf("appended %d segments %d\n", i, s.Stats().Segments)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// CARINE: MCO-JAL-2
func TestKillNineRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "PREAU_LOGS_CRASH_DIR="+dir)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	type mark struct {
		n  int
		at time.Time
	}
	var marks []mark
	start := time.Now()
	// After 2 s, the kill comes when the spool being filled has lived
	// three fsync intervals (no segment sealed for 300 ms: the spool file
	// holds records), so that the restart has a spool to recover.
	segs, segsAt := int64(-1), time.Now()
	for sc.Scan() && time.Since(start) < 6*time.Second {
		var n int
		var k int64
		if _, err := fmt.Sscanf(sc.Text(), "appended %d segments %d", &n, &k); err == nil {
			marks = append(marks, mark{n, time.Now()})
			if k != segs {
				segs, segsAt = k, time.Now()
			}
		}
		if time.Since(start) > 2*time.Second && time.Since(segsAt) > 300*time.Millisecond {
			break
		}
	}
	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// Every record announced more than 1 s (ten fsync intervals) before the
	// kill must survive.
	safe := 0
	for _, m := range marks {
		if killed.Sub(m.at) > time.Second {
			safe = m.n
		}
	}
	if safe == 0 {
		t.Skip("the child announced nothing early enough (machine too loaded)")
	}
	f := open(t, dir, nil)
	if err := f.s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := f.s.Stats(); st.Recovered == 0 {
		t.Fatalf("nothing recovered from the spool: %+v", st)
	}
	rep := mustVerify(t, f)
	if !rep.OK() {
		t.Fatalf("sealed data does not verify after kill -9: %v", rep.Problems)
	}
	res, err := f.s.Search(context.Background(), Query{Classes: []Class{ClassConnection}, Limit: MaxExport})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range res.Records {
		seen[r.Fields["n"]] = true
	}
	for i := 1; i <= safe; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("record %d (announced before the last interval) lost; %d records kept", i, len(seen))
		}
	}
	gaps, _ := f.s.Search(context.Background(), Query{Service: "logs", Text: "gap"})
	if len(gaps.Records) == 0 || gaps.Records[0].Fields["gap_from"] == "" {
		t.Fatalf("the gap is not recorded: %+v", gaps.Records)
	}
}

func FuzzReadSegment(f *testing.F) {
	var lines []line
	for i := 0; i < 20; i++ {
		r := rec(i, "e", ClassSystem)
		lines = append(lines, line{data: EncodeJSON(&r), t: r.Time, user: r.User, host: r.Source})
	}
	data, m := buildSegment(lines, "", nil)
	m.Sign(testKey)
	mb := must(m)
	f.Add(mb, data)
	f.Add(mb, data[:len(data)/2])
	// Version 2 manifests carry block digests; version 1 ones a record
	// chain (the reader reads both).
	d2, m2 := buildSegment(testLines(3000), "prev", nil)
	f.Add(must(m2), d2)
	f.Add(must(version1(m2, d2)), d2)
	f.Add([]byte(`{"v":2,"blocks":[{"off":0,"len":4,"n":1,"sha256":"zz"}],"blocks_hash":"00"}`), []byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte(`{"blocks":[{"off":0,"len":4,"n":1}]}`), []byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Add([]byte(`{"blocks":[{"off":-1,"len":99,"n":1}]}`), []byte("x"))
	f.Fuzz(func(t *testing.T, manifest, data []byte) {
		recs, err := ReadSegment(manifest, data)
		if err == nil {
			for _, r := range recs {
				_ = EncodeJSON(&r)
			}
		}
		// The verifier reads the same hostile input without panicking.
		var m Manifest
		if json.Unmarshal(manifest, &m) == nil && len(m.Blocks) <= 1<<20 {
			_ = CheckSegment(&m, data)
		}
	})
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func must(m *Manifest) []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzEncodeJSON(f *testing.F) {
	f.Add("jdupont", "GET <a&b> \"x\" \\ \n\t\x01 é \u2028", "k", "v\xff")
	f.Add("", "", "", "")
	// Long runs around the 8-byte fast path of appendJSONString.
	f.Add("abcdefgh<ijklmnop", "GET https://site1.example/page/12345678 200 1234 &q=1", "cat", "abcdefg\x7fhijklmno\u00e9pqrstuv\"")
	f.Add("12345678", "abcdefghijklmnopqrstuvw\x1f", "k", "abcdefghijklmnop\xe2\x80\xa8qrstuvwxyz")
	f.Fuzz(func(t *testing.T, user, msg, k, v string) {
		r := Record{Time: t0, Class: ClassSystem, User: user, Message: msg, Source: v, Severity: 3}
		if k != "" {
			r.Fields = map[string]string{k: v, "z": msg}
		}
		got, want := EncodeJSON(&r), encodeJSONReflect(&r)
		if !bytes.Equal(got, want) {
			t.Fatalf("EncodeJSON\n%s\nencoding/json\n%s", got, want)
		}
	})
}

// flakyBlobs fails the first Create calls, as an S3 outage would.
type flakyBlobs struct {
	blob.Store
	fails *int
}

func (f flakyBlobs) Create(ctx context.Context, key string) (blob.Writer, error) {
	if *f.fails > 0 {
		*f.fails--
		return nil, core.E("test", core.Unavailable, "blob store down")
	}
	return f.Store.Create(ctx, key)
}

// TestSealRetriesWhileBlobStoreIsDown: a failed seal is retried, and the
// records arrive once the blob store is back.
// CARINE: MCO-JAL-8
func TestSealRetriesWhileBlobStoreIsDown(t *testing.T) {
	dir := t.TempDir()
	bs, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	fails := 1
	s, err := Open(context.Background(), Config{Blobs: flakyBlobs{bs, &fails}, Key: testKey, Spool: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 10; i++ {
		s.Append(rec(i, "e", ClassSystem))
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, _ := s.Search(context.Background(), Query{})
	if len(res.Records) != 10 || fails != 0 {
		t.Fatalf("%d records after the outage", len(res.Records))
	}
	if rep, _ := Verify(context.Background(), bs, testKey.Public().(ed25519.PublicKey)); !rep.OK() {
		t.Fatal(rep.Problems)
	}
}

// TestUsageProjectsRetention: the usage report sums a stream's segments and
// projects its size at the retention.
// CARINE: MCO-JAL-2
func TestUsageProjectsRetention(t *testing.T) {
	f := open(t, t.TempDir(), nil)
	fill(t, f, 2, 100)
	us, err := f.s.Usage(context.Background(), DefaultPolicy)
	if err != nil || len(us) != 1 {
		t.Fatal(err, us)
	}
	u := us[0]
	if u.Segments != 2 || u.Records != 200 || u.Bytes <= 0 || u.Retention != 365 || u.PerDay != u.Bytes || u.Projected != 365*u.Bytes {
		t.Fatalf("%+v", u)
	}
}

func FuzzVerifyArchive(f *testing.F) {
	dir := f.TempDir()
	bs, _ := fsblob.New(fsblob.Config{Dir: filepath.Join(dir, "blobs")})
	s, err := Open(context.Background(), Config{Blobs: bs, Key: testKey, Spool: filepath.Join(dir, "spool")})
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		s.Append(rec(i, "e", ClassSystem))
	}
	s.Flush(context.Background())
	var buf bytes.Buffer
	s.ExportArchive(context.Background(), &buf, time.Time{}, time.Time{})
	s.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("not a tar"))
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, _, err := VerifyArchive(context.Background(), bytes.NewReader(b), tmp, nil)
		if err == nil && rep == nil {
			t.Fatal("no report and no error")
		}
	})
}

func FuzzParseJustification(f *testing.F) {
	for _, s := range []string{"incident:INC-42", "judiciaire: PV 2026/1", "consent:", ":", "x:abc", "INCIDENT:  é\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, err := ParseJustification(s)
		if err == nil && strings.TrimSpace(s) != "" && (j.Basis == "" || len([]rune(j.Reference)) < 3) {
			t.Fatalf("%q accepted as %+v", s, j)
		}
	})
}
