#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# proxy.sh measures the filtering web proxy (issue 6) against Squid with
# squidGuard (Debian packages squid, squidguard), both loaded with the same
# UT1 lists (the real snapshot plus a generated 4.6M-line adult/domains,
# bench/filter/gen) and the same blocked categories (Préau's default pupil
# profile), Squid's cache off, both asking for Basic proxy authentication
# (Squid: basic_ncsa_auth; Préau: the directory, verified credentials
# cached), all forwarding to the same local nginx origin. wrk (Debian wrk)
# sends absolute-form requests through each, with 1 and 64 connections.
#   proxy-c1, proxy-c64: requests/s; goal ratio ≥ 1.5
#   added-latency-c1: median latency added over a direct request (µs);
#     goal preau < 200
# Usage: bench/filter/proxy.sh [seconds]   (default 10)
# Needs: go, wrk, nginx, squid, squidGuard, openssl.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
for tool in wrk nginx squid squidGuard openssl; do
	command -v "$tool" >/dev/null || { echo "proxy.sh: $tool is not installed (Debian: wrk nginx-light squid squidguard openssl)" >&2; exit 2; }
done
W=$(mktemp -d /tmp/preau-bench-proxy.XXXXXX)
chmod 755 "$W" # squid and its helpers run as an unprivileged user
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
ORIGIN=127.0.0.1:18080 PREAU=127.0.0.1:13128 SQUID=127.0.0.1:13129

echo "building preau and the lists in $W …" >&2
go build -o "$W/preau" ./cmd/preau
UT1="${PREAU_BENCH_UT1:-}"
if [ -z "$UT1" ]; then
	go run ./bench/filter/gen -out "$W/ut1" >&2
	UT1="$W/ut1"
fi

# The origin.
cat >"$W/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/ngx; proxy_temp_path $W/ngx; fastcgi_temp_path $W/ngx; uwsgi_temp_path $W/ngx; scgi_temp_path $W/ngx;
  server { listen $ORIGIN; location / { return 200 "hello from the origin\n"; } }
}
EOF
nginx -c "$W/nginx.conf" -p "$W" & pids+=($!)

# Préau: one pupil account, the lists, the proxy.
D="$W/data"
"$W/preau" init --data "$D" --uai 0999001W --type college --name "Collège Banc d'essai" --academie Démo \
	--domain bench.test --head m.dupont --head-given Marie --head-family Dupont --admin admin --hosts localhost >/dev/null
"$W/preau" user add bench --data "$D" --uai 0999001W --profile pupil --given Banc --family Essai \
	--password 'Banc-Essai-2026-proxy' --must-change=false >/dev/null
"$W/preau" filter import-lists "$UT1" --data "$D" >&2
# The origin listens on loopback, which the proxy refuses unless opened.
printf '\n[filter]\nproxy_allow_destinations = ["127.0.0.0/8"]\n' >>"$D/preau.toml"
"$W/preau" serve --data "$D" --https 127.0.0.1:18443 --http off --ldap off --ldaps off --dns off --proxy "$PREAU" \
	>"$W/preau.log" 2>&1 & pids+=($!)

# Squid + squidGuard with the same lists and categories.
cats="adult mixed_adult agressif dangerous_material drogue gambling hacking malware phishing redirector strict_redirector sect warez dating lingerie ddos doh"
mkdir -p "$W/sg/db" "$W/sg/log" "$W/squid"
{
	echo "dbhome $W/sg/db"
	echo "logdir $W/sg/log"
	pass=""
	for c in $cats; do
		[ -d "$UT1/blacklists/$c" ] || [ -d "$UT1/$c" ] || continue
		src="$UT1/blacklists/$c"; [ -d "$src" ] || src="$UT1/$c"
		mkdir -p "$W/sg/db/$c"
		echo "dest $c {"
		if [ -s "$src/domains" ]; then cp "$src/domains" "$W/sg/db/$c/domains"; echo "  domainlist $c/domains"; fi
		if [ -s "$src/urls" ]; then cp "$src/urls" "$W/sg/db/$c/urls"; echo "  urllist $c/urls"; fi
		echo "}"
		pass="$pass !$c"
	done
	echo "acl { default { pass $pass all; redirect http://$ORIGIN/blocked } }"
} >"$W/squidGuard.conf"
echo "compiling the squidGuard databases (squidGuard -C all) …" >&2
squidGuard -c "$W/squidGuard.conf" -C all >/dev/null 2>&1 || true
printf 'bench:%s\n' "$(openssl passwd -apr1 'Banc-Essai-2026-proxy')" >"$W/htpasswd"
chmod -R a+rX "$W/sg" "$W/htpasswd" "$W/squidGuard.conf"
if [ "$(id -u)" = 0 ]; then
	suser=$(id -un proxy 2>/dev/null || echo nobody)
	chown -R "$suser" "$W/squid" "$W/sg/log" "$W/sg/db"
