// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package core

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// NewID returns a new UUID version 7 (RFC 9562) as its canonical 36-character
// string. Version 7 IDs sort by creation time, which keeps B-tree indexes
// compact on both SQLite and PostgreSQL.
func NewID() string { return newUUIDv7(time.Now()) }

func newUUIDv7(t time.Time) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], uint64(t.UnixMilli())<<16)
	_, _ = rand.Read(u[6:])
	u[6] = (u[6] & 0x0f) | 0x70 // version 7
	u[8] = (u[8] & 0x3f) | 0x80 // variant 10
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// IDTime returns the creation time carried by an ID made by NewID (the
// first 48 bits of a UUIDv7 are Unix milliseconds); false when id is not
// a canonical UUID of version 7.
func IDTime(id string) (time.Time, bool) {
	if !ValidID(id) || id[14] != '7' {
		return time.Time{}, false
	}
	var ms [6]byte
	if _, err := hex.Decode(ms[:4], []byte(id[0:8])); err != nil {
		return time.Time{}, false
	}
	if _, err := hex.Decode(ms[4:], []byte(id[9:13])); err != nil {
		return time.Time{}, false
	}
	var b [8]byte
	copy(b[2:], ms[:])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(b[:]))).UTC(), true
}

// ValidID reports whether s is a canonical lower-case UUID string.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
