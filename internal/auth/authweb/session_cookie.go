// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package authweb

import "net/http"

// SetSessionCookie sets the session cookie to value, the clear token a
// login returned (auth.Service.Login, auth.Service.LoginWithPictures). The
// app hands it to the login pages of other packages, such as the picture
// sign-in board, so that every session cookie has the same attributes.
func SetSessionCookie(w http.ResponseWriter, value string) { setCookie(w, value) }
