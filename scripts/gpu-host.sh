#!/usr/bin/env bash
# Runs on the GPU host, from the repository root, with the kit that scripts/gpu-kit.sh made elsewhere
# (.gpu-kit: a jlink'd Java runtime, Parley's jars, the trimmed llama.cpp source). Needs the NVIDIA
# driver, CUDA's nvcc, CMake and python3; no Java, Maven or network.
#
#   scripts/gpu-host.sh build    build llama.cpp's CUDA backend, libllama and llama-server from the kit's
#                                source, for this GPU only (CMAKE_CUDA_ARCHITECTURES=native; set
#                                PARLEY_CUDA_ARCH=90 to name it); incremental: rerun to resume a build
#                                cut short by a command's time limit
#   scripts/gpu-host.sh check    the GPU checks: GpuCheck (discovery, NVML, CUDA backend, tiny model fully
#                                offloaded, repeatable greedy), then the server with --device auto on a
#                                generated Qwen3-1.7B-shaped Q4_K_M model: /api/v1/gpus, the GPU gauges,
#                                and greedy output on the GPU against the CPU for a short prompt
#   scripts/gpu-host.sh bench    Parley against the kit's llama-server, both on the GPU with the same
#                                natives, model and settings: independent prompts at 1, 8, 32, 64 streams,
#                                then the many-conversations suite (scripts/bench-compare.sh --conversations,
#                                which comes with the KV-tiers work; skipped with a note until it is there)
#   scripts/gpu-host.sh all      the three in order
#
# Environment: PARLEY_KIT (default .gpu-kit), PARLEY_GPU_HOST_DIR (default .gpu-host: the build, cache
# and generated models; ignored by git, so it stays on a held host between commands), PARLEY_GPU_MODEL
# (a preset of ./parley make-model, default bench-qwen3-1.7b), PARLEY_BENCH_WORKLOADS (bench-compare's
# --workloads for the first run, default independent), PARLEY_CONVERSATIONS_ARGS (flags of the
# --conversations suite, default --only main), PARLEY_BENCH_REPS (default 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"

kit="${PARLEY_KIT:-$here/.gpu-kit}"
host="${PARLEY_GPU_HOST_DIR:-$here/.gpu-host}"
export PARLEY_CACHE="$host/cache"
root=$(parley_llama_root)
natives="$root/local-cuda"
llama_server="$root/build-natives-cuda/bin/llama-server"
model_preset="${PARLEY_GPU_MODEL:-bench-qwen3-1.7b}"

say() { echo "gpu-host: $*" >&2; }
die() { echo "gpu-host: $*" >&2; exit 3; }

# Before anything else: this is the GPU host's script, and it says so clearly anywhere else.
require_gpu() {
  command -v nvidia-smi >/dev/null || die "no NVIDIA driver here (nvidia-smi is not on PATH): this script runs on a GPU host. On a machine without a GPU, make the kit with scripts/gpu-kit.sh and carry it to one (docs/benchmarks.md, 'The GPU kit')."
  local gpus
  gpus=$(nvidia-smi -L 2>&1) && [[ "$gpus" == GPU* ]] || die "nvidia-smi finds no GPU here ($gpus): this script runs on a GPU host."
  say "$gpus"
}

require_kit() { # what
  case "$1" in
    source) [[ -f "$kit/llama.cpp-src.tar.xz" || -f "$host/llama.cpp/CMakeLists.txt" ]] || die "no kit source: $kit/llama.cpp-src.tar.xz is missing (make it with scripts/gpu-kit.sh and carry it)" ;;
    java)
      [[ -d "$kit/app" && -d "$kit/app-docs" && ( -f "$kit/jdk.tar.xz" || -x "$kit/jdk/bin/java" ) ]] || die "no kit Java: $kit/jdk.tar.xz, $kit/app or $kit/app-docs is missing (make them with scripts/gpu-kit.sh and carry them)"
      # The runtime travels packed; unpacked beside it once (again when a newer one was carried).
      if [[ -f "$kit/jdk.tar.xz" && ( ! -x "$kit/jdk/bin/java" || "$kit/jdk.tar.xz" -nt "$kit/jdk/bin/java" ) ]]; then
        rm -rf "$kit/jdk"
        tar -xJf "$kit/jdk.tar.xz" -C "$kit"
        touch "$kit/jdk/bin/java"
      fi ;;
    natives) [[ -f "$natives/.complete" ]] || die "no CUDA natives in $natives yet: run scripts/gpu-host.sh build first" ;;
  esac
}

