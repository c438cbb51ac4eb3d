// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package logs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/preau/preau/internal/core"
	"github.com/preau/preau/internal/fsutil"
)

// Forwarder ships this node's sealed segments to a central collector
// (MCO-JAL-8): an académie Préau or any syslog-over-TLS receiver (RFC 5425),
// over a connection Dial opens (mutual TLS in production). Each segment is
// verified (signature, hash, record chain) before it leaves, its records
// are sent in order as octet-counted RFC 5424 messages carrying
// [forward@32473 stream= seg= n= of= chain=] so that the receiver can detect
// gaps, and the cursor (last segment sent, per stream) is stored durably
// only once the whole segment was written. A transfer interrupted by a WAN
// outage resumes at the first segment not acknowledged; records stay in the
// local store meanwhile (store and forward). Delivery is at least once per
// segment: a segment cut in the middle is sent again whole.
type Forwarder struct {
	Store    *Store
	Dial     func(ctx context.Context) (net.Conn, error)
	Cursor   string        // file holding the cursor (JSON); required
	Interval time.Duration // how often new segments are looked for; default 30 s
	Log      *slog.Logger
}

// cursor maps a stream prefix to the last segment forwarded.
type cursor map[string]int64

func (f *Forwarder) load() (cursor, error) {
	c := cursor{}
	b, err := os.ReadFile(f.Cursor)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("forward cursor %s is not valid JSON: %v", f.Cursor, err)
	}
	return c, nil
}

func (f *Forwarder) save(c cursor) error {
	b, _ := json.Marshal(c)
	return fsutil.WriteFile(f.Cursor, 0o600, false, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// Run forwards until ctx ends, retrying after failures.
func (f *Forwarder) Run(ctx context.Context) {
	iv := f.Interval
	if iv <= 0 {
		iv = 30 * time.Second
	}
	for {
		n, err := f.Once(ctx)
		if err != nil && ctx.Err() == nil && f.Log != nil {
			f.Log.Warn("log forwarding interrupted; it resumes at the next attempt", "err", err, "segments_sent", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(iv):
		}
	}
}

// Once sends every sealed segment of this node not sent yet and returns how
// many it sent. A segment that fails verification stops its stream's
// forwarding (and is reported) rather than being sent.
func (f *Forwarder) Once(ctx context.Context) (int, error) {
	const op = "logs.Forward"
	c, err := f.load()
	if err != nil {
		return 0, core.Wrap(op, core.Internal, err)
	}
	prefixes, err := streamPrefixes(ctx, f.Store.cfg.Blobs)
	if err != nil {
		return 0, core.Wrap(op, core.Internal, err)
	}
	var conn net.Conn
	var w *bufio.Writer
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	sent := 0
	pub := f.Store.PublicKey()
	for _, prefix := range prefixes {
		if !strings.HasPrefix(prefix, "logs/"+keyPart(f.Store.cfg.Node)+"/") {
			continue
		}
		seqs, err := listSeqs(ctx, f.Store.cfg.Blobs, prefix, ".man")
		if err != nil {
			return sent, core.Wrap(op, core.Internal, err)
		}
		for _, seq := range seqs {
			if seq <= c[prefix] {
				continue
			}
			m, err := f.Store.manifest(ctx, manKey(prefix, seq))
			if err != nil {
				return sent, core.Wrap(op, core.Internal, err)
			}
			data, err := readObject(ctx, f.Store.cfg.Blobs, segKey(prefix, seq), 4<<30)
			if err != nil {
				return sent, core.Wrap(op, core.Internal, err)
			}
			if err := m.CheckSignature(pub); err != nil {
				return sent, core.E(op, core.Conflict, "segment %s%012d not forwarded: %v", prefix, seq, err)
			}
			if err := CheckSegment(m, data); err != nil {
				return sent, core.E(op, core.Conflict, "segment %s%012d not forwarded: %v", prefix, seq, err)
			}
			if conn == nil {
				if conn, err = f.Dial(ctx); err != nil {
					return sent, core.Wrap(op, core.Unavailable, err)
				}
				w = bufio.NewWriterSize(conn, 64<<10)
			}
			stream := strings.TrimSuffix(strings.TrimPrefix(prefix, "logs/"), "/")
			i := 0
			for _, b := range m.Blocks {
				err := readBlock(data, b, func(l []byte) error {
					var r Record
					if err := decodeRecord(l, &r); err != nil {
						return err
					}
					i++
					msg := FormatRFC5424(&r)
					// Insert the forwarding element after the standard ones.
					sd := fmt.Sprintf("[forward@%s stream=\"%s\" seg=\"%d\" n=\"%d\" of=\"%d\" chain=\"%s\"]",
						PEN, sdEscape(stream), seq, i, m.Count, m.ChainEnd())
					if k := strings.Index(msg, "[preau@"); k >= 0 {
						msg = msg[:k] + sd + msg[k:]
					}
					_, err := w.WriteString(strconv.Itoa(len(msg)) + " " + msg)
					return err
				})
				if err != nil {
					return sent, core.Wrap(op, core.Unavailable, err)
				}
			}
			if err := w.Flush(); err != nil {
				return sent, core.Wrap(op, core.Unavailable, err)
			}
			c[prefix] = seq
			if err := f.save(c); err != nil {
				return sent, core.Wrap(op, core.Internal, err)
			}
			sent++
		}
	}
	return sent, nil
}
