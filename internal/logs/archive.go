// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/core"
)

// An archive (MCO-JAL-3) is a tar file holding, for a period, the sealed
// segments and manifests of every stream that overlap it, under their blob
// keys, plus:
//
//	preau-logs-archive/public-key.pem  the deployment's Ed25519 public key
//	preau-logs-archive/index.json      the signed list of streams and segment ranges
//
// It verifies offline with `preau logs verify --archive FILE`, with nothing
// but the file: the key it carries must be compared with the deployment's key
// ID (printed by the command) by whoever receives the archive.

const archiveDir = "preau-logs-archive/"

// An archive may be encrypted for one or more age recipients (MCO-JAL-3:
// logs on external media are personal data): the whole tar is then an age
// file (https://age-encryption.org/v1), which VerifyArchive opens with an
// identity (the recipient's private key). The signature inside proves the
// content; the encryption keeps it confidential on the way and at rest.

// ageHeader starts every age file.
const ageHeader = "age-encryption.org/v1\n"

// EncryptArchive returns a writer that encrypts what is written to it for
// the recipients and writes it to w; Close finishes the age file (and does
// not close w). With no recipient it returns w unchanged (a no-op Close).
func EncryptArchive(w io.Writer, recipients []age.Recipient) (io.WriteCloser, error) {
	if len(recipients) == 0 {
		return nopWriteCloser{w}, nil
	}
	ew, err := age.Encrypt(w, recipients...)
	if err != nil {
		return nil, core.E("logs.EncryptArchive", core.Invalid, "encrypting the archive: %v", err)
	}
	return ew, nil
}

