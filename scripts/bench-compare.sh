#!/usr/bin/env bash
# Parley against llama.cpp's llama-server on the same model with the same settings: slots, context,
# batch sizes and threads; greedy sampling; warm-up excluded; servers alternate between repetitions;
# Parley runs with prefix reuse on and off. Prints a markdown report (medians) for docs/benchmarks.md.
# Both run with weight repacking off (--no-repack): on Sapphire Rapids VMs the llama-server that
# scripts/build-llama-server.sh makes with GCC 12 dies with SIGILL in ggml's AMX kernel (part of
# repacking; GCC 12 drops the tile configuration's stores, see scripts/native/ldtilecfg-fix.h), while
# the prebuilt natives (GCC 11) run it; with it off, both use the same ggml kernels.
#
#   scripts/bench-compare.sh [--model bench-qwen3-0.4b|PATH] [--reps 2] [--slots 8] [--quick] [--jfr]
#     [--same-natives] [--llama-server PATH] [--device cpu|cuda] [--workloads LIST] [--concurrency LIST]
#     [--servers LIST] [--parley-flags "FLAGS"]
#   scripts/bench-compare.sh --conversations [--users 16] [--slots 4] [--ram-quarter-mib 100] [--only main,restart,ram]
#
# --jfr records Parley with Java Flight Recorder (profile settings) and prints its hottest methods.
# --same-natives runs Parley on the anchor's own build of llama.cpp (PARLEY_NATIVES_DIR), so that both
#   servers run identical machine code and only the servers themselves differ.
# --llama-server PATH uses that llama-server (and, with --same-natives, the natives beside it) instead
#   of building one with scripts/build-llama-server.sh.
# --device cuda puts every layer on the GPU in both servers (llama-server -ngl 999, Parley --device cuda).
# --workloads LIST runs these workloads, in order (default multiturn,independent,longhistory).
# --concurrency LIST the concurrent streams of the independent workload (default 1,4,8,16).
# --parley-flags "FLAGS" adds these server flags to every Parley run (after the common ones, so they
#   win: --ubatch-size 63, --flash-attn off), for trying a setting on the same load.
# --servers LIST which of llama-server, parley, parley-no-reuse run (default all three); with
#   --conversations, which of llama-server, parley, parley-tiers-off, ideal, by-memory run in "main"
#   (default all five; llama-server is built only when one that runs needs it).
# --conversations runs the many-conversations suite instead (KV tiers, docs/benchmarks.md): U users
#   (default 16) each holding an 8-turn conversation (~60 new words a turn, 24 tokens generated) on
#   --slots slots (default 4 here): llama-server with its default RAM prompt cache, Parley with its tiers,
#   Parley with the tiers off, the ideal (one slot per user in U x 2048 cells: only new tokens are
#   prefilled), and "by-memory" (one sequence per user in the same cells as --slots: admission bounded
#   by KV memory, not a slot count, the cache pausing or spilling what does not fit); then
#   "restart" (both servers restarted between turns 4 and 5) and "ram" (RAM caches of --ram-quarter-mib,
#   about a quarter of the conversations at 16 users on the bench model; Parley's disk tier on).
#
# Environment: PARLEY_KIT, a GPU kit (scripts/gpu-kit.sh) to run from: its Java runtime and jars, and
# nothing is built (give --model PATH and --llama-server PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
model_arg=bench-qwen3-0.4b reps=2 slots= quick=0 jfr=0 same_natives=0 conversations=0 users=16 ram_mib=100 only=main,restart,ram
parley_flags=()
llama_server="" device=cpu workloads=multiturn,independent,longhistory concurrency="" servers=llama-server,parley,parley-no-reuse
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) model_arg=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --slots) slots=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --jfr) jfr=1; shift ;;
    --same-natives) same_natives=1; shift ;;
    --conversations) conversations=1; shift ;;
    --users) users=$2; shift 2 ;;
    --ram-quarter-mib) ram_mib=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --llama-server) llama_server=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --servers) servers=$2; servers_set=1; shift 2 ;;
    --parley-flags) read -r -a parley_flags <<< "$2"; shift 2 ;;
    *) echo "bench-compare: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $device == cpu || $device == cuda ]] || { echo "bench-compare: --device is cpu or cuda, not $device" >&2; exit 2; }
