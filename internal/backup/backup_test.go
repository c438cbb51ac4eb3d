// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/restic/chunker"

	"github.com/preau/preau/internal/backup"
)

type fixture struct {
	t      *testing.T
	src    string
	be     backup.Local
	secret *backup.Secret
	key    *backup.RecoveryKey
	rs     []age.Recipient
	ids    []age.Identity
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := backup.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	k, err := backup.NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := backup.ParseRecipients(strings.NewReader(k.Recipient))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := backup.ParseIdentities(strings.NewReader(k.Sheet("test")))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, src: t.TempDir(), be: backup.Local{Root: t.TempDir()}, secret: s, key: k, rs: rs, ids: ids}
}

func (f *fixture) write(rel string, data []byte) {
	f.t.Helper()
	p := filepath.Join(f.src, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		f.t.Fatal(err)
	}
}

func randomBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func (f *fixture) run(opts backup.Options) backup.SnapshotRef {
	f.t.Helper()
	r, err := backup.OpenForBackup(context.Background(), f.be, f.secret, f.rs, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	items, err := backup.DirItems(f.src, "data", nil)
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := r.Backup(context.Background(), items, opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func (f *fixture) restore(snap string, include ...string) string {
	f.t.Helper()
	ctx := context.Background()
	r, err := backup.Open(ctx, f.be)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := r.Unlock(ctx, f.ids); err != nil {
		f.t.Fatal(err)
	}
	s, err := r.FindSnapshot(ctx, snap, time.Time{})
	if err != nil {
		f.t.Fatal(err)
	}
	dst := f.t.TempDir()
	if _, err := r.Restore(ctx, s.Snapshot, backup.DirSink{Root: dst}, backup.RestoreOptions{Include: include}); err != nil {
		f.t.Fatal(err)
	}
	return dst
}

// tree returns path → sha256 of every file under root.
func tree(t *testing.T, root string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = sha256.Sum256(b)
		return nil
	})
	return out
}

func equalTrees(t *testing.T, got, want map[string][32]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("restored %d files, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s differs after restore", k)
		}
	}
}

// CARINE: MCO-SVG-1 — a backed-up folder comes back identical.
func TestBackupRestoreRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.write("a.txt", []byte("bonjour"))
	f.write("big/one.bin", randomBytes(1, 3<<20))
	f.write("big/two.bin", randomBytes(2, 700<<10))
	f.write("empty", nil)
	f.write("deep/x/y/z.csv", bytes.Repeat([]byte("login;classe\n"), 10000))
	s := f.run(backup.Options{PackSize: 1 << 20})
	if s.Stats.Files != 5 || s.Stats.Bytes == 0 {
		t.Fatalf("stats %+v", s.Stats)
	}
	dst := f.restore("")
	want := map[string][32]byte{}
	for k, v := range tree(t, f.src) {
		want["data/"+k] = v
	}
	equalTrees(t, tree(t, dst), want)
	fi, err := os.Stat(filepath.Join(dst, "data", "a.txt"))
	if err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode not restored: %v %v", fi.Mode(), err)
	}
}

// chunkSizes returns the sizes of b's content-defined chunks by SHA-256, cut
// as a backup with polynomial pol cuts them (the polynomial is random per
// repository, so chunk sizes vary from run to run).
func chunkSizes(t *testing.T, b []byte, pol chunker.Pol) map[[32]byte]int64 {
	t.Helper()
	ch := chunker.New(bytes.NewReader(b), pol)
	buf := make([]byte, chunker.MaxSize)
	out := map[[32]byte]int64{}
	for {
		c, err := ch.Next(buf)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[sha256.Sum256(c.Data)] = int64(c.Length)
	}
}

// CARINE: MCO-SVG-2 — an incremental run stores only what changed, and
// dedup works across files.
func TestIncrementalStoresOnlyChanges(t *testing.T) {
	f := newFixture(t)
	big := randomBytes(3, 8<<20)
	f.write("one.bin", big)
	cache := backup.FileCache{}
	s1 := f.run(backup.Options{Cache: cache})
	// The same content under another name costs no new data blob.
	f.write("copy.bin", big)
	s2 := f.run(backup.Options{Cache: cache})
	if s2.Stats.AddedBytes > 64<<10 {
		t.Fatalf("a copy of an existing file added %d bytes", s2.Stats.AddedBytes)
	}
	// A change in the middle of a big file adds the chunks it changed (one,
	// or two when it moves a boundary), and nothing else but metadata.
	changed := append([]byte{}, big...)
	copy(changed[4<<20:], []byte("changement au milieu"))
	f.write("one.bin", changed)
	s3 := f.run(backup.Options{Cache: cache})
	old := chunkSizes(t, big, f.secret.Polynomial)
	var fresh int64
	for sum, n := range chunkSizes(t, changed, f.secret.Polynomial) {
		if _, ok := old[sum]; !ok {
			fresh += n
		}
	}
	if fresh == 0 || s3.Stats.AddedBytes < fresh || s3.Stats.AddedBytes > fresh+64<<10 {
		t.Fatalf("a small change added %d bytes for %d bytes of changed chunks (first run %d)",
			s3.Stats.AddedBytes, fresh, s1.Stats.AddedBytes)
	}
	// Every version restores.
	if b, _ := os.ReadFile(filepath.Join(f.restore(s1.ID.String()), "data", "one.bin")); !bytes.Equal(b, big) {
		t.Fatal("first version lost")
	}
	if b, _ := os.ReadFile(filepath.Join(f.restore(s3.ID.String()), "data", "one.bin")); !bytes.Equal(b, changed) {
		t.Fatal("last version wrong")
	}
}

