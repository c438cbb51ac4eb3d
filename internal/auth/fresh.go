// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FreshMarkTTL bounds how long a fresh-authentication mark is honoured.
const FreshMarkTTL = 15 * time.Minute

// FreshMark returns a signed mark of the current time. Single sign-on asks
// for a fresh proof of identity (OIDC prompt=login and max_age, CAS
// renew=true) by sending the browser to the login page with the mark in
// the URL it comes back to; the mark then requires a session
// authenticated after that time. The signature keeps a person holding a
// session from back-dating the mark and skipping the new proof.
func (s *Service) FreshMark(ctx context.Context) (string, error) {
	key, err := s.freshKey(ctx)
	if err != nil {
		return "", err
	}
	t := strconv.FormatInt(s.clock.Now().UnixMicro(), 36)
	return t + "." + sign(key, t), nil
}

// FreshSince returns the time a mark was made, if it is genuine and at
// most FreshMarkTTL old.
func (s *Service) FreshSince(ctx context.Context, mark string) (time.Time, bool) {
	t, sig, ok := strings.Cut(mark, ".")
	if !ok || len(mark) > 100 {
		return time.Time{}, false
	}
	key, err := s.freshKey(ctx)
	if err != nil || !hmac.Equal([]byte(sig), []byte(sign(key, t))) {
		return time.Time{}, false
	}
	us, err := strconv.ParseInt(t, 36, 64)
	if err != nil {
		return time.Time{}, false
	}
	at := time.UnixMicro(us)
	if s.clock.Now().Sub(at) > FreshMarkTTL {
		return time.Time{}, false
	}
	return at, true
}

func sign(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// freshKey loads the deployment's secret once (shared by every node).
func (s *Service) freshKey(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.key == nil {
		k, err := s.store.Secret(ctx, "auth.fresh")
		if err != nil {
			return nil, err
		}
		s.key = k
	}
	return s.key, nil
}

// keyCache is embedded in Service.
type keyCache struct {
	keyMu sync.Mutex
	key   []byte
}
