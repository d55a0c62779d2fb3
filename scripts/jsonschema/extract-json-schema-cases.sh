#!/usr/bin/env bash
# Regenerates the JSON-schema-to-grammar corpus from the pinned llama.cpp source (needs python3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
llama="$("$here/scripts/fetch-natives.sh")"
src="$llama/llama.cpp"
if [[ ! -f "$src/tests/test-json-schema-to-grammar.cpp" ]]; then
  tmp=$(mktemp -d)
  tar xzf "$llama/downloads/node-llama-cpp-3.22.1.tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$src"
  git clone -q "$tmp/package/llama/gitRelease.bundle" "$src" 2>/dev/null
  rm -rf "$tmp"
fi
python3 "$here/scripts/jsonschema/extract_json_schema_cases.py" "$src" \
  "$here/runtime/src/test/resources/json-schema/test-json-schema-to-grammar-cases.json"
