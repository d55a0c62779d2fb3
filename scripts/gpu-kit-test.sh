#!/usr/bin/env bash
# The GPU kit's test, part of ./parley test (after mvn test, whose compiled classes it packages): makes
# the kit, checks that every part fits the 64 MiB transfer limit and that its Java runtime runs Parley,
# that the trimmed llama.cpp source still configures a CUDA build (where nvcc is installed), and that
# the GPU host's script refuses a machine without a GPU with a clear message. Compiles no llama.cpp.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
fail() { echo "gpu-kit-test: FAIL: $*" >&2; exit 1; }
ok() { echo "gpu-kit-test: ok    $*" >&2; }
start=$SECONDS
kit="$here/.gpu-kit"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

report=$("$here/scripts/gpu-kit.sh") || fail "scripts/gpu-kit.sh failed"
echo "$report" >&2
for part in "repository files" jdk.tar.xz app app-docs llama.cpp-src.tar.xz parley-src.tar.xz total; do
  grep -Eq "^  $part +[0-9.]+ MiB$" <<< "$report" || fail "the kit's report has no size for $part"
done
# Each part must travel with the repository's files in one transfer; the whole kit in one, or the
# report says how to split it.
limit=$((64 * 1024 * 1024))
repo=$(awk '/^  repository files/ { print $(NF-1) }' <<< "$report")
for part in jdk.tar.xz app app-docs llama.cpp-src.tar.xz parley-src.tar.xz; do
  b=$(du -sb "$kit/$part" | cut -f1)
  awk -v r="$repo" -v b="$b" -v l="$limit" 'BEGIN { exit !(r * 1048576 + b <= l) }' || fail "$part ($b bytes) does not fit beside the repository's files"
done
total=$(awk '/^  total/ { print $(NF-1) }' <<< "$report")
if awk -v t="$total" -v l="$limit" 'BEGIN { exit !(t * 1048576 <= l) }'; then
  grep -q "^fits in one transfer" <<< "$report" || fail "a kit of $total MiB fits, and the report does not say so"
else
  grep -q "split it over commands" <<< "$report" || fail "a kit of $total MiB does not fit, and the report gives no split"
fi
ok "kit of $total MiB (repository files included), every part under the limit"

# The jlink'd runtime, unpacked as the GPU host does, is a Java 25 that runs Parley's classes.
tar -xJf "$kit/jdk.tar.xz" -C "$tmp"
java="$tmp/jdk/bin/java"
version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
[[ "$version" == "$PARLEY_MIN_JAVA" ]] || fail "the kit's runtime is Java '$version', not $PARLEY_MIN_JAVA"
usage=$("$java" --enable-native-access=ALL-UNNAMED -cp "$kit/app/*" dev.parley.runtime.testmodel.MakeModel --help) \
  || fail "the kit's runtime cannot run MakeModel"
grep -q "bench-qwen3-1.7b" <<< "$usage" || fail "MakeModel from the kit does not offer the bench-qwen3-1.7b preset"
loadgen=$("$java" -cp "$kit/app/*" dev.parley.bench.LoadGen --workload nonsense 2>&1 || true)
grep -q "unknown workload nonsense" <<< "$loadgen" || fail "the kit's runtime cannot run LoadGen: $loadgen"
# The server itself on that runtime (on this machine's CPU natives and the tiny model): it starts, and a
# chat completion, which renders the chat template, answers.
model=$("$java" --enable-native-access=ALL-UNNAMED -cp "$kit/app/*" dev.parley.runtime.testmodel.MakeModel --preset tiny-qwen3 2>/dev/null | tail -n 1)
port=$((18900 + RANDOM % 500))
"$java" --enable-native-access=ALL-UNNAMED -cp "$kit/app/*:$kit/app-docs/*" dev.parley.server.Main --model "$model" --port "$port" \
  --data-dir "$tmp/data" --slots 1 --ctx-size 1024 > "$tmp/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.5; done
