#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# auth.sh measures authentication (issue 4), on SQLite and, when
# PREAU_TEST_POSTGRES_DSN is set, PostgreSQL:
#   morning-burst: 1,000 pupils log in with passwords (sessions stored and
#     journaled), 64 at a time, a class of 30 per address; peer = the raw
#     argon2id verification rate of the same machine in the same run, on
#     every core. ratio = logins/s / hashes/s; goal ≥ 0.90.
#   session-hit: page requests with a session cookie through the
#     authentication middleware, per core (in-process, no TLS); goal ≥ 2,000.
#   oidc-refresh: refresh-token grants at the token endpoint (rotation
#     stored, ES256 ID and access tokens signed), per core; goal ≥ 500.
# Usage: bench/auth.sh [benchtime]   (default 3s for the per-core workloads)
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${1:-3s}"
burst=$(go test -run '^$' -bench 'BenchmarkMorningBurst' -benchtime 1x -count 3 ./internal/store/ 2>&1)
hits=$(go test -run '^$' -bench 'BenchmarkSessionHit|BenchmarkOIDCRefresh' -benchtime "$benchtime" -count 3 ./internal/store/ 2>&1)
printf '%s\n%s\n' "$burst" "$hits" | grep -E '^Benchmark' >&2
printf '%s\n%s\n' "$burst" "$hits" | awk '
function metric(unit,   i) { for (i = 1; i <= NF; i++) if ($(i+1) == unit) return $i; return "" }
function db() { split($1, p, "/"); sub(/-[0-9]+$/, "", p[2]); return p[2] }
/^BenchmarkMorningBurst\// { d = db(); l[d] = l[d] " " metric("logins/s"); h[d] = h[d] " " metric("hashes/s"); r[d] = r[d] " " metric("ratio"); dbs[d] = 1 }
/^BenchmarkSessionHit\// { d = db(); s[d] = s[d] " " metric("hits/s/core") }
/^BenchmarkOIDCRefresh\// { d = db(); f[d] = f[d] " " metric("refreshes/s/core") }
function median(v,   n, a, i, j, t) {
	n = split(v, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)]
}
END {
	for (d in dbs) {
		printf "RESULT workload=morning-burst-%s preau=%.1f peer=%.1f unit=logins/s ratio=%.3f\n", d, median(l[d]), median(h[d]), median(r[d])
		printf "RESULT workload=session-hit-%s preau=%.0f peer=0 unit=hits/s/core ratio=0\n", d, median(s[d])
		printf "RESULT workload=oidc-refresh-%s preau=%.0f peer=0 unit=refreshes/s/core ratio=0\n", d, median(f[d])
	}
}'