// CARINE: MCO-SVG-1 — selective restore of one folder.
func TestSelectiveRestore(t *testing.T) {
	f := newFixture(t)
	f.write("people/alice/notes.txt", []byte("alice"))
	f.write("people/bob/notes.txt", []byte("bob"))
	f.write("people/bobby.txt", []byte("not bob's folder"))
	f.run(backup.Options{})
	dst := f.restore("", "data/people/bob")
	got := tree(t, dst)
	if len(got) != 1 || got["data/people/bob/notes.txt"] != sha256.Sum256([]byte("bob")) {
		t.Fatalf("selective restore gave %v", got)
	}
}

// CARINE: MCO-SVG-11 — everything the server holds (repository, dedup
// secret, recipients) does not reveal content without the recovery key.
func TestNoContentWithoutRecoveryKey(t *testing.T) {
	f := newFixture(t)
	secretText := []byte("BULLETIN-CONFIDENTIEL-" + strings.Repeat("note de Lucas Martin 04/20 ", 2000))
	f.write("bulletins/lucas.txt", secretText)
	f.write("secret-name-of-file-zz.txt", []byte("x"))
	f.run(backup.Options{})
	ctx := context.Background()
	// No byte of the content nor of the names is in any stored object.
	filepath.WalkDir(f.be.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, needle := range []string{"BULLETIN", "Lucas", "lucas", "secret-name-of-file", "bulletins"} {
			if bytes.Contains(b, []byte(needle)) {
				t.Fatalf("%s reveals %q", p, needle)
			}
		}
		return nil
	})
	r, err := backup.Open(ctx, f.be)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.FindSnapshot(ctx, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Without the key: no listing, no restore.
	if _, err := r.Listing(ctx, s.Snapshot); err == nil {
		t.Fatal("listing readable without the recovery key")
	}
	if _, err := r.Restore(ctx, s.Snapshot, backup.Discard, backup.RestoreOptions{}); err == nil {
		t.Fatal("restore without the recovery key")
	}
	// Another age key (a technician's own) does not open it either.
	other, _ := age.GenerateX25519Identity()
	if err := r.Unlock(ctx, []age.Identity{other}); err == nil {
		t.Fatal("a foreign key unlocked the repository")
	}
	// The server's dedup secret does not decrypt: it only names chunks.
	// Knowing it, one can confirm a guessed chunk, which the design accepts;
	// a blob's bytes are still ciphertext.
	id := f.secret.ChunkID(secretText)
	loc, ok := r.Index().Lookup(id)
	if !ok {
		t.Fatal("the secret file is one chunk and should be indexed by its keyed ID")
	}
	rc, _ := f.be.Load(ctx, backup.Handle{Kind: backup.KindData, Name: loc.Pack.String()}, int64(loc.Offset), int64(loc.Length))
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if bytes.Contains(stored, secretText[:40]) {
		t.Fatal("stored blob is not encrypted")
	}
	// With the key, it reads back.
	if err := r.Unlock(ctx, f.ids); err != nil {
		t.Fatal(err)
	}
	if b, err := r.LoadBlob(ctx, id); err != nil || !bytes.Equal(b, secretText) {
		t.Fatalf("with the key: %v", err)
	}
}

