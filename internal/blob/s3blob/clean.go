// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package s3blob

import (
	"context"
	"time"

	"github.com/minio/minio-go/v7"
)

// Clean aborts the incomplete multipart uploads under the Store's prefix that
// were initiated more than olderThan ago (by the Store's clock) and that no
// Writer of this Store is using, and returns how many it aborted. Other nodes
// sharing the bucket may have uploads in flight, so olderThan should exceed
// the longest upload (a day is plenty).
func (s *Store) Clean(ctx context.Context, olderThan time.Duration) (int, error) {
	const op = "s3blob.Clean"
	cutoff := s.clock.Now().Add(-olderThan)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mc := minio.Core{Client: s.client}
	n := 0
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, s.prefix, true) {
		if up.Err != nil {
			return n, s3Error(op, up.Err)
		}
		if up.UploadID == "" || !up.Initiated.Before(cutoff) || s.inflight.has(up.Key) {
			continue
		}
		err := mc.AbortMultipartUpload(ctx, s.bucket, up.Key, up.UploadID)
		if err != nil {
			if err := s3Error(op, err); !isNotFound(err) {
				return n, err
			}
			continue // finished or aborted meanwhile
		}
		n++
	}
	return n, s3Error(op, ctx.Err())
}
