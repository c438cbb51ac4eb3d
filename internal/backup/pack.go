// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package backup

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/preau/preau/internal/core"
)

// Blob types.
const (
	BlobData byte = 0 // a chunk of a file
	BlobTree byte = 1 // a chunk of a snapshot's listing
)

const (
	packMagic      = "PRPACK1\n"
	packEndMagic   = "PRPKEND\n"
	trailerEntry   = 1 + 32 + 4 + 4 + 4
	maxWrappedKey  = 64 << 10
	maxPackEntries = 1 << 20
	blobAD         = "preau-blob-v1"
	flagRaw        = 0
	flagZstd       = 1
)

// PackEntry locates one blob in a pack.
type PackEntry struct {
	Type      byte   `json:"type"`
	ID        ID     `json:"id"`
	Offset    uint32 `json:"offset"`
	Length    uint32 `json:"length"`     // stored bytes: nonce, ciphertext and tag
	RawLength uint32 `json:"raw_length"` // plaintext chunk length
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(core.CPUs()))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(core.CPUs()), zstd.WithDecoderMaxMemory(64<<20))
)

// packWriter accumulates sealed blobs under one fresh data key.
type packWriter struct {
	key  []byte
	aead interface {
		Seal(dst, nonce, plaintext, ad []byte) []byte
	}
	buf     bytes.Buffer
	entries []PackEntry
}

func newPackWriter(rs []age.Recipient) (*packWriter, error) {
	key := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	wrapped, err := wrap(key, rs)
	if err != nil {
		return nil, fmt.Errorf("wrapping a pack key: %w", err)
	}
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	p := &packWriter{key: key, aead: a}
	p.buf.WriteString(packMagic)
	binary.Write(&p.buf, binary.BigEndian, uint32(len(wrapped)))
	p.buf.Write(wrapped)
	return p, nil
}

func blobAdditional(t byte, id ID) []byte {
	ad := make([]byte, 0, len(blobAD)+33)
	ad = append(ad, blobAD...)
	ad = append(ad, t)
	return append(ad, id[:]...)
}

// add compresses and seals a chunk.
func (p *packWriter) add(t byte, id ID, chunk []byte) PackEntry {
	return p.addPlain(t, id, compress(chunk), len(chunk))
}

// compress returns a blob's plaintext: flag and payload (§5).
func compress(chunk []byte) []byte {
	plain := make([]byte, 1, len(chunk)/2+16)
	plain[0] = flagZstd
	plain = zenc.EncodeAll(chunk, plain)
	if len(plain)-1 >= len(chunk) {
		plain = append(append(plain[:0], flagRaw), chunk...)
	}
	return plain
}

// addPlain seals a compressed blob plaintext into the pack.
func (p *packWriter) addPlain(t byte, id ID, plain []byte, rawLen int) PackEntry {
	chunk := struct{ n int }{rawLen}
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	e := PackEntry{Type: t, ID: id, Offset: uint32(p.buf.Len()), RawLength: uint32(chunk.n)}
	p.buf.Write(nonce)
	p.buf.Write(p.aead.Seal(nil, nonce, plain, blobAdditional(t, id)))
	e.Length = uint32(p.buf.Len()) - e.Offset
	p.entries = append(p.entries, e)
	return e
}

func (p *packWriter) size() int { return p.buf.Len() }

// finish appends the trailer and returns the pack bytes and their ID.
func (p *packWriter) finish() ([]byte, ID) {
	for _, e := range p.entries {
		p.buf.WriteByte(e.Type)
		p.buf.Write(e.ID[:])
		binary.Write(&p.buf, binary.BigEndian, [3]uint32{e.Offset, e.Length, e.RawLength})
	}
	binary.Write(&p.buf, binary.BigEndian, uint32(len(p.entries)))
	p.buf.WriteString(packEndMagic)
	b := p.buf.Bytes()
	return b, Hash(b)
}

