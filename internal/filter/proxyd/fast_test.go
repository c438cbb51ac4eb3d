// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package proxyd_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestLeanPathKeepsAliveAndRetries: plain GETs reuse one upstream
// connection; when the origin has closed it meanwhile, the request is sent
// again on a new one; hop-by-hop headers (and those Connection names) are
// not forwarded, end-to-end ones are, both ways; HEAD carries no body.
// CARINE: INF-SEC-1
func TestLeanPathKeepsAliveAndRetries(t *testing.T) {
	var mu sync.Mutex
	var remotes []string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes = append(remotes, r.RemoteAddr)
		mu.Unlock()
		w.Header().Set("X-Origin", "yes")
		w.Header().Set("Keep-Alive", "timeout=5")
		fmt.Fprintf(w, "secret=%q keep=%q custom=%q", r.Header.Get("X-Secret"), r.Header.Get("Keep-Alive"), r.Header.Get("X-Custom"))
	}))
	defer origin.Close()
	_, port, _ := net.SplitHostPort(origin.Listener.Addr().String())
	e := start(t)
	c := e.client("eleve6a", "pw6a")
	get := func(method string) (*http.Response, string) {
		req, _ := http.NewRequest(method, "http://allowed.example:"+port+"/x", nil)
		req.Header.Set("X-Custom", "kept")
		req.Header.Set("X-Secret", "hop")
		req.Header.Set("Connection", "X-Secret")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for range 3 {
		resp, body := get("GET")
		if resp.StatusCode != 200 || body != `secret="" keep="" custom="kept"` || resp.Header.Get("X-Origin") != "yes" ||
			resp.Header.Get("Keep-Alive") != "" {
			t.Fatalf("%d %s %v", resp.StatusCode, body, resp.Header)
		}
	}
	mu.Lock()
	if len(remotes) != 3 || remotes[0] != remotes[2] {
		t.Fatalf("upstream connections not reused: %v", remotes)
	}
	mu.Unlock()
	origin.CloseClientConnections() // the origin drops its idle connections
	if resp, body := get("GET"); resp.StatusCode != 200 || !strings.Contains(body, `custom="kept"`) {
		t.Fatalf("after the origin closed: %d %s", resp.StatusCode, body)
	}
	if resp, body := get("HEAD"); resp.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, body)
	}
}
