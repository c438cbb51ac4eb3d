#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# s3.sh provides a real S3-compatible peer (VersityGW, posix back end) for the
# internal/blob/s3blob tests. The server listens on loopback only and keeps its
# data in a scratch folder; it is a test peer, not a deployment recipe.
#
# Usage:
#   eval "$(.ci/s3.sh start)"    install VersityGW if needed, start it, print the
#                                export lines for PREAU_TEST_S3_* and eval them
#   source .ci/s3.sh             the same, from a bash shell that sources the script
#   .ci/s3.sh env                print the export lines again
#   .ci/s3.sh stop               stop the server started by "start" and delete its data
#
# Then: PREAU_TEST_STRICT=1 go test ./internal/blob/s3blob/
# The test creates the bucket when it is missing (minio-go MakeBucket).
#
# Settings, from the environment (defaults in brackets):
#   PREAU_S3_ADDR        listen address              [127.0.0.1:7070]
#   PREAU_S3_DIR         state folder (data, pid, log) [${TMPDIR:-/tmp}/preau-s3]
#   PREAU_S3_ACCESS_KEY  root access key             [preau-ci]
#   PREAU_S3_SECRET_KEY  root secret key             [preau-ci-secret]
#   PREAU_S3_BUCKET      bucket used by the tests    [preau-test]
#   VERSITYGW_VERSION    version to install          [v1.8.0]
#
# Progress goes to stderr; only the export lines go to stdout.

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
	# Sourced: run a child copy (so that its "set -e" and helpers do not leak
	# into the caller's shell) and export what it prints.
	__preau_s3_env="$(bash "${BASH_SOURCE[0]}" start)" && eval "$__preau_s3_env"
	__preau_s3_rc=$?
	unset __preau_s3_env
	return "$__preau_s3_rc"
fi

set -euo pipefail

addr="${PREAU_S3_ADDR:-127.0.0.1:7070}"
dir="${PREAU_S3_DIR:-${TMPDIR:-/tmp}/preau-s3}"
access_key="${PREAU_S3_ACCESS_KEY:-preau-ci}"
secret_key="${PREAU_S3_SECRET_KEY:-preau-ci-secret}"
bucket="${PREAU_S3_BUCKET:-preau-test}"
version="${VERSITYGW_VERSION:-v1.8.0}"
pidfile="$dir/versitygw.pid"
logfile="$dir/versitygw.log"

log() { printf 's3.sh: %s\n' "$*" >&2; }

gobin() {
	local b
	b="$(go env GOBIN)"
	if [[ -z "$b" ]]; then
		b="$(go env GOPATH)/bin"
	fi
	printf '%s\n' "$b"
}

running() {
	[[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

print_env() {
	cat <<END
export PREAU_TEST_S3_ENDPOINT=http://$addr
export PREAU_TEST_S3_ACCESS_KEY=$access_key
export PREAU_TEST_S3_SECRET_KEY=$secret_key
export PREAU_TEST_S3_BUCKET=$bucket
END
}

install() {
	local bin
	bin="$(gobin)/versitygw"
	if [[ -x "$bin" ]]; then
		local have
		have="$(go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3; exit }')"
		if [[ "$have" == "$version" ]]; then
			printf '%s\n' "$bin"
			return
		fi
		log "found versitygw ${have:-of unknown version} at $bin; installing $version over it"
	fi
	log "installing versitygw@$version (about 100 s the first time)"
	local start=$SECONDS
	CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
	log "installed $bin in $((SECONDS - start)) s"
	printf '%s\n' "$bin"
}

# answering reports whether something speaks HTTP on $addr (any status will do:
# an anonymous request gets an S3 error document).
answering() {
	local code
	code="$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$addr/" || true)"
	[[ -n "$code" && "$code" != "000" ]]
}

start() {
	if running; then
		log "already running (pid $(cat "$pidfile")) on $addr"
		print_env
		return
	fi
	local bin
	bin="$(install)"
	mkdir -p "$dir/data"
	if answering; then
		log "something else already answers on $addr; set PREAU_S3_ADDR"
		exit 1
	fi
	ROOT_ACCESS_KEY="$access_key" ROOT_SECRET_KEY="$secret_key" \
		"$bin" --port "$addr" posix "$dir/data" </dev/null >"$logfile" 2>&1 &
	echo $! >"$pidfile"
	# Bounded wait: 200 polls of 0.1 s at most.
	local i
	for ((i = 0; i < 200; i++)); do
		if answering; then
			log "versitygw (pid $(cat "$pidfile")) answers on $addr after ~$((i / 10)) s"
			print_env
			return
		fi
		if ! running; then
			log "versitygw exited; its log follows"
			cat "$logfile" >&2
			rm -f "$pidfile"
			exit 1
		fi
		sleep 0.1
	done
	log "versitygw did not answer on $addr within 20 s; its log follows"
	cat "$logfile" >&2
	stop
	exit 1
}

stop() {
	if running; then
		local pid i
		pid="$(cat "$pidfile")"
		kill "$pid"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid ignored SIGTERM; sending SIGKILL"
			kill -9 "$pid" 2>/dev/null || true
		fi
		log "stopped versitygw (pid $pid)"
	else
		log "not running"
	fi
	# Remove only what start created, in case PREAU_S3_DIR names a shared folder.
	rm -rf "$dir/data"
	rm -f "$pidfile" "$logfile"
	rmdir "$dir" 2>/dev/null || true
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
env) print_env ;;
*)
	log "usage: $0 [start|stop|env]"
	exit 2
	;;
esac
