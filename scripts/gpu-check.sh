#!/usr/bin/env bash
# GPU checks and a GPU benchmark, on a machine with an NVIDIA GPU and the CUDA 13 driver.
#
#   scripts/gpu-check.sh [--skip-bench]
#
# Fetches nothing when the cache is ready: the device machines reach no network, so bring the pinned
# npm tarballs (PARLEY_OFFLINE_DIR: node-llama-cpp-3.22.1.tgz, node-llama-cpp-linux-x64-3.22.1.tgz,
# node-llama-cpp-linux-x64-cuda-3.22.1.tgz) or a filled PARLEY_CACHE, and a Maven repository with
# Parley's dependencies (MAVEN_OPTS=-Dmaven.repo.local=...), or a build made elsewhere (bench/target).
#
# 1. nvidia-smi; 2. GpuCheck: discovery, NVML, CUDA backend, tiny model fully offloaded, repeatable
# greedy output; 3. the engine benchmark on the bench model (Qwen3 shape, 0.36 B, Q4_K_M) at 1, 8
# and 32 concurrent streams, all layers on the GPU. Paste its table into docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
parley_find_java
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "(no nvidia-smi)"
"$here/scripts/fetch-natives.sh" --cuda >/dev/null
if [[ ! -f "$here/bench/target/classes/dev/parley/bench/GpuCheck.class" ]]; then
  (cd "$here" && mvn -B -q --no-transfer-progress -o -DskipTests -pl bench -am package)
fi
cp="$here/bench/target/classes:$here/bench/target/lib/*"
java --enable-native-access=ALL-UNNAMED -Dparley.natives.variant=cuda \
  -Djava.util.logging.config.file="$here/scripts/logging-test.properties" -cp "$cp" dev.parley.bench.GpuCheck
if [[ "${1:-}" != "--skip-bench" ]]; then
  java --enable-native-access=ALL-UNNAMED -Dparley.natives.variant=cuda \
    -Djava.util.logging.config.file="$here/scripts/logging-test.properties" -cp "$cp" dev.parley.bench.EngineBench \
    --model bench-qwen3-0.4b --streams 1,8,32 --tokens 128 --prompt-tokens 128 --runs 3
fi
