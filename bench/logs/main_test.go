// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"strconv"
	"testing"
)

// TestMessageMatchesFormat: the append-built message is the stream the
// benchmark always sent (fmt.Sprintf form), octet-counted.
func TestMessageMatchesFormat(t *testing.T) {
	for _, i := range []int{0, 1, 59, 3601, 123456, 999999, 1000001, 4999999} {
		m := fmt.Sprintf("<134>1 2026-11-02T%02d:%02d:%02d.%06dZ proxy01.college.example squid %d - [preau@32473 user=\"user%d\" cat=\"education\"] GET https://site%d.example/page/%d 200 %d",
			(i/3600)%24, (i/60)%60, i%60, i%1000000, 1000+i%50, i%2500, i%997, i, 500+i%20000)
		if got, want := string(message([]byte("x"), i)), "x"+strconv.Itoa(len(m))+" "+m; got != want {
			t.Fatalf("%d:\n got %q\nwant %q", i, got, want)
		}
	}
}
