#!/usr/bin/env bash
# Speculative decoding (n-gram lookup, or a draft model with --draft), one stream (or --streams N at once):
#   scripts/bench-speculative.sh [--model tiny-qwen3|bench-qwen3-0.4b|bench-qwen3-0.4b-bigram|PATH]
#   [--draft PRESET|PATH] [--draft-p-min 0.75] [--tokens 128] [--max-draft 8] [--streams 1] [--threads N] [--runs 3]
# The -bigram presets quote their history (ModelShape.BENCH_QWEN3_BIGRAM): drafts are accepted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
parley_find_java
"$here/scripts/fetch-natives.sh" >/dev/null
(cd "$here" && mvn -B -q --no-transfer-progress -DskipTests -pl bench -am package)
exec java --enable-native-access=ALL-UNNAMED -Djava.util.logging.config.file="$here/scripts/logging-test.properties" \
  -cp "$here/bench/target/classes:$here/bench/target/lib/*" dev.parley.bench.SpeculativeBench "$@"
