// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package blob

import (
	"strings"

	"github.com/preau/preau/internal/core"
)

// Key limits, chosen so that every valid key works on every back end.
// MaxKeyLen leaves room for an S3 key prefix of up to MaxPrefixLen bytes
// within S3's 1024-byte limit on object names. MaxComponentLen keeps every
// component a valid file name on common file systems (NAME_MAX is 255 on
// ext4, XFS, Btrfs and ZFS), which matters to fsblob and to S3 gateways that
// store objects as files.
const (
	MaxKeyLen       = 960
	MaxPrefixLen    = 1024 - MaxKeyLen
	MaxComponentLen = 255
)

// ValidKey returns nil if key is a valid object key, or a core.Invalid error
// that says what is wrong. A valid key is 1 to MaxKeyLen bytes of
// slash-separated components; each component is 1 to MaxComponentLen bytes
// of [a-zA-Z0-9._-] and is neither "." nor "..". So a key has no leading,
// trailing or doubled slash and cannot climb out of a folder.
func ValidKey(key string) error {
	if key == "" {
		return invalid("empty key")
	}
	if len(key) > MaxKeyLen {
		return invalid("key longer than %d bytes", MaxKeyLen)
	}
	return checkPath(key)
}

// ValidPrefix returns nil if some valid key starts with prefix, so that it
// makes sense as a List prefix, or a core.Invalid error. The empty prefix is
// valid; so are "mail/" and "mail/ab", but not "/mail", "mail//" or "a b".
func ValidPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxKeyLen {
		return invalid("prefix longer than %d bytes", MaxKeyLen)
	}
	// Any prefix of a valid key, completed by a letter, is a valid path,
	// except that the completed last component may be one byte too long.
	last := prefix[strings.LastIndexByte(prefix, '/')+1:]
	if len(last) == MaxComponentLen {
		prefix = prefix[:len(prefix)-1]
	}
	return checkPath(prefix + "x")
}

// checkPath checks the components of a non-empty path.
func checkPath(p string) error {
	for i, c := range strings.Split(p, "/") {
		switch {
		case c == "" && i == 0:
			return invalid("key starts with a slash")
		case c == "":
			return invalid("key has an empty component")
		case c == "." || c == "..":
			return invalid("key has a %q component", c)
		case len(c) > MaxComponentLen:
			return invalid("key component longer than %d bytes", MaxComponentLen)
		}
		for j := 0; j < len(c); j++ {
			if !keyByte(c[j]) {
				return invalid("key has a character outside [a-zA-Z0-9._-]")
			}
		}
	}
	return nil
}

// ValidComponent reports whether name is a valid key component. Back ends use
// it to skip foreign entries (temporary files, a lost+found folder …) when
// listing.
func ValidComponent(name string) bool {
	return name != "" && !strings.Contains(name, "/") && len(name) <= MaxComponentLen &&
		checkPath(name) == nil
}

func keyByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '.' || b == '_' || b == '-'
}

func invalid(msg string, args ...any) error {
	return core.E("blob.ValidKey", core.Invalid, "invalid object key: "+msg, args...)
}
