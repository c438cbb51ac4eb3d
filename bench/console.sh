#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# console.sh measures the admin console's people list (issue 5) over one
# establishment of 10,000 pupils in classes of 30 and 300 teachers, on SQLite
# and, when PREAU_TEST_POSTGRES_DSN is set, PostgreSQL:
#   console-people-first-page   the store query of the first page (50, by name)
#   console-people-page-150     page 150 (offset 7,450)
#   console-people-search       a prefix search ("dur")
#   console-people-filtered     pupils of one class
#   console-people-page         the whole HTTP handler of /admin/people?page=150
#                               (access check, directory service, class column,
#                               template), through httptest
# preau = median server time per request in ms (wall clock) over the runs;
# best = the fastest run (the least disturbed by other work on a shared
# machine); cpu = median CPU ms of the benchmark process per request (SQLite
# runs in-process, so that is the work done; PostgreSQL's own CPU is not in
# it).
#
# There is no Debian peer for an admin console: the PEER IS THE BUDGET of the
# issue, 100 ms of server time, and ratio = budget / measured (above 1: within
# budget).
# Usage: bench/console.sh [count]   (default 5 runs of each)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-5}"
out=$(go test -run '^$' -bench 'BenchmarkConsolePeople' -benchtime 20x -count "$count" ./internal/directory/peopleweb/ 2>&1)
printf '%s\n' "$out" | grep -E '^Benchmark' >&2
printf '%s\n' "$out" | awk -v budget=100 '
function metric(unit,   i) { for (i = 1; i <= NF; i++) if ($(i+1) == unit) return $i; return "" }
function least(v,   n, a, i, m) {
	n = split(v, a, " "); m = a[1]
	for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]
	return m
}
function median(v,   n, a, i, j, t) {
	n = split(v, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((n + 1) / 2)]
}
/^BenchmarkConsolePeople\// {
	split($1, p, "/"); sub(/-[0-9]+$/, "", p[3]); k = p[3] "-" p[2]
	wall[k] = wall[k] " " metric("ms/op"); cpu[k] = cpu[k] " " metric("cpu-ms/op"); keys[k] = 1
}
END {
	name["first-page"] = "console-people-first-page"; name["page-150"] = "console-people-page-150"
	name["prefix-search"] = "console-people-search"; name["filtered"] = "console-people-filtered"
	name["http-list"] = "console-people-page"
	for (k in keys) {
		split(k, q, "-"); db = q[length(q)]; w = k; sub("-" db "$", "", w)
		m = median(wall[k])
		printf "RESULT workload=%s-%s preau=%.2f peer=%d unit=ms ratio=%.2f best=%.2f cpu=%.2f\n", name[w], db, m, budget, budget / m, least(wall[k]), median(cpu[k])
	}
}' | sort