# Parley's pinned sources (vocab, templates) where NativeLibraries looks for them.
unpack_parley_src() {
  [[ -f "$root/src/.complete" ]] && return 0
  [[ -f "$kit/parley-src.tar.xz" ]] || die "no kit sources: $kit/parley-src.tar.xz is missing (make it with scripts/gpu-kit.sh)"
  mkdir -p "$root/src"
  tar -xJf "$kit/parley-src.tar.xz" -C "$root/src"
}

java_run() { # main class, args...
  local main=$1; shift
  "$kit/jdk/bin/java" --enable-native-access=ALL-UNNAMED -Dparley.natives.dir="$natives" \
    -Djava.util.logging.config.file="$here/scripts/logging-test.properties" -cp "$kit/app/*:$kit/app-docs/*" "$main" "$@"
}

build() {
  require_gpu
  command -v nvcc >/dev/null || die "nvcc is not on PATH: the CUDA toolkit's compiler is needed to build the CUDA backend (try PATH=/usr/local/cuda/bin:\$PATH)"
  command -v cmake >/dev/null || die "cmake is needed"
  require_kit source
  if [[ ! -f "$host/llama.cpp/CMakeLists.txt" ]]; then
    mkdir -p "$host/llama.cpp.part"
    tar -xJf "$kit/llama.cpp-src.tar.xz" -C "$host/llama.cpp.part"
    mv "$host/llama.cpp.part" "$host/llama.cpp"
  fi
  unpack_parley_src
  say "building (nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'), architectures ${PARLEY_CUDA_ARCH:-native}); rerun to resume if the time limit cuts it"
  PARLEY_LLAMA_SRC="$host/llama.cpp" PARLEY_CUDA_ARCH="${PARLEY_CUDA_ARCH:-native}" "$here/scripts/build-natives.sh" --cuda --with-server >/dev/null
  say "CUDA natives in $natives; llama-server at $llama_server"
}

wait_ready() { # url, log
  for _ in $(seq 1 600); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 30 "$2" >&2
  die "the server at $1 did not become ready"
}

# One chat completion, greedy, on a server; prints the answer's text.
greedy() { # url
  curl -fsS "$1/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"messages":[{"role":"user","content":"Name three colours."}],"max_tokens":24,"temperature":0}' \
    | python3 -c 'import json,sys; m=json.load(sys.stdin)["choices"][0]["message"]; print((m.get("reasoning_content") or "") + (m.get("content") or ""), end="")'
}

serve() { # log, args... ; sets server_pid and server_url
  local log=$1; shift
  local port=$((18600 + RANDOM % 1000))
  server_url="http://127.0.0.1:$port"
  java_run dev.parley.server.Main --model "$model" --port "$port" --data-dir "$host/data-$port" "$@" > "$log" 2>&1 &
  server_pid=$!
  wait_ready "$server_url/health/ready" "$log"
}