answer=$(curl -fsS "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"temperature":0}') \
  || { tail -n 20 "$tmp/server.log" >&2; fail "the server on the kit's runtime did not answer"; }
python3 -c 'import json,sys; c=json.loads(sys.argv[1])["choices"][0]; assert c["finish_reason"] in ("length","stop"), c' "$answer" \
  || fail "the server on the kit's runtime answered oddly: $answer"
kill "$server"; wait "$server" 2>/dev/null || true
ok "the kit's Java $version runs MakeModel, LoadGen and the server (a chat completion answered)"

# The trimmed source: what the CUDA build reads is there, what it never reads is not.
listing=$(xz -dc "$kit/llama.cpp-src.tar.xz" | tar -tf -)
for f in ./CMakeLists.txt ./ggml/src/ggml-cuda/CMakeLists.txt ./ggml/src/ggml-cpu/CMakeLists.txt ./src/llama.cpp \
    ./tools/server/CMakeLists.txt ./common/CMakeLists.txt ./include/llama.h; do
  grep -qxF "$f" <<< "$listing" || fail "the trimmed source lacks $f"
done
grep -qE '^\./(models|docs|tests)/|\.gguf$|^\./ggml/src/ggml-vulkan/' <<< "$listing" && fail "the trimmed source still holds models, docs, tests or other backends"
ok "trimmed llama.cpp source holds the CUDA backend, libllama and llama-server, and no models, docs or tests"
if command -v nvcc >/dev/null && command -v cmake >/dev/null; then
  mkdir -p "$tmp/src"
  xz -dc "$kit/llama.cpp-src.tar.xz" | tar -xf - -C "$tmp/src"
  # The GPU host's own options (scripts/build-natives.sh, as gpu-host.sh runs it), for sm_90 since no
  # GPU is here for CMake's "native" to find. Where this toolkit has no cuBLAS or driver stub (the CI
  # image's carries only nvcc and the runtime), the runtime library stands in for them: configuring
  # links nothing, and the check is that the trimmed tree holds every file the CUDA build's CMake reads.
  cmake_args=""
  nvcc_root=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
  stand_in="$nvcc_root/lib64/libcudart.so"
  compgen -G "$nvcc_root/lib64/libcublas.so*" >/dev/null || cmake_args="-DCUDA_cublas_LIBRARY=$stand_in -DCUDA_cublasLt_LIBRARY=$stand_in"
  compgen -G "$nvcc_root/lib64/stubs/libcuda.so" >/dev/null || cmake_args="$cmake_args -DCUDA_cuda_driver_LIBRARY=$stand_in"
  PARLEY_CACHE="$tmp/cache" PARLEY_LLAMA_SRC="$tmp/src" PARLEY_CUDA_ARCH=90 PARLEY_CMAKE_ARGS="$cmake_args" \
      "$here/scripts/build-natives.sh" --cuda --with-server --configure-only > "$tmp/cmake.log" 2>&1 \
    || { tail -n 30 "$tmp/cmake.log" >&2; fail "the trimmed source does not configure a CUDA build"; }
  ok "the trimmed source configures a CUDA build with llama-server (nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p'))"
else
  echo "gpu-kit-test: no nvcc or cmake here: the CUDA configure check of the trimmed source is skipped" >&2
fi

# The GPU host's script, here: a clear refusal, before it touches anything.
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-kit-test: this machine has an NVIDIA GPU: the refusal is not tested here" >&2
else
  for step in build check bench; do
    set +e
    msg=$(PARLEY_GPU_HOST_DIR="$tmp/host" "$here/scripts/gpu-host.sh" "$step" 2>&1)
    rc=$?
    set -e
    [[ $rc == 3 ]] || fail "gpu-host.sh $step exited $rc here, not 3: $msg"
    grep -q "this script runs on a GPU host" <<< "$msg" || fail "gpu-host.sh $step gave no clear reason: $msg"
  done
  [[ ! -e "$tmp/host" ]] || fail "gpu-host.sh wrote to its host directory before refusing"
  ok "scripts/gpu-host.sh refuses this machine: $(head -n 1 <<< "$msg" | cut -c1-100)..."
fi
echo "gpu-kit-test: passed in $((SECONDS - start)) s" >&2
