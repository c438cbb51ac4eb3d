#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# bench/monitor/run.sh measures supervision against the issue's budgets:
#   monitor-checks      1,000 TCP checks of declared targets (a local
#                       listener accepts them) and their results written to
#                       SQLite, as the engine does each minute for 1,000
#                       targets checked every minute; preau = the share of
#                       one core this takes per minute, in % (budget 5 %)
#   monitor-dashboard   the operator dashboard of an académie of 500
#                       establishments (5,000 checks, 30 days of history,
#                       500 incidents): the store's reads on SQLite
#                       (BenchmarkMonitorDashboardReads) plus the render of
#                       the figures to HTML (BenchmarkDashboard500); preau =
#                       ms, the sum of the two medians (budget 200 ms)
# There is no Debian peer for these (Centreon/Zabbix are not packaged to run
# this workload): THE PEER IS THE BUDGET, and ratio = budget / measured
# (above 1: within budget). Medians over the runs.
# Usage: bench/monitor/run.sh [count]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-5}"
checks=$(go test -run '^$' -bench 'BenchmarkMonitorChecks$' -benchtime 5x -count "$count" ./internal/store/ 2>&1)
dash=$(go test -run '^$' -bench 'BenchmarkDashboard500$' -benchtime 20x -count "$count" ./internal/monitor/monitorweb/ 2>&1)
reads=$(go test -run '^$' -bench 'BenchmarkMonitorDashboardReads$' -benchtime 10x -count "$count" ./internal/store/ 2>&1)
printf '%s\n%s\n%s\n' "$checks" "$dash" "$reads" | grep -E '^Benchmark' >&2
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pct=$(printf '%s\n' "$checks" | awk '/^BenchmarkMonitorChecks/ { for (i = 1; i <= NF; i++) if ($(i+1) == "core-pct-per-minute") print $i }' | median)
render=$(printf '%s\n' "$dash" | awk '/^BenchmarkDashboard500/ { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") print $i / 1e6 }' | median)
store=$(printf '%s\n' "$reads" | awk '/^BenchmarkMonitorDashboardReads/ { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") print $i / 1e6 }' | median)
ms=$(awk -v a="$render" -v b="$store" 'BEGIN { print a + b }')
echo "dashboard: store reads ${store} ms + render ${render} ms" >&2
awk -v p="$pct" 'BEGIN { printf "RESULT workload=monitor-checks preau=%.3f peer=5 unit=core-pct-per-minute ratio=%.1f\n", p, 5 / p }'
awk -v m="$ms" 'BEGIN { printf "RESULT workload=monitor-dashboard preau=%.1f peer=200 unit=ms ratio=%.2f\n", m, 200 / m }'