[[ -z "$slots" ]] && { [[ $conversations == 1 ]] && slots=4 || slots=8; }
threads=$(nproc) ctx=$((slots * 2048)) batch=512
if [[ -n "${PARLEY_KIT:-}" ]]; then
  [[ -x "$PARLEY_KIT/jdk/bin/java" ]] || { echo "bench-compare: PARLEY_KIT=$PARLEY_KIT has no jdk/bin/java (scripts/gpu-kit.sh makes it)" >&2; exit 2; }
  [[ -f "$model_arg" && -x "$llama_server" ]] || { echo "bench-compare: with PARLEY_KIT, give --model PATH and --llama-server PATH (nothing is built)" >&2; exit 2; }
  export PATH="$PARLEY_KIT/jdk/bin:$PATH"
  server_cp="$PARLEY_KIT/app/*:$PARLEY_KIT/app-docs/*" bench_cp="$PARLEY_KIT/app/*"
else
  parley_find_java
  server_cp="$here/server/target/parley-server-0.1.0-SNAPSHOT.jar:$here/server/target/lib/*"
  bench_cp="$here/bench/target/classes:$here/bench/target/lib/*"
fi
needs_anchor=1
if [[ $conversations == 1 && ${servers_set:-0} == 1 && ",$servers," != *,llama-server,* && ",$only," != *,restart,* && ",$only," != *,ram,* ]]; then
  needs_anchor=0
fi
[[ -n "$llama_server" || $needs_anchor == 0 ]] || llama_server=$("$here/scripts/build-llama-server.sh")
model=$model_arg
[[ -f "$model" ]] || model=$("$here/parley" make-model --preset "$model_arg" 2>/dev/null | tail -n 1)
[[ -n "${PARLEY_KIT:-}" ]] || (cd "$here" && mvn -B -q --no-transfer-progress -DskipTests -pl bench,server -am package)
out=$(mktemp -d)
results="$out/results.jsonl"
echo "bench-compare: model $model, $slots slots, context $ctx, batch $batch, $threads threads, device $device, $reps repetitions; raw results in $results" >&2

wait_ready() { # url
  for _ in $(seq 1 600); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "bench-compare: server at $1 did not become ready" >&2; return 1
}

start() { # name [server flags...] -> sets pid and url; Parley's data directory is named after the run
  local name=$1; shift
  local port=$((18500 + RANDOM % 1000))
  url="http://127.0.0.1:$port"
  case "$name" in
    llama-server*)
      local gpu=(); [[ $device == cuda ]] && gpu=(-ngl 999)
      "$llama_server" -m "$model" --jinja -np "$s_slots" -c "$s_ctx" -b "$batch" -ub "$batch" -t "$threads" -tb "$threads" "${gpu[@]}" \
        -kvu --no-repack --host 127.0.0.1 --port "$port" --no-webui --reasoning-format none "$@" >> "$out/$name.log" 2>&1 &
      pid=$!; wait_ready "$url/health" ;;
    parley*)
      local extra=(--device "$device" "${parley_flags[@]}" "$@"); [[ "$name" == parley-no-reuse ]] && extra+=(--no-prefix-reuse)
      local jvm=(); [[ $jfr == 1 && "$name" == parley ]] && jvm=("-XX:StartFlightRecording=filename=$out/parley-$RANDOM.jfr,settings=profile,dumponexit=true")
      local natives=(); [[ $same_natives == 1 ]] && natives=("-Dparley.natives.dir=$(dirname "$llama_server")")
      java "${jvm[@]}" "${natives[@]}" --enable-native-access=ALL-UNNAMED -Djava.util.logging.config.file="$here/scripts/logging-test.properties" \
        -cp "$server_cp" dev.parley.server.Main \
        --model "$model" --slots "$s_slots" --ctx-size "$s_ctx" --batch-size "$batch" --ubatch-size "$batch" \
        --threads "$threads" --threads-batch "$threads" --no-repack --port "$port" --data-dir "$out/data-$name" "${extra[@]}" >> "$out/$name.log" 2>&1 &
      pid=$!; wait_ready "$url/health/ready" || { tail -n 20 "$out/$name.log" >&2; return 1; } ;;
  esac
}

load() { # label workload args...
  local label=$1; shift
  java -cp "$bench_cp" dev.parley.bench.LoadGen --url "$url" --api openai --label "$label" "$@" \
    >> "$results" 2>> "$out/loadgen.err"
}

