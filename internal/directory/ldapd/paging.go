// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package ldapd

import (
	"encoding/binary"
	"errors"
	"strings"
)

// maxPagedSearches bounds the paged searches a connection keeps open; the
// oldest is forgotten first.
const maxPagedSearches = 8

// pagingRequest is the Simple Paged Results control of a request (RFC 2696).
type pagingRequest struct {
	size   int
	cookie []byte
}

// parsePaging decodes the paging control of controls, if any.
func parsePaging(controls []Control) (*pagingRequest, error) {
	c := findControl(controls, oidPaging)
	if c == nil {
		return nil, nil
	}
	bad := errors.New("malformed paged results control")
	seq, rest, err := expect(c.Value, tagSequence)
	if err != nil || len(rest) != 0 {
		return nil, bad
	}
	size, seq, err := readInt(seq, tagInteger)
	if err != nil || size < 0 {
		return nil, bad
	}
	cookie, rest, err := expect(seq, tagOctetString)
	if err != nil || len(rest) != 0 {
		return nil, bad
	}
	return &pagingRequest{size: int(min(size, 1<<31-1)), cookie: cookie}, nil
}

// pagingControl returns the response control with cookie (nil: last page).
func pagingControl(cookie []byte) respControl {
	e := encoder{b: make([]byte, 0, 16+len(cookie))}
	seq := e.begin(tagSequence)
	e.int(tagInteger, 0) // no estimate of the total
	e.bytes(tagOctetString, cookie)
	e.end(seq)
	return respControl{oid: oidPaging, value: e.b}
}

// pageKey identifies a search across its pages: everything but the
// paging control must stay the same (RFC 2696 §3).
func pageKey(r *SearchRequest) string {
	var b strings.Builder
	b.WriteString(r.BaseDN)
	b.WriteByte(0)
	b.WriteString(r.Scope.String())
	b.WriteByte(0)
	b.WriteString(r.Filter.String())
	for _, a := range r.Attributes {
		b.WriteByte(0)
		b.WriteString(a)
	}
	if r.TypesOnly {
		b.WriteString("\x00typesOnly")
	}
	return b.String()
}

// pageCache holds the open paged searches of a connection.
type pageCache struct {
	serial uint64
	open   []pageState
}

type pageState struct {
	serial uint64
	key    string
	offset int
}

// pageGet returns the offset saved under cookie for the search key.
func (c *conn) pageGet(cookie []byte, key string) (int, bool) {
	if len(cookie) != 8 {
		return 0, false
	}
	serial := binary.BigEndian.Uint64(cookie)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pages.open {
		if p.serial == serial {
			return p.offset, p.key == key
		}
	}
	return 0, false
}

// pageSave forgets the state of old (if any) and saves a new one, returning
// its cookie.
func (c *conn) pageSave(old []byte, key string, offset int) []byte {
	c.pageDrop(old)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pages.serial++
	if len(c.pages.open) >= maxPagedSearches {
		c.pages.open = append(c.pages.open[:0], c.pages.open[1:]...)
	}
	c.pages.open = append(c.pages.open, pageState{serial: c.pages.serial, key: key, offset: offset})
	return binary.BigEndian.AppendUint64(nil, c.pages.serial)
}

// pageDrop forgets the paged search of cookie.
func (c *conn) pageDrop(cookie []byte) {
	if len(cookie) != 8 {
		return
	}
	serial := binary.BigEndian.Uint64(cookie)
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pages.open {
		if p.serial == serial {
			c.pages.open = append(c.pages.open[:i], c.pages.open[i+1:]...)
			return
		}
	}
}

// clearPages forgets every paged search (on bind).
func (c *conn) clearPages() {
	c.mu.Lock()
	c.pages.open = nil
	c.mu.Unlock()
}
