#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# bench/backup/run.sh compares Préau's backup with restic (Debian package
# `restic`) on the same data, to a local repository on the same disk:
#   first      first backup, MB/s of source data (ratio = preau/restic; goal >= 1.0)
#   incr-1pct  a backup after changing ~1% of the bytes (ratio = preau/restic MB/s of source)
#   restore    restore of the latest snapshot into an empty folder, until the data is on
#              disk (restic restore + sync; ratio = preau/restic); restore-unsynced: restic alone
#   repo-size  repository size after the two backups (ratio = restic/preau; goal >= 1.0)
# The data: a Préau deployment (a data folder with its database; add the demo
# school with DEMO=1) whose blob folder holds a generated corpus of
# office-like documents, images and small files (SIZE_MB, default 2048).
# Usage: SIZE_MB=512 bench/backup/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MB="${SIZE_MB:-2048}"
command -v restic >/dev/null || { echo "restic is not installed (apt-get install restic)" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/preau-bench-backup.XXXXXX")"
trap 'rm -rf "$work"' EXIT
go build -o "$work/preau" ./cmd/preau
go build -o "$work/gen" ./bench/backup/gen
data="$work/data" blobs="$work/blobs"
"$work/preau" init --data "$data" --blobs "$blobs" --uai 0999001W --type college --name "Collège Bench" --academie Démo \
	--domain clg.bench.test --head m.dupont --head-given Marie --head-family Dupont --admin admin --hosts localhost >/dev/null
"$work/gen" -dir "$blobs/corpus" -mb "$SIZE_MB"
src_bytes() { du -sb "$data" "$blobs" | awk '{s += $1} END {print s}'; }
now() { date +%s.%N; }
export RESTIC_PASSWORD=bench-password RESTIC_CACHE_DIR="$work/restic-cache"
restic init --repo "$work/restic" -q

result() { # workload preau_seconds restic_seconds bytes
	awk -v w="$1" -v p="$2" -v r="$3" -v b="$4" 'BEGIN {
		pm = b / 1e6 / p; rm = b / 1e6 / r
		printf "RESULT workload=%s preau=%.1f peer=%.1f unit=MB/s ratio=%.2f\n", w, pm, rm, pm / rm }'
}

bytes=$(src_bytes)
sync
t0=$(now); "$work/preau" backup run --data "$data" --blobs "$blobs" --repo "$work/preau-repo" --key-out "$work/key.txt" --quiet >/dev/null; t1=$(now)
sync
t2=$(now); restic backup --repo "$work/restic" -q "$data" "$blobs"; t3=$(now)
result first "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$bytes"

"$work/gen" -dir "$blobs/corpus" -mutate 0.01 -seed 2
bytes=$(src_bytes)
sync
t0=$(now); "$work/preau" backup run --data "$data" --blobs "$blobs" --repo "$work/preau-repo" --quiet >/dev/null; t1=$(now)
t2=$(now); restic backup --repo "$work/restic" -q "$data" "$blobs"; t3=$(now)
result incr-1pct "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$bytes"

# Préau's restore returns once everything is on disk (syncfs before the
# staging folder is renamed); restic's returns with the data still in the
# page cache. "restore" times restic until a sync after it, as durable as
# Préau's; "restore-unsynced" gives restic's own figure.
sync
t0=$(now); "$work/preau" restore --data "$work/restored" --blobs "$work/restored-blobs" --repo "$work/preau-repo" --key "$work/key.txt" --quiet >/dev/null; t1=$(now)
t2=$(now); restic restore latest --repo "$work/restic" --target "$work/restic-restored" -q; t3=$(now); sync; t4=$(now)
result restore "$(echo "$t1 - $t0" | bc)" "$(echo "$t4 - $t2" | bc)" "$bytes"
result restore-unsynced "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$bytes"

p=$(du -sb "$work/preau-repo" | cut -f1); r=$(du -sb "$work/restic" | cut -f1)
awk -v p="$p" -v r="$r" 'BEGIN { printf "RESULT workload=repo-size preau=%.1f peer=%.1f unit=MB ratio=%.2f\n", p / 1e6, r / 1e6, r / p }'