// CARINE: MCO-SVG-8, MCO-SVG-12 — verification without the key finds
// altered and missing packs and snapshots.
func TestCheckFindsDamage(t *testing.T) {
	f := newFixture(t)
	f.write("a.bin", randomBytes(5, 2<<20))
	f.write("b.bin", randomBytes(6, 2<<20))
	f.run(backup.Options{PackSize: 1 << 20})
	ctx := context.Background()
	check := func() *backup.CheckReport {
		r, err := backup.Open(ctx, f.be)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := r.Check(ctx, backup.CheckOptions{ReadData: true})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := check(); !rep.OK() || rep.Snapshots != 1 || rep.Packs < 2 {
		t.Fatalf("clean repository: %+v", rep)
	}
	var packs []string
	filepath.WalkDir(filepath.Join(f.be.Root, "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			packs = append(packs, p)
		}
		return nil
	})
	sort.Strings(packs)
	// One flipped byte in a pack.
	b, _ := os.ReadFile(packs[0])
	b[len(b)/2] ^= 1
	os.Chmod(packs[0], 0o600)
	os.WriteFile(packs[0], b, 0o600)
	if rep := check(); rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "does not match its name") {
		t.Fatalf("flipped byte not found: %v", rep.Problems)
	}
	// A missing pack.
	os.Remove(packs[1])
	if rep := check(); !strings.Contains(strings.Join(rep.Problems, "\n"), "missing") {
		t.Fatalf("missing pack not found: %v", rep.Problems)
	}
}

