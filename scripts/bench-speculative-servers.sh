#!/usr/bin/env bash
# Speculative decoding side by side, one stream, over HTTP: llama-server and Parley on the same model,
# each without drafting, with a draft model and with n-gram drafting (each server's draft model twice:
# at p-min 0, llama-server's default, and at 0.75, Parley's). Greedy, the same prompts (LoadGen's
# independent workload, one at a time). Prints one line per configuration: requests, errors, tokens/s, ITL p50 ms,
# TTFT p50 ms; the raw results and each server's log stay in the directory it names.
#
#   scripts/bench-speculative-servers.sh [--model bench-qwen3-0.4b|PATH] [--draft tiny-qwen3|PATH]
#     [--requests 8] [--tokens 64] [--max-draft 8] [--llama-server PATH]
# With --model bench-qwen3-0.4b-bigram --draft bench-qwen3-bigram-draft the draft model predicts the
# model exactly (ModelShape.BENCH_QWEN3_BIGRAM): every draft is accepted where one is made.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/lib/common.sh"
model=bench-qwen3-0.4b draft=tiny-qwen3 requests=8 tokens=64 max_draft=8 llama_server=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --draft) draft=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --tokens) tokens=$2; shift 2 ;;
    --max-draft) max_draft=$2; shift 2 ;;
    --llama-server) llama_server=$2; shift 2 ;;
    *) echo "bench-speculative-servers: unknown argument $1" >&2; exit 2 ;;
  esac
done
parley_find_java
[[ -f "$model" ]] || model=$("$here/parley" make-model --preset "$model" 2>/dev/null | tail -n 1)
[[ -f "$draft" ]] || draft=$("$here/parley" make-model --preset "$draft" 2>/dev/null | tail -n 1)
[[ -n "$llama_server" ]] || llama_server=$("$here/scripts/build-llama-server.sh")
(cd "$here" && mvn -B -q --no-transfer-progress -DskipTests -pl bench,server -am package)
server_cp="$here/server/target/parley-server-0.1.0-SNAPSHOT.jar:$here/server/target/lib/*"
bench_cp="$here/bench/target/classes:$here/bench/target/lib/*"
out=$(mktemp -d)
threads=$(nproc) port=$((18500 + RANDOM % 1000)) url=""
echo "bench-speculative-servers: model $model, draft $draft, $requests requests of $tokens tokens, $threads threads; raw results in $out" >&2

wait_ready() { # url pid: ready, or 1 as soon as the server has exited
  for _ in $(seq 1 600); do curl -fsS "$1" >/dev/null 2>&1 && return 0; kill -0 "$2" 2>/dev/null || return 1; sleep 0.5; done; return 1
}
loadgen() { # label requests prompt-tokens max-tokens
  java -cp "$bench_cp" dev.parley.bench.LoadGen --url "$url" --api openai --label "$1" --workload independent \
    --concurrency 1 --requests "$2" --prompt-tokens "$3" --max-tokens "$4"
}
common_ls=(-m "$model" --jinja -np 1 -c 4096 -b 512 -ub 512 -t "$threads" -tb "$threads" --no-repack --host 127.0.0.1 --no-webui)
common_parley=(--model "$model" --slots 1 --ctx-size 4096 --threads "$threads" --threads-batch "$threads" --no-repack)
for cfg in llama-server llama-server-draft llama-server-draft-pmin llama-server-ngram parley parley-draft parley-draft-pmin0 parley-ngram; do
  url="http://127.0.0.1:$port"
  case $cfg in
    llama-server) extra=() ;;
    llama-server-draft) extra=(--spec-type draft-simple -md "$draft" --spec-draft-n-max "$max_draft") ;;
    llama-server-draft-pmin) extra=(--spec-type draft-simple -md "$draft" --spec-draft-n-max "$max_draft" --spec-draft-p-min 0.75) ;;
    llama-server-ngram) extra=(--spec-type ngram-simple --spec-draft-n-max "$max_draft") ;;
    parley) extra=() ;;
    parley-draft) extra=(--speculative draft --model-draft "$draft" --speculative-max "$max_draft") ;;
    parley-draft-pmin0) extra=(--speculative draft --model-draft "$draft" --speculative-max "$max_draft" --draft-p-min 0) ;;
    parley-ngram) extra=(--speculative ngram --speculative-max "$max_draft") ;;
  esac
  if [[ $cfg == llama-server* ]]; then
    "$llama_server" "${common_ls[@]}" --port "$port" "${extra[@]}" > "$out/$cfg.log" 2>&1 &
    pid=$!; ready="$url/health"
  else
    java --enable-native-access=ALL-UNNAMED -Djava.util.logging.config.file="$here/scripts/logging-test.properties" -cp "$server_cp" \
      dev.parley.server.Main "${common_parley[@]}" --port "$port" --data-dir "$out/data-$cfg" "${extra[@]}" > "$out/$cfg.log" 2>&1 &
    pid=$!; ready="$url/health/ready"
  fi
  if wait_ready "$ready" "$pid"; then
    loadgen warm-up 1 32 8 > /dev/null 2>> "$out/loadgen.err"
    loadgen "$cfg" "$requests" 128 "$tokens" >> "$out/results.jsonl" 2>> "$out/loadgen.err" || true
  else
    echo "bench-speculative-servers: $cfg did not start (log: $out/$cfg.log)" >&2
  fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
done
python3 - "$out/results.jsonl" <<'P'
import json, sys
print("| server | requests | errors | tokens/s | ITL p50 ms | TTFT p50 ms |")
print("|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f"| {r['label']} | {r['requests']} | {r['errors']} | {r['tokens_per_s']:.1f} | {r['itl_p50_ms']:.1f} | {r['ttft_p50_ms']:.0f} |")
P
