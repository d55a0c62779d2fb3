#!/usr/bin/env bash
# Builds llama.cpp's own llama-server from the pinned source (the git bundle in node-llama-cpp, the
# same version as Parley's natives) into the cache: the anchor Parley is measured against. A benchmark
# tool only: never committed, never part of the test command.
#
#   scripts/build-llama-server.sh [--cuda]     prints the path of the llama-server binary
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cuda=OFF
[[ "${1:-}" == "--cuda" ]] && cuda=ON
command -v cmake >/dev/null || { echo "build-llama-server: cmake is needed (Debian: apt-get install cmake)" >&2; exit 1; }
command -v g++ >/dev/null || { echo "build-llama-server: g++ is needed (Debian: apt-get install g++)" >&2; exit 1; }
if [[ $cuda == ON ]] && ! command -v nvcc >/dev/null; then
  echo "build-llama-server: --cuda needs nvcc (the CUDA toolkit)" >&2; exit 1
fi
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
llama="$("$here/scripts/fetch-natives.sh")"
src=$(parley_llama_source)
build="$llama/llama-server-$( [[ $cuda == ON ]] && echo cuda || echo cpu )"
# Built like node-llama-cpp's prebuilt natives (which Parley loads): ggml backends as loadable
# libraries, every CPU variant compiled and the best one for this CPU picked at run time. (A
# -march=native build compiled AMX tiles in on a Sapphire Rapids VM and crashed in AMX matmul there.)
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_CUDA=$cuda -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
  -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON >&2
cmake --build "$build" --target llama-server -j "$(nproc)" >&2 # ggml depends on every backend variant
echo "$build/bin/llama-server"
