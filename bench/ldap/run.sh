#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# run.sh compares Préau's LDAP server with Debian's slapd (OpenLDAP 2.5,
# back-mdb) on the same generated directory of 20,000 people (issue:
# directory). Workloads, each on both servers in turn (see workloads.go):
#   ldap-uid-cN:   (uid=<login>) subtree searches, N = 1, 8, 32 clients;
#   ldap-class-cN: the 25 pupils of a class,
#                  (&(objectClass=posixAccount)(memberOf=<class DN>));
#   ldap-bind-cN:  simple binds of 200 users, N = 1, 8 (argon2id on both);
#   ldap-load-20k: store load (preau) versus slapadd (peer), in seconds;
#   ldap-start-20k: server start until it accepts connections.
# ratio = preau/peer: above 1 is better for ops/s, below 1 for ms and s.
# Needs the Debian package slapd (slapd, slapadd, /etc/ldap/schema,
# /usr/lib/ldap with the argon2 and memberof modules); ldap-utils is not
# needed. About 4 minutes with the default 10 s per run. While measuring,
# the server under test runs on CPUs of its own and the clients on the last
# quarter of the CPUs (at least one): on two cores, one each
# (-placement shared: both on every CPU, as before session 19). Latencies
# are given as the clients saw them and, as -socket-p99, until the answer
# reached the client's socket (kernel receive timestamps).
# Usage: bench/ldap/run.sh [-duration 10s] [-warmup 1s] [-clients 1,8,32]
#   [-bind-clients 1,8] [-cpuprofile DIR] [-keep] [-servers preau,slapd]
#   [-workloads uid,class,bind] [-placement split|shared]
#   [-client-cpus 1 -server-cpus 0] [-server-procs 8]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x /usr/sbin/slapd ] || [ ! -x /usr/sbin/slapadd ]; then
	echo "bench/ldap: slapd is not installed: apt-get install -y slapd" >&2
	exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/bench-ldap" ./bench/ldap
"$dir/bench-ldap" "$@"
