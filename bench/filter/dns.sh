#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# dns.sh measures the filtering DNS resolver (issue 6) against unbound
# (Debian unbound) holding the same block list as local zones
# (always_nxdomain; Préau answers NXDOMAIN too), both forwarding allowed
# names to the same local authoritative stub (bench/filter/stub). dnsperf
# (Debian dnsperf) sends a mix of blocked and allowed names.
#   dns-qps: queries/s; goal ratio ≥ 1.0
#   dns-memory: resident memory after the run (MiB); goal preau ≤ 0.3 × unbound
#     (ratio printed is unbound/preau; goal ≥ 3.3)
# Usage: bench/filter/dns.sh [seconds]   (default 10)
# Needs: go, dnsperf, unbound.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
for tool in dnsperf unbound; do
	command -v "$tool" >/dev/null || { echo "dns.sh: $tool is not installed (Debian: dnsperf unbound)" >&2; exit 2; }
done
W=$(mktemp -d /tmp/preau-bench-dns.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
STUB=127.0.0.1:15353 PREAU=127.0.0.1:11053 UNBOUND_PORT=12053

echo "building preau, the stub and the lists in $W …" >&2
go build -o "$W/preau" ./cmd/preau
go build -o "$W/stub" ./bench/filter/stub
UT1="${PREAU_BENCH_UT1:-}"
if [ -z "$UT1" ]; then
	go run ./bench/filter/gen -out "$W/ut1" >&2
	UT1="$W/ut1"
fi
[ -d "$UT1/blacklists" ] && UT1="$UT1/blacklists"
"$W/stub" -addr "$STUB" & pids+=($!)

# The blocked names: the domains of Préau's default pupil categories.
cats="adult mixed_adult agressif dangerous_material drogue gambling hacking malware phishing redirector strict_redirector sect warez dating lingerie ddos doh"
for c in $cats; do [ -s "$UT1/$c/domains" ] && cat "$UT1/$c/domains"; done |
	sed -e 's/^\.//' | grep -E '^[a-z0-9_.-]+$' | grep -vE '^[0-9.]+$' | sort -u >"$W/blocked"
echo "$(wc -l <"$W/blocked") blocked names" >&2

# Queries: half blocked names (a sample), half allowed names under the stub.
awk 'NR % 50 == 1 && n < 50000 { print $0 " A"; n++ }' "$W/blocked" >"$W/q-blocked"
seq 1 50000 | awk '{ printf "host%d.allowed-%d.example.org A\n", $1, $1 % 997 }' >"$W/q-allowed"
paste -d '\n' "$W/q-blocked" "$W/q-allowed" | grep -v '^$' >"$W/queries"

# unbound: the same names as local zones.
{
	cat <<EOF
server:
  interface: 127.0.0.1
  port: $UNBOUND_PORT
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$W"
  pidfile: "$W/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 2
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "iterator"
  harden-referral-path: no
  qname-minimisation: no
EOF
	awk '{ printf "  local-zone: \"%s.\" always_nxdomain\n", $0 }' "$W/blocked"
	cat <<EOF
forward-zone:
  name: "."
  forward-addr: ${STUB%:*}@${STUB#*:}
EOF
} >"$W/unbound.conf"
echo "starting unbound with the block list (this takes a while) …" >&2
unbound -d -c "$W/unbound.conf" >"$W/unbound.log" 2>&1 & upid=$!; pids+=($upid)

# Préau: the same lists, NXDOMAIN for blocked names.
D="$W/data"
"$W/preau" init --data "$D" --uai 0999001W --type college --name "Collège Banc d'essai" --academie Démo \
	--domain bench.test --head m.dupont --head-given Marie --head-family Dupont --admin admin --hosts localhost >/dev/null
"$W/preau" filter import-lists "$UT1" --data "$D" >&2
PREAU_FILTER_DNS_UPSTREAMS="$STUB" "$W/preau" serve --data "$D" --https 127.0.0.1:18444 --http off --ldap off --ldaps off \
	--proxy off --dns "$PREAU" >"$W/preau.log" 2>&1 & ppid=$!; pids+=($ppid)

ready() { # host port name
	for _ in $(seq 1 1200); do
		if out=$(dig +short +time=1 +tries=1 @"$1" -p "$2" "$3" A 2>/dev/null) && [ -n "$out" ]; then return 0; fi
		if out=$(kdig +short +time=1 +retry=0 @"$1" -p "$2" "$3" A 2>/dev/null) && [ -n "$out" ]; then return 0; fi
		sleep 0.5
	done
	echo "dns.sh: no answer from $1:$2" >&2
	exit 1
}
ready 127.0.0.1 "${PREAU#*:}" warmup.example.org
ready 127.0.0.1 "$UNBOUND_PORT" warmup.example.org

perf() { # port → qps
	local out
	out=$(dnsperf -s 127.0.0.1 -p "$1" -d "$W/queries" -l "$secs" -c 16 -q 200 2>&1)
	echo "$out" | grep -E 'Queries (sent|completed|lost)|Queries per second' >&2
	echo "$out" | awk '/Queries per second/ { print $4 }'
}
rss() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
pq=$(perf "${PREAU#*:}")
uq=$(perf "$UNBOUND_PORT")
pm=$(rss "$ppid")
um=$(rss "$upid")
awk -v pq="$pq" -v uq="$uq" -v pm="$pm" -v um="$um" 'BEGIN {
	printf "RESULT workload=dns-qps preau=%.0f peer=%.0f unit=queries/s ratio=%.2f\n", pq, uq, pq / uq
	printf "RESULT workload=dns-memory preau=%.1f peer=%.1f unit=MiB ratio=%.2f\n", pm, um, um / pm
}'
