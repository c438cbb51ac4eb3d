// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package s3fake is a minimal in-memory S3 server for tests: enough of the
// REST API for minio-go to create and probe buckets, put objects (in one PUT,
// aws-chunked or not, and in multipart uploads), get them (with ranges and
// If-Match), stat, delete and list them (ListObjectsV2), and list and abort
// incomplete multipart uploads. It checks no signature and no credential.
// Requests use path style (http://host/bucket/key). Only tests import it.
//
//	srv := httptest.NewServer(s3fake.New())
//	defer srv.Close()
package s3fake

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Server is the fake S3 server, an http.Handler. It is safe for concurrent
// use. The zero value is not usable; call New.
type Server struct {
	// MaxKeys caps the keys of one ListObjectsV2 page (default 1000), so
	// that tests can exercise continuation tokens with few objects.
	MaxKeys int
	// Region is the bucket location it reports (default us-east-1).
	Region string

	mu      sync.Mutex
	buckets map[string]*bucket
	uploads map[string]*upload // by upload ID
	seq     int
}

type bucket struct {
	objects map[string]*object
}

type object struct {
	data []byte
	etag string // with quotes
	mod  time.Time
}

type upload struct {
	bucket, key string
	initiated   time.Time
	parts       map[int]*object
}

// New returns a Server with no bucket.
func New() *Server {
	return &Server{
		MaxKeys: 1000,
		Region:  "us-east-1",
		buckets: make(map[string]*bucket),
		uploads: make(map[string]*upload),
	}
}

// CreateBucket creates a bucket if it does not exist.
func (s *Server) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[name] == nil {
		s.buckets[name] = &bucket{objects: make(map[string]*object)}
	}
}

// Uploads returns the number of incomplete multipart uploads in all buckets.
func (s *Server) Uploads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.uploads)
}

// Objects returns the sorted names of the objects in bucket b.
func (s *Server) Objects(b string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.buckets[b]
	if bk == nil {
		return nil
	}
	return bk.sortedKeys("")
}

func (b *bucket) sortedKeys(prefix string) []string {
	var keys []string
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// ServeHTTP routes a path-style S3 request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	if name == "" {
		writeError(w, r, http.StatusNotImplemented, "NotImplemented", "ListBuckets is not implemented")
		return
	}
	if key == "" {
		s.serveBucket(w, r, name)
		return
	}
	switch {
	case r.Method == http.MethodPut && q.Has("uploadId"):
		s.uploadPart(w, r, name, key)
	case r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		writeError(w, r, http.StatusNotImplemented, "NotImplemented", "CopyObject is not implemented")
	case r.Method == http.MethodPut:
		s.putObject(w, r, name, key)
	case r.Method == http.MethodPost && q.Has("uploads"):
		s.createUpload(w, r, name, key)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		s.completeUpload(w, r, name, key)
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		s.abortUpload(w, r, name, key)
	case r.Method == http.MethodDelete:
		s.deleteObject(w, r, name, key)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.getObject(w, r, name, key)
	default:
		writeError(w, r, http.StatusNotImplemented, "NotImplemented", r.Method+" is not implemented")
	}
}

func (s *Server) serveBucket(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	s.mu.Lock()
	exists := s.buckets[name] != nil
	s.mu.Unlock()
	switch {
	case r.Method == http.MethodPut:
		if exists {
			writeError(w, r, http.StatusConflict, "BucketAlreadyOwnedByYou", "bucket exists")
			return
		}
		s.CreateBucket(name)
		w.Header().Set("Location", "/"+name)
	case !exists:
		writeError(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
	case r.Method == http.MethodHead:
	case r.Method == http.MethodGet && q.Has("location"):
		writeXML(w, http.StatusOK, locationConstraint{Xmlns: s3NS, Location: s.Region})
	case r.Method == http.MethodGet && q.Has("uploads"):
		s.listUploads(w, r, name)
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		s.listObjects(w, r, name)
	case r.Method == http.MethodDelete:
		s.deleteBucket(w, r, name)
	default:
		writeError(w, r, http.StatusNotImplemented, "NotImplemented", "this bucket request is not implemented")
	}
}

func (s *Server) deleteBucket(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buckets[name].objects) > 0 {
		writeError(w, r, http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty.")
		return
	}
	delete(s.buckets, name)
	w.WriteHeader(http.StatusNoContent)
}

// newObject dates data and computes its ETag.
func newObject(data []byte) *object {
	sum := md5.Sum(data)
	return &object{data: data, etag: `"` + hex.EncodeToString(sum[:]) + `"`, mod: time.Now().UTC()}
}

func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("upload-%d-%d", time.Now().UnixNano(), s.seq)
}
