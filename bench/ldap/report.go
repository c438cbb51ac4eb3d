// SPDX-License-Identifier: Apache-2.0
// Copyright (c) the Préau authors

package main

import (
	"fmt"
	"io"
)

// report collects the RESULT lines: preau is Préau, peer is slapd, ratio
// is preau/peer.
type report struct{ lines []resultLine }

type resultLine struct {
	workload    string
	preau, peer float64
	unit        string
}

func (r *report) add(workload string, preau, peer float64, unit string) {
	r.lines = append(r.lines, resultLine{workload, preau, peer, unit})
}

// print writes the RESULT lines, after comment lines saying how to read them.
func (r *report) print(w io.Writer, scheme, placement string) {
	fmt.Fprintln(w, "# peer = Debian's slapd (OpenLDAP 2.5, back-mdb); ratio = preau/peer.")
	fmt.Fprintln(w, "# ops/s: higher is better, ratio > 1 means Préau is faster.")
	fmt.Fprintln(w, "# ms (p50/p99 latency) and s (load, start): lower is better, ratio < 1 means Préau is faster.")
	fmt.Fprintln(w, "# -socket-p99: until the answer reached the client's socket (kernel receive timestamp), without the clients' own waits.")
	fmt.Fprintln(w, "# placement: "+placement+".")
	fmt.Fprintln(w, "# slapd binds: "+scheme+".")
	for _, l := range r.lines {
		ratio := 0.0
		if l.peer != 0 {
			ratio = l.preau / l.peer
		}
		format := "RESULT workload=%s preau=%.1f peer=%.1f unit=%s ratio=%.3f\n"
		switch l.unit {
		case "ms":
			format = "RESULT workload=%s preau=%.3f peer=%.3f unit=%s ratio=%.3f\n"
		case "s":
			format = "RESULT workload=%s preau=%.2f peer=%.2f unit=%s ratio=%.3f\n"
		}
		fmt.Fprintf(w, format, l.workload, l.preau, l.peer, l.unit, ratio)
	}
}