// ParsePackHeader reads the start of a pack: it returns the wrapped data
// key (an age file) and the offset of the first blob. b must hold at least
// the magic, the length and the wrapped key.
func ParsePackHeader(b []byte) (wrapped []byte, dataStart int, err error) {
	const op = "backup.ParsePackHeader"
	if len(b) < len(packMagic)+4 || string(b[:len(packMagic)]) != packMagic {
		return nil, 0, core.E(op, core.Invalid, "not a Préau pack (bad magic)")
	}
	n := binary.BigEndian.Uint32(b[len(packMagic):])
	if n == 0 || n > maxWrappedKey {
		return nil, 0, core.E(op, core.Invalid, "pack header: wrapped key length %d out of range", n)
	}
	start := len(packMagic) + 4 + int(n)
	if start > len(b) {
		return nil, 0, core.E(op, core.Invalid, "pack header: truncated wrapped key")
	}
	return b[len(packMagic)+4 : start], start, nil
}

// ParsePackTrailer reads the blob list at the end of a pack of size
// packSize, given its last bytes (tail: at least the trailer). Every entry
// must lie between dataStart and the trailer, without overlap.
func ParsePackTrailer(tail []byte, packSize int64, dataStart int) ([]PackEntry, error) {
	const op = "backup.ParsePackTrailer"
	if len(tail) < 12 || int64(len(tail)) > packSize || string(tail[len(tail)-8:]) != packEndMagic {
		return nil, core.E(op, core.Invalid, "pack trailer: bad end magic")
	}
	n := binary.BigEndian.Uint32(tail[len(tail)-12:])
	if n > maxPackEntries {
		return nil, core.E(op, core.Invalid, "pack trailer: %d entries is too many", n)
	}
	tlen := int64(n)*trailerEntry + 12
	if tlen > int64(len(tail)) {
		return nil, core.E(op, core.Invalid, "pack trailer: truncated (%d entries)", n)
	}
	trailerStart := packSize - tlen
	t := tail[int64(len(tail))-tlen:]
	es := make([]PackEntry, n)
	next := int64(dataStart)
	for i := range es {
		r := t[i*trailerEntry:]
		e := PackEntry{Type: r[0]}
		copy(e.ID[:], r[1:33])
		e.Offset = binary.BigEndian.Uint32(r[33:])
		e.Length = binary.BigEndian.Uint32(r[37:])
		e.RawLength = binary.BigEndian.Uint32(r[41:])
		if e.Type != BlobData && e.Type != BlobTree {
			return nil, core.E(op, core.Invalid, "pack trailer: entry %d has unknown type %d", i, e.Type)
		}
		if int64(e.Offset) < next || e.Length < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+1 ||
			int64(e.Offset)+int64(e.Length) > trailerStart {
			return nil, core.E(op, core.Invalid, "pack trailer: entry %d lies outside the blob area", i)
		}
		next = int64(e.Offset) + int64(e.Length)
		es[i] = e
	}
	return es, nil
}

// keyCache remembers unwrapped pack keys during one restore or check.
type keyCache struct {
	mu   sync.Mutex
	ids  []age.Identity
	keys map[ID][]byte
}

func (c *keyCache) get(pack ID) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys[pack]
}

func (c *keyCache) put(pack ID, k []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[ID][]byte{}
	}
	c.keys[pack] = k
}

// openBlob authenticates, decrypts and decompresses one stored blob.
func openBlob(key []byte, t byte, id ID, stored []byte, rawLen uint32) ([]byte, error) {
	const op = "backup.openBlob"
	if len(stored) < chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead+1 {
		return nil, core.E(op, core.Invalid, "blob %s is truncated", id.Short())
	}
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	ns := chacha20poly1305.NonceSizeX
	plain, err := a.Open(nil, stored[:ns], stored[ns:], blobAdditional(t, id))
	if err != nil {
		return nil, core.E(op, core.Invalid, "blob %s does not authenticate: altered or wrong key", id.Short())
	}
	switch plain[0] {
	case flagRaw:
		return plain[1:], nil
	case flagZstd:
		out, err := zdec.DecodeAll(plain[1:], make([]byte, 0, rawLen))
		if err != nil {
			return nil, core.E(op, core.Invalid, "blob %s does not decompress: %v", id.Short(), err)
		}
		return out, nil
	}
	return nil, core.E(op, core.Invalid, "blob %s has unknown flag %d", id.Short(), plain[0])
}
