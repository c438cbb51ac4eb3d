#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# journal.sh measures what the audit journal costs (issue: foundation).
# Workloads, on SQLite and, when PREAU_TEST_POSTGRES_DSN is set, PostgreSQL:
#   person-update: one directory change per transaction, with its journal
#     entry written in the same transaction (preau) versus the same
#     transaction without the journal entry (peer), alternating transaction
#     by transaction so that both see the same machine load
#     (BenchmarkJournalCost). ratio = preau/peer tx/s; goal ≥ 0.91 (≤ 10 %
#     cost).
#   journal-append: journal entries appended per second, one per transaction
#     (a refused attempt); no peer (peer=0, ratio=0).
# Usage: bench/journal.sh [benchtime]   (default 3s; runs each case 3 times
# and keeps the median)
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime="${1:-3s}"
out=$(go test -run '^$' -bench 'BenchmarkJournalCost|BenchmarkJournalAppend' -benchtime "$benchtime" -count 3 \
	./internal/store/ 2>&1)
echo "$out" | grep -E '^Benchmark' >&2
echo "$out" | awk '
/^BenchmarkJournalCost\// {
	split($1, p, "/"); db = p[2]; sub(/-[0-9]+$/, "", db)
	for (i = 1; i <= NF; i++) {
		if ($(i+1) == "on-tx/s") v[db, "on"] = v[db, "on"] " " $i
		if ($(i+1) == "off-tx/s") v[db, "off"] = v[db, "off"] " " $i
		if ($(i+1) == "ratio") r[db] = r[db] " " $i
	}
	dbs[db] = 1
}
/^BenchmarkJournalAppend\// {
	split($1, p, "/"); db = p[2]; sub(/-[0-9]+$/, "", db)
	for (i = 1; i <= NF; i++) if ($(i+1) == "entries/s") a[db] = a[db] " " $i
	adbs[db] = 1
}
function median(s,   n, arr, i, j, t) {
	n = split(s, arr, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] + 0 < arr[i] + 0) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return arr[int((n + 1) / 2)]
}
END {
	for (db in dbs) {
		on = median(v[db, "on"]); off = median(v[db, "off"])
		printf "RESULT workload=person-update-%s preau=%.1f peer=%.1f unit=tx/s ratio=%.3f\n", db, on, off, median(r[db])
	}
	for (db in adbs) printf "RESULT workload=journal-append-%s preau=%.1f peer=0 unit=entries/s ratio=0\n", db, median(a[db])
}'