fi
ncsa=$( (ls /usr/lib/squid/basic_ncsa_auth /usr/lib/squid3/basic_ncsa_auth 2>/dev/null || true) | head -1)
cat >"$W/squid.conf" <<EOF
http_port $SQUID
pid_filename $W/squid/squid.pid
cache_log $W/squid/cache.log
access_log none
cache deny all
cache_mem 0 MB
coredump_dir $W/squid
auth_param basic program $ncsa $W/htpasswd
auth_param basic credentialsttl 5 minutes
acl authed proxy_auth REQUIRED
http_access allow authed
http_access deny all
url_rewrite_program /usr/bin/squidGuard -c $W/squidGuard.conf
url_rewrite_children 8 startup=8 idle=8
via off
forwarded_for delete
EOF
squid -N -f "$W/squid.conf" & pids+=($!)

wait_port() {
	for _ in $(seq 1 300); do
		if (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; then return 0; fi
		sleep 0.2
	done
	echo "proxy.sh: nothing listens on $1" >&2
	exit 1
}
wait_port "$ORIGIN"; wait_port "$PREAU"; wait_port "$SQUID"
sleep 3 # squidGuard children load their databases

auth=$(printf 'bench:Banc-Essai-2026-proxy' | base64)
cat >"$W/proxy.lua" <<EOF
wrk.method = "GET"
wrk.path = "http://$ORIGIN/page"
wrk.headers["Host"] = "$ORIGIN"
wrk.headers["Proxy-Authorization"] = "Basic $auth"
EOF
check() { curl -s -o /dev/null -w '%{http_code}' -x "http://bench:Banc-Essai-2026-proxy@$1" "http://$ORIGIN/page"; }
for p in "$PREAU" "$SQUID"; do
	code=$(check "$p")
	[ "$code" = 200 ] || { echo "proxy.sh: $p answers $code for an allowed page" >&2; exit 1; }
done
blocked=$(curl -s -o /dev/null -w '%{http_code}' -x "http://bench:Banc-Essai-2026-proxy@$PREAU" "http://www.0-casino.info/")
echo "préau blocks a gambling site with $blocked" >&2

run() { # proxy|direct connections → "req/s p50-µs"
	local target=$1 conns=$2 threads=1 out
	[ "$conns" -gt 1 ] && threads=2
	if [ "$target" = direct ]; then
		out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "http://$ORIGIN/page")
	else
		out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$W/proxy.lua" "http://$target")
	fi
	echo "$out" >&2
	echo "$out" | awk '
		function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000; return v }
		/Requests\/sec/ { r = $2 }
		$1 == "50%" { p = us($2) }
		END { printf "%s %s\n", r, p }'
}
read -r d1 dl1 < <(run direct 1)
read -r p1 pl1 < <(run "$PREAU" 1)
read -r s1 sl1 < <(run "$SQUID" 1)
read -r p64 _ < <(run "$PREAU" 64)
read -r s64 _ < <(run "$SQUID" 64)
awk -v p1="$p1" -v s1="$s1" -v p64="$p64" -v s64="$s64" -v dl="$dl1" -v pl="$pl1" -v sl="$sl1" 'BEGIN {
	printf "RESULT workload=proxy-c1 preau=%.0f peer=%.0f unit=req/s ratio=%.2f\n", p1, s1, p1 / s1
	printf "RESULT workload=proxy-c64 preau=%.0f peer=%.0f unit=req/s ratio=%.2f\n", p64, s64, p64 / s64
	printf "RESULT workload=added-latency-c1 preau=%.0f peer=%.0f unit=us ratio=%.2f\n", pl - dl, sl - dl, (sl - dl) / (pl - dl)
}'