warm_up() { # a few requests whose figures are discarded
  java -cp "$bench_cp" dev.parley.bench.LoadGen --url "$url" --api openai --label warm-up \
    --workload independent --concurrency 2 --requests 1 --prompt-tokens 32 --max-tokens 8 > /dev/null 2>> "$out/loadgen.err"
}

s_slots=$slots s_ctx=$ctx
stop() { # keeps Parley's /metrics (KV tier hits, save and restore times, step times) beside the results
  [[ -n "${stop_name:-}" ]] && curl -fsS "$url/metrics" > "$out/metrics-$stop_name-$RANDOM.txt" 2>/dev/null || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [[ $conversations == 1 ]]; then
  conv=(--workload conversations --users "$users" --turns 8 --turn-words 60 --max-tokens 24)
  if [[ ",$only," == *,main,* ]]; then
    conv_servers="llama-server parley parley-tiers-off ideal by-memory"
    [[ ${servers_set:-0} == 1 ]] && conv_servers=${servers//,/ }
    for name in $conv_servers; do
      case $name in
        by-memory) s_slots=$users; start parley-by-memory; s_slots=$slots ;; # as many sequences as users in the same KV memory
        parley-tiers-off) start "$name" --kv-ram-budget 0 --no-kv-disk ;;
        ideal) s_slots=$users s_ctx=$((users * 2048)); start parley-ideal --kv-ram-budget 0 --no-kv-disk; s_slots=$slots s_ctx=$ctx ;;
        *) start "$name" ;;
      esac
      stop_name=$name; warm_up; load "$name" "${conv[@]}"; stop
    done
  fi
  if [[ ",$only," == *,restart,* ]]; then
    for name in llama-server parley; do
      state="$out/restart-$name.json"
      start "$name-restart"; warm_up; load "$name-restart" "${conv[@]}" --to-turn 4 --state "$state"; stop
      start "$name-restart"; warm_up; load "$name-restart" "${conv[@]}" --from-turn 5 --state "$state"; stop
    done
  fi
  if [[ ",$only," == *,ram,* ]]; then
    start llama-server-ram --cache-ram "$ram_mib"; warm_up; load llama-server-ram "${conv[@]}"; stop
    start parley-ram --kv-ram-budget "${ram_mib}MiB"; warm_up; load parley-ram "${conv[@]}"; stop
  fi
  python3 "$here/scripts/bench_conversations.py" "$results"
  exit 0
fi

if [[ $quick == 1 ]]; then
  multi=(--users 4 --turns 3 --turn-tokens 40 --max-tokens 32); indep=(--concurrency 1,4,8 --requests 1 --prompt-tokens 128 --max-tokens 32)
  longh=(--history 256,1024,4096 --max-tokens 8)
else
  multi=(--users 8 --turns 6 --turn-tokens 40 --max-tokens 64); indep=(--concurrency 1,4,8,16 --requests 2 --prompt-tokens 128 --max-tokens 64)
  longh=(--history 256,1024,4096 --max-tokens 16)
fi
if [[ -n "$concurrency" ]]; then
  indep=(--concurrency "$concurrency" "${indep[@]:2}")
fi
IFS=, read -r -a order <<< "$servers"
IFS=, read -r -a workload_list <<< "$workloads"
failed=()
for rep in $(seq 1 "$reps"); do
  for name in "${order[@]}"; do
    start "$name"
    warm_up
    for w in "${workload_list[@]}"; do
      case "$w" in
        multiturn) args=("${multi[@]}") ;;
        independent) args=("${indep[@]}") ;;
        longhistory) args=("${longh[@]}") ;;
        *) args=() ;;
      esac
      load "$name" --workload "$w" "${args[@]}" || failed+=("$w on $name")
    done
    stop
  done
  order=("${order[@]:1}" "${order[0]}") # alternate who goes first
done
python3 "$here/scripts/bench_report.py" "$results"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo; echo "Workloads that did not run to the end (LoadGen's error in $out/loadgen.err): ${failed[*]}"
fi
if [[ $jfr == 1 ]]; then
  for f in "$out"/parley-*.jfr; do
    echo; echo "### JFR hot methods ($f)"; echo; echo '```'; jfr view hot-methods "$f" | head -30; echo '```'
  done
fi
