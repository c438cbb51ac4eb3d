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

# Seeds of every fuzz target run in `go test`; this runs each for a while.
# -fuzzminimizetime keeps the fuzzer from looking stuck on whole-file seeds.
FUZZ = go test -fuzztime 30s -fuzzminimizetime 2s
fuzz:
	$(FUZZ) -fuzz FuzzParseUAI ./internal/core
	$(FUZZ) -fuzz FuzzParse ./internal/config
	$(FUZZ) -fuzz FuzzVerifyPassword ./internal/auth
	$(FUZZ) -fuzz FuzzAuthorizeParams ./internal/auth/oidc
	$(FUZZ) -fuzz FuzzTokenRequest ./internal/auth/oidc
	$(FUZZ) -fuzz FuzzValidateParams ./internal/auth/cas
	$(FUZZ) -fuzz FuzzMatchService ./internal/auth/sso
	$(FUZZ) -fuzz FuzzCheck ./internal/auth/policy
	$(FUZZ) -fuzz FuzzPictureSequence ./internal/auth/picture
	$(FUZZ) -fuzz FuzzForwardedClient ./internal/web
	$(FUZZ) -fuzz FuzzParse ./internal/compliance/gen
	$(FUZZ) -fuzz FuzzValidate ./internal/breakglass
	$(FUZZ) -fuzz FuzzValidateAndRender ./internal/charter
	$(FUZZ) -fuzz FuzzParseRef ./internal/charter/charterweb
	$(FUZZ) -fuzz FuzzValidKey ./internal/blob
	$(FUZZ) -fuzz FuzzParseKeyPair -fuzzminimizetime 20x ./internal/pki
	$(FUZZ) -fuzz FuzzBuild ./internal/notify
	$(FUZZ) -fuzz FuzzDecodeMessage ./internal/directory/ldapd
	$(FUZZ) -fuzz FuzzParseFilter ./internal/directory/ldapd
	$(FUZZ) -fuzz FuzzParseDN ./internal/directory/ldapd
	$(FUZZ) -fuzz FuzzParseSIECLE ./internal/directory/importer
	$(FUZZ) -fuzz FuzzParseSTS ./internal/directory/importer
	$(FUZZ) -fuzz FuzzParseAAF ./internal/directory/importer
	$(FUZZ) -fuzz FuzzParseCSV ./internal/directory/importer
	$(FUZZ) -fuzz FuzzParseLDIF ./internal/directory/importer
	$(FUZZ) -fuzz FuzzParseListQuery ./internal/directory/peopleweb
	$(FUZZ) -fuzz FuzzBackURL ./internal/directory/peopleweb
	$(FUZZ) -fuzz FuzzWritePDF ./internal/web/sheet

bench:
	bench/journal.sh
	bench/demo.sh

demo:
	go run ./cmd/preau demo
