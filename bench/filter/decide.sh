#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# decide.sh measures the filter's decision on lists at real scale (issue 6):
# the real UT1 snapshot plus a generated 4.6M-line adult/domains
# (bench/filter/gen). Goals (peer = the goal): decision p50 under 1 µs with
# no allocation, compiled lists under 150 MiB, full reload under 3 s.
# Usage: bench/filter/decide.sh   (PREAU_BENCH_UT1=DIR reuses a tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
UT1="${PREAU_BENCH_UT1:-}"
if [ -z "$UT1" ]; then
	W=$(mktemp -d /tmp/preau-bench-decide.XXXXXX)
	trap 'rm -rf "$W"' EXIT
	go run ./bench/filter/gen -out "$W" >&2
	UT1="$W"
fi
go run ./bench/filter/decide -lists "$UT1"
