#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# run.sh compares Préau's WebDAV (/dav/home/ of a user) with nginx serving a
# folder over TLS with auth_basic and dav_methods PUT (issue 7), with the
# same Go client (main.go) and the same files:
#   get-1k-c32, get-1m-c32: GETs of a 1 KiB and a 1 MiB file, 32 clients;
#   put-1k-c32: 1 KiB uploads, 32 clients (Préau keeps such small files in
#     its database and answers each after the durable commit of its content,
#     node and quota — concurrent uploads share a WAL sync; nginx writes a
#     temp file and renames it, without fsync);
#   propfind-depth1-10000: median of 10 depth-1 PROPFINDs of a folder of
#     10,000 files (Préau only: nginx's dav module has no PROPFIND).
# ratio = preau/peer for ops/s (above 1: Préau faster), peer/preau for ms.
# Needs the Debian packages nginx (nginx-light is enough) and openssl.
# Usage: bench/files/run.sh [-duration 10s] [-clients 32] [-entries 10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	echo "bench/files: nginx is not installed: apt-get install -y nginx-light" >&2
	exit 1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
dir=$(mktemp -d)
cleanup() {
	[ -n "${preau_pid:-}" ] && kill "$preau_pid" 2>/dev/null || true
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/preau" ./cmd/preau
go build -o "$dir/bench-files" ./bench/files
pw='Bench-Files-2026!'
data="$dir/data"
"$dir/preau" init --data "$data" --uai 0999001W --type college --name "Collège Bench" --academie Démo \
	--domain bench.test --head h.bench --head-given H --head-family Bench --admin a.bench --hosts localhost >/dev/null
"$dir/preau" user add bench --data "$data" --uai 0999001W --profile teacher --given B --family Bench \
	--password "$pw" --must-change=false >/dev/null
"$dir/preau" files quota bench 100G --data "$data" >/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pport=$(port); nport=$(port)
"$dir/preau" serve --data "$data" --https "127.0.0.1:$pport" --http off --ldap off --ldaps off >"$dir/preau.log" 2>&1 &
preau_pid=$!
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$pport/healthz" >/dev/null && break; sleep 0.1; done

# nginx: the same kind of disk, TLS with a fresh certificate, auth_basic.
mkdir -p "$dir/www/dav/home" "$dir/ngx-tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
	-keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
printf 'bench:%s\n' "$(openssl passwd -apr1 "$pw")" >"$dir/htpasswd"
cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
user $(id -un);
pid $dir/nginx.pid;
error_log $dir/nginx-error.log;
daemon on;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $dir/ngx-tmp;
	proxy_temp_path $dir/ngx-tmp; fastcgi_temp_path $dir/ngx-tmp; uwsgi_temp_path $dir/ngx-tmp; scgi_temp_path $dir/ngx-tmp;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $dir/cert.pem;
		ssl_certificate_key $dir/key.pem;
		root $dir/www;
		client_max_body_size 2g;
		location /dav/ {
			auth_basic "bench";
			auth_basic_user_file $dir/htpasswd;
			dav_methods PUT MKCOL;
			create_full_put_path on;
		}
	}
}
CONF
"$NGINX" -c "$dir/nginx.conf" -p "$dir"
"$dir/bench-files" -preau "https://127.0.0.1:$pport/dav/home" -nginx "https://127.0.0.1:$nport/dav/home" \
	-user bench -pass "$pw" "$@"
