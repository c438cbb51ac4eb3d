// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package files

import (
	"context"

	"github.com/preau/preau/internal/core"
)

// Props returns the dead properties (WebDAV PROPPATCH) of a stored file or
// folder as an opaque body, "" when none or for a virtual folder.
func (s *Service) Props(ctx context.Context, vpath string) (string, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return "", err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return "", err
	}
	n := t.node()
	if n == nil {
		return "", nil
	}
	return s.st.FindProps(ctx, n.ID)
}

// SetProps stores the dead properties of a stored file or folder.
func (s *Service) SetProps(ctx context.Context, vpath, body string) error {
	_, _, n, err := s.node(ctx, "files.SetProps", vpath, Write)
	if err != nil {
		return err
	}
	if len(body) > 64<<10 {
		return core.E("files.SetProps", core.Invalid, "too many properties (at most 64 KiB)")
	}
	return s.st.SetProps(ctx, n.ID, body)
}

// ListWithProps is List plus the dead properties of the entries, by node
// ID: one query for the whole folder (a PROPFIND of 10,000 entries must
// not make 10,000).
func (s *Service) ListWithProps(ctx context.Context, vpath string) ([]*Entry, map[string]string, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	t, _, err := s.resolve(ctx, c, vpath, false)
	if err != nil {
		return nil, nil, err
	}
	es, err := s.list(ctx, c, t)
	if err != nil || t.space == nil {
		return es, nil, err
	}
	props, err := s.st.FindChildProps(ctx, t.space.ID, t.parentID())
	return es, props, err
}

// CheckCopy reports whether a copy from one path to another is allowed
// (the private marker rules, write access at the destination) without
// doing it: WebDAV copies file by file and asks first.
func (s *Service) CheckCopy(ctx context.Context, from, to string) error {
	_, _, _, _, _, err := s.transfer(ctx, "files.Copy", from, to, true)
	return err
}
