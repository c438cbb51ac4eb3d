// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/preau/preau/internal/core"
)

// s3Error classifies an error from minio-go:
//
//   - NoSuchKey, or another 404 than NoSuchBucket, is NotFound;
//   - 409 on an object (a gateway that stores objects as files refusing "a/b"
//     beside "a") is Conflict;
//   - throttling, 5xx, network failures and a done context are Unavailable;
//   - the rest (refused credentials, a missing bucket …) is Internal: an
//     operator must fix the configuration, a user can do nothing.
func s3Error(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.Wrap(op, core.Unavailable, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return core.Wrap(op, core.Unavailable, err)
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey,
		resp.StatusCode == http.StatusNotFound && resp.Code != minio.NoSuchBucket:
		return &core.Error{Op: op, Kind: core.NotFound, Msg: "no such object", Err: err}
	case resp.StatusCode == http.StatusConflict: // s3blob never creates buckets

		return &core.Error{Op: op, Kind: core.Conflict,
			Msg: "the key is in the way of another key (an object where a folder should be, or the reverse)", Err: err}
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500,
		resp.Code == "SlowDown", resp.Code == "RequestTimeout":
		return core.Wrap(op, core.Unavailable, err)
	}
	return core.Wrap(op, core.Internal, err)
}

func isNotFound(err error) bool { return core.KindOf(err) == core.NotFound }