check() {
  require_gpu
  require_kit java
  require_kit natives
  unpack_parley_src
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
  say "1/3 GpuCheck"
  java_run dev.parley.bench.GpuCheck
  say "2/3 generating the $model_preset model here (it is too large to travel)"
  model=$(java_run dev.parley.runtime.testmodel.MakeModel --preset "$model_preset" | tail -n 1)
  ls -l "$model"
  say "3/3 the server with --device auto"
  serve "$host/server-auto.log" --device auto
  curl -fsS "$server_url/api/v1/gpus" > "$host/gpus.json"
  curl -fsS "$server_url/metrics" > "$host/metrics.txt"
  local gpu_text; gpu_text=$(greedy "$server_url")
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  grep -E "llama.cpp natives|CUDA device|offload" "$host/server-auto.log" | head -n 5 >&2 || true
  python3 - "$host/gpus.json" "$host/metrics.txt" <<'PY'
import json, re, sys
gpus = json.load(open(sys.argv[1]))
print("api/v1/gpus:", json.dumps(gpus))
assert gpus["device"] == "cuda", "--device auto did not choose CUDA: " + str(gpus.get("reason"))
serving = [d for d in gpus["devices"] if d.get("serving_model")]
assert serving, "no device reports serving_model"
assert serving[0]["memory_used_bytes"] > 0, "NVML reports no memory used on the serving GPU"
gauges = {}
for line in open(sys.argv[2]):
    m = re.match(r'(parley_gpu_[a-z_]+)\{[^}]*gpu="?(\d+)"?[^}]*\}\s+([0-9.eE+-]+)', line)
    if m:
        gauges[m.group(1)] = float(m.group(3))
print("GPU gauges:", gauges)
for name in ("parley_gpu_memory_used_bytes", "parley_gpu_memory_total_bytes", "parley_gpu_utilization_percent"):
    assert name in gauges, name + " is missing from /metrics"
assert gauges["parley_gpu_memory_used_bytes"] > 0
print("ok    --device auto serves on CUDA; /api/v1/gpus and the GPU gauges report the device")
PY
  # The same prompt on the CPU: CUDA hidden, so the same natives run only their CPU backend.
  CUDA_VISIBLE_DEVICES="" serve "$host/server-cpu.log" --device cpu
  local cpu_text; cpu_text=$(greedy "$server_url")
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  python3 - "$gpu_text" "$cpu_text" <<'PY'
import sys
gpu, cpu = sys.argv[1], sys.argv[2]
print("greedy on the GPU:", repr(gpu))
print("greedy on the CPU:", repr(cpu))
if gpu == cpu:
    print("ok    the same greedy output on the GPU and the CPU")
else:
    same = next((i for i, (a, b) in enumerate(zip(gpu, cpu)) if a != b), min(len(gpu), len(cpu)))
    print(f"note  greedy output differs after {same} characters: CUDA's kernels sum in another order than the CPU's "
          "(quantized matmuls through MMQ/cuBLAS, other reductions), and a generated model's random weights give "
          "nearly flat logits, so the first near-tie flips the argmax; each device is repeatable on its own (GpuCheck)")
PY
  say "GPU checks passed"
}

bench() {
  require_gpu
  require_kit java
  require_kit natives
  unpack_parley_src
  [[ -x "$llama_server" ]] || die "no llama-server in $llama_server: run scripts/gpu-host.sh build"
  model=$(java_run dev.parley.runtime.testmodel.MakeModel --preset "$model_preset" | tail -n 1)
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  # Both servers on the kit's build (--same-natives): only the servers differ.
  local common=(--model "$model" --llama-server "$llama_server" --same-natives --device cuda --reps "${PARLEY_BENCH_REPS:-1}")
  PARLEY_KIT="$kit" "$here/scripts/bench-compare.sh" "${common[@]}" --slots 64 --servers llama-server,parley \
    --workloads "${PARLEY_BENCH_WORKLOADS:-independent}" --concurrency 1,8,32,64
  # The many-conversations workload is bench-compare.sh's --conversations suite, from the KV-tiers work.
  if grep -q -- '--conversations)' "$here/scripts/bench-compare.sh"; then
    # shellcheck disable=SC2086 # PARLEY_CONVERSATIONS_ARGS is a list of flags
    PARLEY_KIT="$kit" "$here/scripts/bench-compare.sh" "${common[@]}" --conversations ${PARLEY_CONVERSATIONS_ARGS:---only main}
  else
    say "many-conversations: this scripts/bench-compare.sh has no --conversations suite (it comes with the KV-tiers work): not run"
  fi
}

case "${1:-}" in
  build) build ;;
  check) check ;;
  bench) bench ;;
  all) build; check; bench ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  *) echo "gpu-host: build, check, bench or all (try --help)" >&2; exit 2 ;;
esac
