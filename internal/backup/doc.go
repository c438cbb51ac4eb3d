// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package backup is Préau's backup engine (CARINE MCO-SVG): content-defined
// chunking (restic's Rabin chunker), chunks named by a keyed hash so that
// the server deduplicates without reading them, zstd compression, packs
// sealed with XChaCha20-Poly1305 under fresh data keys that are wrapped for
// public age recipients only. The server that writes a backup holds no key
// able to read it back (MCO-SVG-11): a restore needs the recovery key.
//
// The on-disk format is specified in docs/backup-format.md; this package is
// its reference implementation. It imports no database/sql nor net/http:
// internal/app feeds it Sources (the data folder, the blob store, a database
// snapshot) and a Backend (a local folder, or an append-only receiver).
package backup
