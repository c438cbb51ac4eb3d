# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors

.PHONY: build test test-short test-race test-pg fuzz bench demo

build:
	go build -o preau ./cmd/preau

# The README's test command. Cached results are reused for unchanged packages.
test:
	go test ./...

test-short:
	go test -short ./...

test-race:
	go test -race -short ./...

# Needs PREAU_TEST_POSTGRES_DSN, e.g. postgres://preau:preau@127.0.0.1:5432/preau_test?sslmode=disable
test-pg:
	PREAU_TEST_STRICT=1 go test ./internal/store/...

fuzz:
	go test -fuzz FuzzParseUAI -fuzztime 30s ./internal/core
	go test -fuzz FuzzParse -fuzztime 30s ./internal/config
	go test -fuzz FuzzVerifyPassword -fuzztime 30s ./internal/auth

bench:
	bench/journal.sh

demo:
	go run ./cmd/preau demo
