#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (c) the Préau authors
#
# Regenerates common-passwords.txt from the zxcvbn-ts language packages.
# Run from internal/auth/policy (go generate does). Needs npm and its registry.
set -eu
common=4.1.3
fr=4.1.2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@zxcvbn-ts/language-common@$common" "@zxcvbn-ts/language-fr@$fr" >/dev/null &&
	mkdir common fr &&
	tar xzf "zxcvbn-ts-language-common-$common.tgz" -C common &&
	tar xzf "zxcvbn-ts-language-fr-$fr.tgz" -C fr)
go run ./gen -out common-passwords.txt \
	-source "@zxcvbn-ts/language-common $common + @zxcvbn-ts/language-fr $fr (MIT)" \
	-note "commonWords.json derives from OpenSubtitles 2024 via OPUS (https://opus.nlpl.eu/, Helsinki-NLP), licence ODC-BY" \
	"$tmp/common/package/src/passwords.json" \
	"$tmp/fr/package/src/commonWords.json" \
	"$tmp/fr/package/src/firstnames.json" \
	"$tmp/fr/package/src/lastnames.json"
