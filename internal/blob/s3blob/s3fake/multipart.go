// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// minPart is S3's minimum size of every part but the last.
const minPart = 5 << 20

func (s *Server) createUpload(w http.ResponseWriter, r *http.Request, b, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lookup(w, r, b) == nil {
		return
	}
	id := s.newID()
	s.uploads[id] = &upload{bucket: b, key: key, initiated: time.Now().UTC(), parts: make(map[int]*object)}
	writeXML(w, http.StatusOK, initiateResult{Xmlns: s3NS, Bucket: b, Key: key, UploadID: id})
}

// findUpload returns the upload named in the query, or writes NoSuchUpload
// and returns nil. The caller holds s.mu.
func (s *Server) findUpload(w http.ResponseWriter, r *http.Request, b, key string) *upload {
	up := s.uploads[r.URL.Query().Get("uploadId")]
	if up == nil || up.bucket != b || up.key != key {
		writeError(w, r, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist.")
		return nil
	}
	return up
}

func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, b, key string) {
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > 10000 {
		writeError(w, r, http.StatusBadRequest, "InvalidArgument", "bad part number")
		return
	}
	data, err := readBody(r)
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	up := s.findUpload(w, r, b, key)
	if up == nil {
		return
	}
	p := newObject(data)
	up.parts[n] = p
	w.Header().Set("ETag", p.etag)
}

func (s *Server) completeUpload(w http.ResponseWriter, r *http.Request, b, key string) {
	var req completeRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = xml.Unmarshal(body, &req)
	}
	if err != nil || len(req.Parts) == 0 {
		writeError(w, r, http.StatusBadRequest, "MalformedXML", "bad CompleteMultipartUpload body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	up := s.findUpload(w, r, b, key)
	if up == nil {
		return
	}
	bk := s.lookup(w, r, b)
	if bk == nil {
		return
	}
	var data []byte
	sums := md5.New()
	for i, p := range req.Parts {
		part := up.parts[p.PartNumber]
		switch {
		case i > 0 && p.PartNumber <= req.Parts[i-1].PartNumber:
			writeError(w, r, http.StatusBadRequest, "InvalidPartOrder", "parts must be in ascending order")
			return
		case part == nil || strings.Trim(p.ETag, `"`) != strings.Trim(part.etag, `"`):
			writeError(w, r, http.StatusBadRequest, "InvalidPart", fmt.Sprintf("part %d not found", p.PartNumber))
			return
		case i < len(req.Parts)-1 && len(part.data) < minPart:
			writeError(w, r, http.StatusBadRequest, "EntityTooSmall", "a part other than the last is under 5 MiB")
			return
		}
		data = append(data, part.data...)
		sum, _ := hex.DecodeString(strings.Trim(part.etag, `"`))
		sums.Write(sum)
	}
	o := newObject(data)
	o.etag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(sums.Sum(nil)), len(req.Parts))
	bk.objects[key] = o
	delete(s.uploads, r.URL.Query().Get("uploadId"))
	writeXML(w, http.StatusOK, completeResult{Xmlns: s3NS, Location: "/" + b + "/" + key,
		Bucket: b, Key: key, ETag: o.etag})
}

func (s *Server) abortUpload(w http.ResponseWriter, r *http.Request, b, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findUpload(w, r, b, key) == nil {
		return
	}
	delete(s.uploads, r.URL.Query().Get("uploadId"))
	w.WriteHeader(http.StatusNoContent)
}

// listUploads lists all matching uploads in one page, sorted by key and then
// initiation time.
func (s *Server) listUploads(w http.ResponseWriter, r *http.Request, b string) {
	q := r.URL.Query()
	prefix, enc := q.Get("prefix"), q.Get("encoding-type")
	res := listUploadsResult{Xmlns: s3NS, Bucket: b, Prefix: prefix, EncodingType: enc, MaxUploads: 1000}
	s.mu.Lock()
	var ups []*upload
	ids := make(map[*upload]string)
	for id, up := range s.uploads {
		if up.bucket == b && strings.HasPrefix(up.key, prefix) {
			ups = append(ups, up)
			ids[up] = id
		}
	}
	s.mu.Unlock()
	sort.Slice(ups, func(i, j int) bool {
		if ups[i].key != ups[j].key {
			return ups[i].key < ups[j].key
		}
		return ups[i].initiated.Before(ups[j].initiated)
	})
	for _, up := range ups {
		res.Uploads = append(res.Uploads, uploadEntry{Key: encodeName(up.key, enc), UploadID: ids[up],
			Initiated: iso(up.initiated), StorageClass: "STANDARD"})
	}
	writeXML(w, http.StatusOK, res)
}