// CARINE: MCO-SVG-3 — retention keeps what the policy says and prune frees
// the packs only forgotten snapshots used, without any key.
func TestPruneRetention(t *testing.T) {
	f := newFixture(t)
	day := time.Date(2026, 9, 1, 22, 0, 0, 0, time.UTC)
	var ids []backup.SnapshotRef
	for i := 0; i < 5; i++ {
		f.write("daily.bin", randomBytes(int64(100+i), 1<<20))
		ids = append(ids, f.run(backup.Options{Time: day.AddDate(0, 0, i), Kind: "full"}))
	}
	ctx := context.Background()
	r, err := backup.Open(ctx, f.be)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Prune(ctx, backup.Retention{Last: 2}, day.AddDate(0, 0, 10), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kept != 2 || rep.Forgotten != 3 || rep.PacksRemoved != 3 {
		t.Fatalf("prune: %+v", rep)
	}
	snaps, _, _ := r.Snapshots(ctx)
	if len(snaps) != 2 || snaps[0].ID != ids[3].ID || snaps[1].ID != ids[4].ID {
		t.Fatalf("kept %v", snaps)
	}
	if c, _ := r.Check(ctx, backup.CheckOptions{ReadData: true}); !c.OK() {
		t.Fatalf("after prune: %v", c.Problems)
	}
	if b, _ := os.ReadFile(filepath.Join(f.restore(ids[3].ID.String()), "data", "daily.bin")); !bytes.Equal(b, randomBytes(103, 1<<20)) {
		t.Fatal("kept snapshot does not restore")
	}
}

func TestRetentionBuckets(t *testing.T) {
	var snaps []backup.SnapshotRef
	start := time.Date(2025, 1, 1, 3, 0, 0, 0, time.UTC)
	for i := 0; i < 400; i++ { // one a day for 400 days, two on some days
		t0 := start.AddDate(0, 0, i)
		snaps = append(snaps, backup.SnapshotRef{ID: backup.ID{byte(i), byte(i >> 8)}, Snapshot: &backup.Snapshot{Time: t0}})
		if i%10 == 0 {
			snaps = append(snaps, backup.SnapshotRef{ID: backup.ID{byte(i), byte(i >> 8), 1}, Snapshot: &backup.Snapshot{Time: t0.Add(time.Hour)}})
		}
	}
	keep, forget := backup.Retention{Daily: 7, Weekly: 4, Monthly: 12, Yearly: 3}.Apply(snaps)
	if len(keep)+len(forget) != len(snaps) {
		t.Fatal("lost snapshots")
	}
	// 7 days + weeks 2-4 beyond them + months + 2025's last … at most 7+4+12+3.
	if len(keep) < 12 || len(keep) > 26 {
		t.Fatalf("kept %d", len(keep))
	}
	newest := snaps[len(snaps)-1]
	if keep[0].ID != newest.ID && keep[0].Time.Before(newest.Time) {
		t.Fatal("the newest snapshot must be kept")
	}
	if all, none := (backup.Retention{}).Apply(snaps); len(all) != len(snaps) || none != nil {
		t.Fatal("an empty policy keeps everything")
	}
}

// CARINE: MCO-SVG-9, MCO-SVG-10 — the annex text follows the live policy.
func TestAnnexFromPolicy(t *testing.T) {
	p := backup.DefaultPolicy()
	p.Repo = "https://sauvegardes.ac-demo.fr:8444"
	paras, items := backup.AnnexParagraphs(p, true)
	all := strings.Join(append(paras, items...), "\n")
	for _, want := range []string{"chaque nuit à 02:30", "une sauvegarde par jour pendant 14 jours", "une par mois pendant 12 mois",
		"site distant", "tous les 90 jours", "chaque dimanche à 05:00", "Ne sont pas sauvegardés", "réquisition judiciaire"} {
		if !strings.Contains(all, want) {
			t.Errorf("annex lacks %q:\n%s", want, all)
		}
	}
	p.Schedule = "weekdays 21:00"
	p.Retention = backup.Retention{Last: 5}
	p.Repo = "/mnt/disk2"
	paras, _ = backup.AnnexParagraphs(p, true)
	all = strings.Join(paras, "\n")
	if !strings.Contains(all, "du lundi au vendredi à 21:00") || !strings.Contains(all, "les 5 dernières sauvegardes") || strings.Contains(all, "site distant") {
		t.Fatalf("annex after a policy change:\n%s", all)
	}
	if paras, _ := backup.AnnexParagraphs(p, false); !strings.Contains(paras[0], "pas encore en service") {
		t.Fatal(paras)
	}
}

// CARINE: MCO-SVG-2 — calendar expressions.
func TestCalendar(t *testing.T) {
	at := time.Date(2026, 9, 4, 23, 0, 0, 0, time.UTC) // a Friday
	for expr, want := range map[string]string{
		"daily 02:30":      "2026-09-05 02:30",
		"weekdays 02:30":   "2026-09-07 02:30",
		"weekly sun 03:00": "2026-09-06 03:00",
		"monthly 1 04:00":  "2026-10-01 04:00",
		"hourly":           "2026-09-05 00:00",
		"every 6h":         "2026-09-05 00:00",
	} {
		c, err := backup.ParseCalendar(expr)
		if err != nil {
			t.Fatal(expr, err)
		}
		if got := c.Next(at).Format("2006-01-02 15:04"); got != want {
			t.Errorf("%s: next %s, want %s", expr, got, want)
		}
	}
	for _, bad := range []string{"", "daily", "daily 25:00", "weekly xyz 03:00", "monthly 31 01:00", "every 1m", "cron * * *"} {
		if _, err := backup.ParseCalendar(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// CARINE: MCO-SVG-2 — selection by paths and name patterns.
func TestPolicySelection(t *testing.T) {
	p := backup.Policy{Include: []string{"blobs/files/alice", "db"}, Exclude: []string{"*.iso", "*.tmp"}}
	for path, want := range map[string]bool{
		"blobs":                       true, // on the way to a selected folder
		"blobs/files":                 true,
		"blobs/files/alice/notes.txt": true,
		"blobs/files/alice/film.iso":  false,
		"blobs/files/bob/notes.txt":   false,
		"blobs/files/alicea/x":        false,
		"db/preau.db":                 true,
		"data/keys/journal.ed25519":   false,
	} {
		if got := p.Selects(path); got != want {
			t.Errorf("%s: selected %v, want %v", path, got, want)
		}
	}
	if err := (backup.Policy{Schedule: "daily 02:30", Include: []string{"../etc"}}).Validate(); err == nil {
		t.Error("a selection outside the listing was accepted")
	}
	if err := (backup.Policy{Schedule: "daily 02:30", Exclude: []string{"[x"}}).Validate(); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

// CARINE: MCO-SVG-11 — the recovery key's printable sheet: text and QR.
func TestRecoveryKeySheetQR(t *testing.T) {
	k, err := backup.NewRecoveryKey()
	if err != nil {
		t.Fatal(err)
	}
	txt, err := k.QRText()
	if err != nil || strings.Count(txt, "\n") < 20 || !strings.Contains(txt, "█") {
		t.Fatalf("QR text: %v\n%s", err, txt)
	}
	svg, err := k.QRSVG()
	if err != nil || !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, k.Identity) {
		t.Fatalf("QR SVG: %v", err)
	}
	// The sheet's text parses back into the identity.
	ids, err := backup.ParseIdentities(strings.NewReader(k.Sheet("test")))
	if err != nil || len(ids) != 1 {
		t.Fatalf("sheet: %v", err)
	}
}

// CARINE: MCO-SVG-11 — the two-person procedure: each share alone opens
// nothing; both together open the repository.
func TestTwoPersonShares(t *testing.T) {
	f := newFixture(t)
	f.write("a.txt", []byte("bonjour"))
	f.run(backup.Options{})
	a, b, err := f.key.SplitKey()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a+b, f.key.Identity[20:40]) {
		t.Fatal("a share shows part of the key")
	}
	for _, one := range []string{a, b} {
		if _, err := backup.ParseIdentities(strings.NewReader(one)); err == nil {
			t.Fatal("one share parses as a key")
		}
	}
	ids, err := backup.CombineShares(b, a)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := backup.Open(context.Background(), f.be)
	if err := r.Unlock(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	other, _ := backup.NewRecoveryKey()
	_, b2, _ := other.SplitKey()
	if _, err := backup.CombineShares(a, b2); err == nil {
		t.Fatal("shares of two keys combined")
	}
	if _, err := backup.CombineShares(a, a); err == nil {
		t.Fatal("the same share twice combined")
	}
}
