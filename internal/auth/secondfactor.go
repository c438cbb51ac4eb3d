// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package auth

import "context"

// HasSecondFactor reports whether a person can step up to strong
// authentication: an authenticator app or a passkey is set up. Single
// sign-on sends people who can to the second-factor page, and tells
// applications when they cannot.
func (s *Service) HasSecondFactor(ctx context.Context, personID string) (bool, error) {
	if has, _, err := s.HasTOTP(ctx, personID); err != nil || has {
		return has, err
	}
	keys, err := s.store.Passkeys(ctx, personID)
	return len(keys) > 0, err
}