// ArchiveToBlob writes an archive of [since, until), encrypted for the
// recipients when there are any, as the object key of a blob store (an S3
// bucket of the académie, a removable disk mounted as a folder): the
// object appears whole once written, or not at all.
func (s *Store) ArchiveToBlob(ctx context.Context, bs blob.Store, key string, since, until time.Time, recipients []age.Recipient) (*ArchiveIndex, error) {
	const op = "logs.ArchiveToBlob"
	if err := blob.ValidKey(key); err != nil {
		return nil, core.E(op, core.Invalid, "%q is not a valid object name for the archive", key)
	}
	w, err := bs.Create(ctx, key)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	ew, err := EncryptArchive(w, recipients)
	if err != nil {
		return nil, err
	}
	idx, err := s.ExportArchive(ctx, ew, since, until)
	if err != nil {
		return nil, err
	}
	if err := ew.Close(); err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	if err := w.Commit(); err != nil {
		return nil, err
	}
	return idx, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// openArchive returns the tar stream of an archive: r itself, or r
// decrypted with ids when it is an age file. encrypted says which.
func openArchive(r io.Reader, ids []age.Identity) (tarStream io.Reader, encrypted bool, err error) {
	const op = "logs.VerifyArchive"
	br := bufio.NewReader(r)
	head, _ := br.Peek(len(ageHeader))
	if !bytes.Equal(head, []byte(ageHeader)) {
		return br, false, nil
	}
	if len(ids) == 0 {
		return nil, true, core.E(op, core.Invalid, "the archive is encrypted (age): give the identity file of one of its recipients (--identity FILE)")
	}
	dr, err := age.Decrypt(br, ids...)
	if err != nil {
		return nil, true, core.E(op, core.Permission, "the archive cannot be decrypted with this identity: %v", err)
	}
	return dr, true, nil
}

// ArchiveIndex lists what an archive holds.
type ArchiveIndex struct {
	Created   time.Time       `json:"created"`
	Since     time.Time       `json:"since"`
	Until     time.Time       `json:"until"`
	Streams   []ArchiveStream `json:"streams"`
	KeyID     string          `json:"key_id"`
	Signature string          `json:"signature"`
}

// ArchiveStream is one stream's contiguous range of segments.
type ArchiveStream struct {
	Prefix   string `json:"prefix"`
	FirstSeq int64  `json:"first_seq"`
	LastSeq  int64  `json:"last_seq"`
	Prev     string `json:"prev"` // the first segment's Prev
	Records  int64  `json:"records"`
}

func (x *ArchiveIndex) signedBytes() []byte {
	c := *x
	c.KeyID, c.Signature = "", ""
	b, _ := json.Marshal(&c)
	return append([]byte("preau-logs-archive-v1\n"), b...)
}

// ExportArchive writes an archive of the segments overlapping [since,
// until) to w and returns its index. Unsealed records (the spool) are not
// included: Flush first.
func (s *Store) ExportArchive(ctx context.Context, w io.Writer, since, until time.Time) (*ArchiveIndex, error) {
	const op = "logs.ExportArchive"
	prefixes, err := streamPrefixes(ctx, s.cfg.Blobs)
	if err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	now := s.cfg.Clock.Now().UTC()
	idx := &ArchiveIndex{Created: now, Since: since.UTC(), Until: until.UTC()}
	type pick struct {
		prefix string
		seqs   []int64
	}
	var picks []pick
	for _, prefix := range prefixes {
		seqs, err := listSeqs(ctx, s.cfg.Blobs, prefix, ".man")
		if err != nil {
			return nil, core.Wrap(op, core.Internal, err)
		}
		var chosen []int64
		st := ArchiveStream{Prefix: prefix}
		for _, seq := range seqs {
			m, err := s.manifest(ctx, manKey(prefix, seq))
			if err != nil {
				return nil, core.Wrap(op, core.Internal, err)
			}
			if !since.IsZero() && m.Last.Before(since) || !until.IsZero() && !m.First.Before(until) {
				if len(chosen) > 0 {
					break
				}
				continue
			}
			if len(chosen) == 0 {
				st.FirstSeq, st.Prev = seq, m.Prev
			} else if seq != chosen[len(chosen)-1]+1 {
				return nil, core.E(op, core.Conflict, "stream %s lacks segment %012d: run preau logs verify", prefix, chosen[len(chosen)-1]+1)
			}
			chosen = append(chosen, seq)
			st.LastSeq = seq
			st.Records += int64(m.Count)
		}
		if len(chosen) > 0 {
			idx.Streams = append(idx.Streams, st)
			picks = append(picks, pick{prefix, chosen})
		}
	}
	signObj(&idx.KeyID, &idx.Signature, s.cfg.Key, idx.signedBytes())
	tw := tar.NewWriter(w)
	der, err := x509.MarshalPKIXPublicKey(s.PublicKey())
	if err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	if err := tarFile(tw, archiveDir+"public-key.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), now); err != nil {
		return nil, err
	}
	ib, _ := json.MarshalIndent(idx, "", " ")
	if err := tarFile(tw, archiveDir+"index.json", ib, now); err != nil {
		return nil, err
	}
	for _, p := range picks {
		for _, seq := range p.seqs {
			for _, key := range []string{manKey(p.prefix, seq), segKey(p.prefix, seq)} {
				if err := tarBlob(ctx, tw, s.cfg.Blobs, key); err != nil {
					return nil, core.Wrap(op, core.Internal, err)
				}
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, core.Wrap(op, core.Internal, err)
	}
	return idx, nil
}

func tarFile(tw *tar.Writer, name string, b []byte, t time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: t, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func tarBlob(ctx context.Context, tw *tar.Writer, bs blob.Store, key string) error {
	rc, info, err := bs.Open(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := tw.WriteHeader(&tar.Header{Name: key, Mode: 0o644, Size: info.Size, ModTime: info.ModTime, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, rc)
	return err
}

// VerifyArchive checks an archive offline: the index signature with the key
// the archive carries (and with want, when not nil), then every listed
// segment and the chain of each stream. It unpacks into a temporary folder
// under tmp ("" for the system's). It returns the report and the archive's
// key ID.
//
// An archive encrypted with age is decrypted with ids (VerifyArchive
// refuses it, naming the need, without them); a decrypted archive whose
// age authentication fails (altered ciphertext) is reported as unreadable.
func VerifyArchive(ctx context.Context, r io.Reader, tmp string, want ed25519.PublicKey, ids ...age.Identity) (*Report, string, error) {
	const op = "logs.VerifyArchive"
	r, _, err := openArchive(r, ids)
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp(tmp, "preau-logs-verify-")
	if err != nil {
		return nil, "", core.Wrap(op, core.Internal, err)
	}
	defer os.RemoveAll(dir)
	bs, err := fsblob.New(fsblob.Config{Dir: dir})
	if err != nil {
		return nil, "", core.Wrap(op, core.Internal, err)
	}
	var pubPEM, idxJSON []byte
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", core.E(op, core.Invalid, "not a readable tar archive: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		switch name := path.Clean(h.Name); {
		case name == archiveDir+"public-key.pem":
			pubPEM, _ = io.ReadAll(io.LimitReader(tr, 1<<16))
		case name == archiveDir+"index.json":
			idxJSON, _ = io.ReadAll(io.LimitReader(tr, 64<<20))
		case strings.HasPrefix(name, "logs/") && blob.ValidKey(name) == nil:
			if _, err := blob.Put(ctx, bs, name, tr); err != nil {
				return nil, "", core.Wrap(op, core.Internal, err)
			}
		default:
			return nil, "", core.E(op, core.Invalid, "unexpected entry %q in the archive", h.Name)
		}
	}
	// Read to the end: an encrypted archive's last chunk is authenticated
	// only once it is read.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, "", core.E(op, core.Invalid, "the archive's end is unreadable: %v", err)
	}
	if pubPEM == nil || idxJSON == nil {
		return nil, "", core.E(op, core.Invalid, "the archive lacks %spublic-key.pem or %sindex.json", archiveDir, archiveDir)
	}
	blk, _ := pem.Decode(pubPEM)
	if blk == nil {
		return nil, "", core.E(op, core.Invalid, "the archive's public key is not PEM")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	pub, ok := k.(ed25519.PublicKey)
	if err != nil || !ok {
		return nil, "", core.E(op, core.Invalid, "the archive's public key is not an Ed25519 key")
	}
	keyID := KeyID(pub)
	rep := &Report{}
	if want != nil && KeyID(want) != keyID {
		rep.add("archive", 0, "signed with key %s, not with the expected key %s", keyID, KeyID(want))
	}
	var idx ArchiveIndex
	if err := json.Unmarshal(idxJSON, &idx); err != nil {
		return nil, keyID, core.E(op, core.Invalid, "the archive's index is not valid JSON")
	}
	if err := verifyObj(idx.KeyID, idx.Signature, pub, idx.signedBytes()); err != nil {
		rep.add("archive", 0, "index: %v", err)
	}
	listed := map[string]bool{}
	for _, st := range idx.Streams {
		listed[st.Prefix] = true
		if err := verifyStream(ctx, bs, pub, st.Prefix, streamBounds{firstSeq: st.FirstSeq, prev: st.Prev, lastSeq: st.LastSeq}, rep); err != nil {
			return rep, keyID, err
		}
	}
	prefixes, _ := streamPrefixes(ctx, bs)
	for _, p := range prefixes {
		if !listed[p] {
			rep.add(p, 0, "in the archive but not in its signed index: added")
		}
	}
	return rep, keyID, nil
}
