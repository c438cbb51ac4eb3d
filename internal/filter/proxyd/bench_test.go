// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkProxyRequest measures a keep-alive request through the proxy
// to a local origin (client, proxy and origin in one process).
func BenchmarkProxyRequest(b *testing.B) {
	e := start(b)
	c := e.client("eleve6a", "pw6a")
	url := "http://allowed.example:" + e.origin + "/page"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatal(resp.Status)
		}
	}
}
