// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/journal"
)

// Mismatch is a stored object whose content is not what its node says.
type Mismatch struct {
	Ref    BlobRef
	Got    string // the SHA-256 read, or "" when the object is missing
	Reason string
}

// ScrubReport is what a scrub found.
type ScrubReport struct {
	Checked    int
	Bytes      int64
	Mismatches []Mismatch
	Orphans    int // blobs no node refers to (an upload cut by a crash), deleted
}

// Scrub reads every stored file and version, wherever its content lives
// (the blob store, or the database for small ones), checks its SHA-256
// (CARINE UTI-ESF-10), journals each mismatch (files.scrub.mismatch) and
// removes orphan blobs older than an hour (left by a crash between the
// blob's commit and the node's) and unreferenced inline contents. progress, when not nil, is called after each object.
func (s *Service) Scrub(ctx context.Context, progress func(done int, bytes int64)) (*ScrubReport, error) {
	rep := &ScrubReport{}
	seen := map[string]bool{}
	err := s.st.BlobRefs(ctx, func(r BlobRef) error {
		if seen[r.Key] {
			return nil // a copy sharing a blob already checked
		}
		seen[r.Key] = true
		got, n, err := s.hashBlob(ctx, r.Key)
		rep.Checked++
		rep.Bytes += n
		switch {
		case core.IsKind(err, core.NotFound):
			rep.Mismatches = append(rep.Mismatches, Mismatch{Ref: r, Reason: "missing object"})
		case err != nil:
			return err
		case got != r.SHA256 || n != r.Size:
			rep.Mismatches = append(rep.Mismatches, Mismatch{Ref: r, Got: got,
				Reason: fmt.Sprintf("checksum mismatch (%d bytes, expected %d)", n, r.Size)})
		}
		if progress != nil {
			progress(rep.Checked, rep.Bytes)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, m := range rep.Mismatches {
		sp, _ := s.st.FindSpace(ctx, m.Ref.Space)
		s.journalMismatch(ctx, sp, m.Ref.NodeID, m.Ref.Version, "scrub: "+m.Reason)
	}
	cutoff := s.clock.Now().Add(-time.Hour)
	var orphans []string
	err = s.blobs.List(ctx, "files/", func(i blob.Info) error {
		if !seen[i.Key] && i.ModTime.Before(cutoff) {
			orphans = append(orphans, i.Key)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, k := range orphans {
		if s.dropUnreferenced(ctx, k) {
			rep.Orphans++
		}
	}
	// Inline contents nothing refers to (see Store.DropOrphanInline).
	n, err := s.st.DropOrphanInline(ctx)
	if err != nil {
		return rep, err
	}
	rep.Orphans += n
	// Temporary data of uploads cut by a crash (fsblob's temporary files,
	// S3's incomplete multipart uploads).
	if c, ok := s.blobs.(blob.Cleaner); ok {
		n, err := c.Clean(ctx, time.Hour)
		if err != nil {
			return rep, err
		}
		rep.Orphans += n
	}
	return rep, nil
}

func (s *Service) hashBlob(ctx context.Context, key string) (string, int64, error) {
	rc, err := s.openContent(ctx, key)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", n, core.Wrap("files.Scrub", core.Internal, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// mismatch records a checksum failure met while reading.
func (s *Service) mismatch(ctx context.Context, sp *Space, n *Node, version, when string) {
	s.log.Error("stored file does not match its checksum", "node", n.ID, "space", sp.ID, "when", when)
	s.journalMismatch(ctx, sp, n.ID, version, when+": checksum mismatch")
}

func (s *Service) journalMismatch(ctx context.Context, sp *Space, nodeID, version, reason string) {
	chain := journal.DeploymentChain
	name := ""
	if sp != nil {
		chain, name = sp.Establishment, string(sp.Kind)+":"+sp.Name
	}
	attrs := []string{"node:" + nodeID}
	if version != "" {
		attrs = append(attrs, "version:"+version)
	}
	e := journal.Entry{Chain: chain, Action: "files.scrub.mismatch", TargetType: "space", TargetName: name,
		Result: journal.Failed, Reason: strings.TrimSpace(reason), Attributes: attrs}
	e.SetActor(core.PrincipalFromContext(ctx))
	if err := s.st.Journal(ctx, e); err != nil {
		s.log.Error("journaling a checksum mismatch failed", "err", err)
	}
}
