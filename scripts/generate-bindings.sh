#!/usr/bin/env bash
# Regenerates the committed FFM bindings from the pinned llama.cpp headers (castxml + BindGen).
# Run after bumping the llama.cpp version in scripts/fetch-natives.sh, then fix what no longer compiles.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
parley_find_java
command -v castxml >/dev/null || parley_die "castxml is not installed (Debian: apt-get install castxml)"
llama="$("$here/scripts/fetch-natives.sh")"
cd "$here"
java bindgen/src/main/java/dev/parley/bindgen/BindGen.java \
  --spec bindings/bindgen/llama.spec --source-root "$llama/src" --out bindings/src/main/java
