// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3fake

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
)

// lookup returns bucket b, or writes NoSuchBucket and returns nil. The caller
// holds s.mu.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, b string) *bucket {
	bk := s.buckets[b]
	if bk == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	}
	return bk
}

func (s *Server) putObject(w http.ResponseWriter, r *http.Request, b, key string) {
	data, err := readBody(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.lookup(w, r, b)
	if bk == nil {
		return
	}
	o := newObject(data)
	bk.objects[key] = o
	w.Header().Set("ETag", o.etag)
}

func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, b, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.lookup(w, r, b)
	if bk == nil {
		return
	}
	delete(bk.objects, key)
	w.WriteHeader(http.StatusNoContent)
}

// getObject serves GET and HEAD, with a single byte range and If-Match.
func (s *Server) getObject(w http.ResponseWriter, r *http.Request, b, key string) {
	s.mu.Lock()
	bk := s.lookup(w, r, b)
	var o *object
	if bk != nil {
		o = bk.objects[key]
	}
	s.mu.Unlock()
	if bk == nil {
		return
	}
	if o == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && strings.Trim(m, `"`) != strings.Trim(o.etag, `"`) {
		writeError(w, r, http.StatusPreconditionFailed, "PreconditionFailed",
			"At least one of the pre-conditions you specified did not hold")
		return
	}
	size := int64(len(o.data))
	start, end, status := int64(0), size-1, http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		var ok bool
		if start, end, ok = parseRange(rg, size); !ok {
			w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			writeError(w, r, http.StatusRequestedRangeNotSatisfiable, "InvalidRange",
				"The requested range is not satisfiable")
			return
		}
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+
			strconv.FormatInt(end, 10)+"/"+strconv.FormatInt(size, 10))
	}
	h := w.Header()
	h.Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	h.Set("Content-Type", "application/octet-stream")
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.mod.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	w.WriteHeader(status)
	if r.Method == http.MethodGet && end >= start {
		w.Write(o.data[start : end+1])
	}
}

// parseRange parses "bytes=a-b", "bytes=a-" and "bytes=-n" for an object of
// size bytes and returns the inclusive range.
func parseRange(h string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(spec, "-")
	var err error
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, size > 0
	case b == "":
		start, err = strconv.ParseInt(a, 10, 64)
		end = size - 1
	default:
		start, err = strconv.ParseInt(a, 10, 64)
		if err == nil {
			end, err = strconv.ParseInt(b, 10, 64)
		}
		end = min(end, size-1)
	}
	if err != nil || start < 0 || start >= size || end < start {
		return 0, 0, false
	}
	return start, end, true
}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, b string) {
	q := r.URL.Query()
	prefix, delim, enc := q.Get("prefix"), q.Get("delimiter"), q.Get("encoding-type")
	maxKeys := s.MaxKeys
	if mk, err := strconv.Atoi(q.Get("max-keys")); err == nil && mk >= 0 && mk < maxKeys {
		maxKeys = mk
	}
	after := q.Get("start-after")
	if tok := q.Get("continuation-token"); tok != "" {
		dec, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "InvalidArgument", "bad continuation token")
			return
		}
		after = string(dec)
	}
	s.mu.Lock()
	bk := s.lookup(w, r, b)
	if bk == nil {
		s.mu.Unlock()
		return
	}
	res := listV2Result{Xmlns: s3NS, Name: b, Prefix: prefix, Delimiter: delim, EncodingType: enc,
		StartAfter: q.Get("start-after"), ContinuationToken: q.Get("continuation-token"), MaxKeys: maxKeys}
	seen := make(map[string]bool)
	for _, k := range bk.sortedKeys(prefix) {
		if k <= after {
			continue
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			break
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{encodeName(cp, enc)})
					res.KeyCount++
				}
				after = k
				continue
			}
		}
		o := bk.objects[k]
		res.Contents = append(res.Contents, listEntry{Key: encodeName(k, enc), LastModified: iso(o.mod),
			ETag: o.etag, Size: int64(len(o.data)), StorageClass: "STANDARD"})
		res.KeyCount++
		after = k
	}
	s.mu.Unlock()
	if res.IsTruncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(after))
	}
	writeXML(w, http.StatusOK, res)
}
