// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

// Package bloburl opens the blob store named by the --blobs URL (see the
// package doc of blob for the format):
//
//	""                      <data folder>/blobs
//	/srv/preau/blobs        a local folder; a relative path is taken from the working directory
//	file:///srv/preau/blobs the same, as a URL
//	s3://bucket/prefix?endpoint=host:port&region=r&insecure=1&part_mib=16
//
// S3 credentials come from the environment, through getenv:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN,
// each of which may instead be given as NAME_FILE, the path of a file holding
// the value (Docker and systemd secrets). Credentials in the URL are refused,
// so that they never show in a process list or a log.
//
// It lives apart from package blob so that blob imports neither back end:
// packages that only use blob.Store do not link minio-go. Only internal/app
// (and tests) import bloburl.
package bloburl

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/preau/preau/internal/blob"
	"github.com/preau/preau/internal/blob/fsblob"
	"github.com/preau/preau/internal/blob/s3blob"
	"github.com/preau/preau/internal/core"
)

// Store is what Open returns: a blob.Store whose debris a maintenance job
// can Clean. Both back ends are one.
type Store interface {
	blob.Store
	blob.Cleaner
}

// Target is a parsed URL: exactly one of FS and S3 is set.
type Target struct {
	FS *fsblob.Config
	S3 *s3blob.Config
}

// Open parses rawURL (see Parse) and opens the store it names. For S3 it
// contacts the server to check the bucket (see s3blob.New for the error
// kinds). getenv nil means os.Getenv.
func Open(ctx context.Context, rawURL, dataDir string, getenv func(string) string) (Store, error) {
	t, err := Parse(rawURL, dataDir, getenv)
	if err != nil {
		return nil, err
	}
	var s Store
	if t.S3 != nil {
		s, err = s3blob.New(ctx, *t.S3)
	} else {
		s, err = fsblob.New(*t.FS)
	}
	if err != nil {
		return nil, err // not a Store holding a nil pointer
	}
	return s, nil
}

const op = "bloburl.Parse"

// Parse turns rawURL into a Target, reading S3 credentials through getenv
// (nil means os.Getenv). dataDir is used only when rawURL is empty. Errors
// are core.Invalid and never contain a secret.
func Parse(rawURL, dataDir string, getenv func(string) string) (Target, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	switch {
	case rawURL == "":
		if dataDir == "" {
			return Target{}, core.E(op, core.Invalid, "neither a blob URL nor a data folder is set")
		}
		return fsTarget(filepath.Join(dataDir, "blobs"))
	case strings.HasPrefix(rawURL, "s3://"):
		return parseS3(rawURL, getenv)
	case strings.HasPrefix(rawURL, "file://"):
		u, err := url.Parse(rawURL)
		if err != nil {
			return Target{}, core.Wrap(op, core.Invalid, err)
		}
		if u.Host != "" && u.Host != "localhost" || !strings.HasPrefix(u.Path, "/") || u.RawQuery != "" {
			return Target{}, core.E(op, core.Invalid, "a file URL is file:///absolute/path")
		}
		return fsTarget(u.Path)
	case strings.Contains(rawURL, "://"):
		return Target{}, core.E(op, core.Invalid, "unknown blob URL scheme (want s3:// or file://)")
	}
	return fsTarget(rawURL)
}

func fsTarget(dir string) (Target, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Target{}, core.Wrap(op, core.Invalid, err)
	}
	return Target{FS: &fsblob.Config{Dir: abs}}, nil
}

func parseS3(rawURL string, getenv func(string) string) (Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Target{}, core.E(op, core.Invalid, "malformed s3:// URL")
	}
	if u.User != nil {
		return Target{}, core.E(op, core.Invalid,
			"put S3 credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL")
	}
	cfg := s3blob.Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "endpoint":
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "insecure":
			if cfg.Insecure, err = strconv.ParseBool(v); err != nil {
				return Target{}, core.E(op, core.Invalid, "insecure= takes 1 or 0")
			}
		case "part_mib":
			mib, err := strconv.Atoi(v)
			if err != nil || mib <= 0 {
				return Target{}, core.E(op, core.Invalid, "part_mib= takes a number of MiB")
			}
			cfg.PartSize = int64(mib) << 20
		default:
			return Target{}, core.E(op, core.Invalid, "unknown s3:// URL parameter %q", k)
		}
	}
	for _, c := range []struct {
		dst  *string
		name string
	}{
		{&cfg.AccessKey, "AWS_ACCESS_KEY_ID"},
		{&cfg.SecretKey, "AWS_SECRET_ACCESS_KEY"},
		{&cfg.SessionToken, "AWS_SESSION_TOKEN"},
	} {
		if *c.dst, err = secret(getenv, c.name); err != nil {
			return Target{}, err
		}
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return Target{}, core.E(op, core.Invalid, "S3 credentials missing: set AWS_ACCESS_KEY_ID and "+
			"AWS_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID_FILE and AWS_SECRET_ACCESS_KEY_FILE)")
	}
	if err := cfg.Validate(); err != nil {
		return Target{}, err
	}
	return Target{S3: &cfg}, nil
}

// secret returns the value of environment variable name, or the content of
// the file named by name_FILE (without trailing newlines).
func secret(getenv func(string) string, name string) (string, error) {
	v, file := getenv(name), getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", core.E(op, core.Invalid, "set %s or %s_FILE, not both", name, name)
	case file == "":
		return v, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return "", &core.Error{Op: op, Kind: core.Invalid, Msg: "cannot read " + name + "_FILE", Err: err}
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}
