#!/usr/bin/env bash
# Memory soak: scripts/soak.sh [--minutes 3] [--users 8] [--kv-ram-budget 4MiB] [--slots 4] [--ctx-size 4096]
#   [--model PATH (default: the tiny test model)] [--java-opts '-Xmx384m'] [--no-build]
# Starts a server on loopback with a small KV RAM budget (and Native Memory Tracking), drives mixed
# traffic (bench/.../Soak.java) for a bounded time, samples /metrics (resident memory, heap, KV RAM
# tier) and prints the NMT difference between the first sample and the end. Figures: docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
minutes=3 users=8 ram=4MiB slots=4 ctx=4096 model="" build=1 java_opts=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --kv-ram-budget) ram=$2; shift 2 ;;
    --slots) slots=$2; shift 2 ;;
    --ctx-size) ctx=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --java-opts) java_opts=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) parley_die "unknown option $1" ;;
  esac
done
parley_find_java
"$here/scripts/fetch-natives.sh" >/dev/null
if (( build )); then
  (cd "$here" && mvn -B -q --no-transfer-progress -DskipTests -pl server,bench -am package)
fi
cp="$here/server/target/classes:$here/server/target/lib/*"
if [[ -z "$model" ]]; then
  model=$(ls "$(parley_cache)"/models/tiny-qwen3-*.gguf 2>/dev/null | head -n 1)
  [[ -n "$model" ]] || parley_die "no tiny test model in $(parley_cache)/models: run a runtime test once (it generates it), or pass --model"
fi
port=$(( 20000 + RANDOM % 20000 ))
data=$(mktemp -d)
log="$data/server.log"
# shellcheck disable=SC2086 # the options are words
java --enable-native-access=ALL-UNNAMED -XX:+UseZGC -XX:NativeMemoryTracking=summary $java_opts \
  -Djava.util.logging.config.file="$here/scripts/logging.properties" -cp "$cp" dev.parley.server.Main \
  --model "$model" --host 127.0.0.1 --port "$port" --slots "$slots" --ctx-size "$ctx" --kv-ram-budget "$ram" \
  --data-dir "$data" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
rss() { grep -E "^(VmRSS|RssAnon|RssFile)" "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' '; }
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  kill -0 $pid 2>/dev/null || { cat "$log"; parley_die "the server did not start"; }
  sleep 0.5
done
echo "server pid $pid on port $port: $slots slots, $ctx cells, --kv-ram-budget $ram, model $(basename "$model"), JVM options: ${java_opts:-none}"
jcmd $pid VM.native_memory baseline >/dev/null
echo "at the start: $(rss)"
java -cp "$here/bench/target/classes:$here/bench/target/lib/*" dev.parley.bench.Soak --url "http://127.0.0.1:$port" \
  --minutes "$minutes" --users "$users"
echo "at the end: $(rss)"
echo "NMT, committed now against the baseline taken at the first sample (KB):"
jcmd $pid VM.native_memory summary.diff | grep -E "^(Total|-)" | grep -v "^-  *$" | head -30
echo "server log: $(grep -c SEVERE "$log" || true) SEVERE lines, $(grep -c WARNING "$log" || true) WARNING lines"
grep -E "SEVERE|WARNING" "$log" | head -n 5 || true
