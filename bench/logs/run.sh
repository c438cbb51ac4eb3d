#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# bench/logs/run.sh measures the sealed log store (issue 8, MCO-JAL).
# Workloads:
#   ingest-tcp: N RFC 5424 messages (octet counting, 2 connections) over TCP,
#     from the same sender process (`logsbench send`) to each collector, each
#     collector in its own process; the time runs from the sender's start to
#     all messages durable. Préau parses, compresses, indexes and seals them
#     (done when the last segment is sealed: `logsbench serve` exits); the
#     peer is Debian's rsyslog (imtcp, writing RFC 5424 to a plain file; done
#     when the file holds N lines, counted by `logsbench wait` reading each
#     byte once, and is fsynced). ratio = preau/peer msg/s. CPU: each
#     collector's own process (getrusage for Préau, /proc/PID/stat for
#     rsyslog), the sender not counted.
#   search-user-day: M proxy records spread over one day (2,500 users), then
#     every record of one user over the day, from a cold reader; no peer.
#   size-per-million: compressed, sealed bytes per million proxy records vs the
#     same records as rsyslog would write them (RFC 5424 text, uncompressed).
# Usage: bench/logs/run.sh [N (default 500000)] [M (default 5000000)]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-500000}"
m="${2:-5000000}"
work=$(mktemp -d)
trap 'kill $(cat "$work/rsyslog.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/logsbench" ./bench/logs

mkdir "$work/preau"
"$work/logsbench" serve -n "$n" -dir "$work/preau" -addrfile "$work/addr" >"$work/serve.out" &
spid=$!
for _ in $(seq 100); do [ -s "$work/addr" ] && break; sleep 0.05; done
start=$(date +%s.%N)
"$work/logsbench" send -addr "$(cat "$work/addr")" -n "$n" >&2
wait "$spid"
end=$(date +%s.%N)
cat "$work/serve.out" >&2
preau=$(echo "$n / ($end - $start)" | bc -l)
preaucpu=$(awk '/^CPU_US_PER_MSG/ {print $2}' "$work/serve.out")
echo "preau: $n messages, $(printf %.0f "$preau") msg/s" >&2

peer=0
if command -v rsyslogd >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$work/rsyslog.conf" <<CONF
global(workDirectory="$work" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$port")
action(type="omfile" file="$work/out.log" template="RSYSLOG_SyslogProtocol23Format")
CONF
	rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" &
	for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
	start=$(date +%s.%N)
	"$work/logsbench" send -addr "127.0.0.1:$port" -n "$n" >&2
	"$work/logsbench" wait -file "$work/out.log" -n "$n"
	end=$(date +%s.%N)
	peer=$(echo "$n / ($end - $start)" | bc -l)
	rawsize=$(stat -c %s "$work/out.log")
	# CPU time of rsyslogd (utime + stime, in clock ticks) per message.
	ticks=$(awk '{print $14 + $15}' /proc/"$(cat "$work/rsyslog.pid")"/stat)
	peercpu=$(echo "$ticks * 1000000 / $(getconf CLK_TCK) / $n" | bc -l)
	echo "rsyslog: $n messages, $(printf %.0f "$peer") msg/s, file $rawsize bytes" >&2
else
	echo "rsyslogd not installed (Debian package rsyslog): peer=0" >&2
	rawsize=0
	peercpu=0
fi
awk -v p="$preau" -v q="$peer" 'BEGIN { printf "RESULT workload=ingest-tcp preau=%.0f peer=%.0f unit=msg/s ratio=%.2f\n", p, q, (q > 0 ? p / q : 0) }'
# The machine may be shared: CPU time per message does not depend on the load
# (ratio = peer/preau, above 1 when Préau spends less).
awk -v p="$preaucpu" -v q="$peercpu" 'BEGIN { printf "RESULT workload=ingest-tcp-cpu preau=%.2f peer=%.2f unit=cpu-us/msg ratio=%.2f\n", p, q, (p > 0 ? q / p : 0) }'

out=$("$work/logsbench" search -n "$m")
echo "$out" >&2
all=$(echo "$out" | awk '/^SEARCH_ALL_MS/ {print $2}')
page=$(echo "$out" | awk '/^SEARCH_PAGE_MS/ {print $2}')
size=$(echo "$out" | awk '/^SIZE_PER_MILLION/ {print $2}')
echo "RESULT workload=search-user-day-$m preau=$all peer=0 unit=ms ratio=0"
echo "RESULT workload=search-user-day-first-page-$m preau=$page peer=0 unit=ms ratio=0"
rawmb=$(awk -v r="$rawsize" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? r / n : 0) }')
awk -v p="$size" -v q="$rawmb" 'BEGIN { printf "RESULT workload=size-per-million-proxy-records preau=%.1f peer=%.1f unit=MB ratio=%.2f\n", p, q, (p > 0 ? q / p : 0) }'
