#!/usr/bin/env bash
# Feeds `jfn tools --json` for every document of the OpenAPI corpus to ajv's JSON Schema
# 2020-12 build and to the official TypeScript SDK's tool-list checks (corpus-schemas.mjs).
# Fails, never skips, when the corpus or a tool is missing.
#
#   clients/corpus.sh [CORPUS_DIR]      (default ../shared/corpus, beside the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
if [ ! -f "$corpus/MANIFEST.tsv" ]; then
  echo "FAIL: the OpenAPI corpus is missing at $corpus" >&2
  exit 1
fi
. clients/setup.sh

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/jfn" ./cmd/jfn
node clients/corpus-schemas.mjs --jfn "$bin/jfn" --corpus "$corpus"
