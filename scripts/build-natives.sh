#!/usr/bin/env bash
# Builds llama.cpp's natives (libllama and the ggml backends) from the pinned source for this machine
# into the cache, where ./parley serve prefers them over the prebuilt ones.
#
#   scripts/build-natives.sh [--cuda] [--with-server]
#
#   (no flag)      CPU natives tuned to this CPU (-march=native)  -> <cache>/llama-3.22.1/local-cpu
#   --cuda         the CUDA backend too, for this machine's GPU     -> <cache>/llama-3.22.1/local-cuda
#   --with-server  also llama.cpp's own llama-server from the same build (the benchmark anchor)
#   --configure-only  run CMake's configure step and stop (a check that the source and options build)
#
# Environment:
#   PARLEY_CACHE          cache root (default ~/.cache/parley)
#   PARLEY_LLAMA_SRC      a llama.cpp source tree to build instead of the cache's clone (the GPU kit's)
#   PARLEY_CUDA_ARCH      CMAKE_CUDA_ARCHITECTURES (default: native, the GPU of this machine only)
#   PARLEY_BUILD_JOBS     parallel compile jobs (default: nproc)
#   PARLEY_CMAKE_ARGS     more CMake arguments, split on spaces (e.g. -DGGML_CUDA_FA_ALL_QUANTS=ON)
#
# Prints the natives directory on stdout; everything else goes to stderr. Compiling takes minutes (the
# CPU build: 95 s on 2 cores with ninja; the CUDA backend: far more): the build is incremental, so a
# run cut short resumes where it stopped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"

variant=cpu server=0 configure_only=0
for arg in "$@"; do
  case "$arg" in
    --cuda) variant=cuda ;;
    --with-server) server=1 ;;
    --configure-only) configure_only=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) parley_die "build-natives: unknown argument '$arg' (try --help)" ;;
  esac
done

command -v cmake >/dev/null || parley_die "build-natives: cmake is needed (Debian: apt-get install cmake)"
command -v g++ >/dev/null || parley_die "build-natives: g++ is needed (Debian: apt-get install g++)"
if [[ $variant == cuda ]]; then
  command -v nvcc >/dev/null || parley_die "build-natives: --cuda needs nvcc, CUDA's compiler (put the CUDA toolkit's bin on PATH)"
fi
[[ -n "${PARLEY_LLAMA_SRC:-}" ]] || "$here/scripts/fetch-natives.sh" >/dev/null
src=$(parley_llama_source)
root=$(parley_llama_root)
build="$root/build-natives-$variant"
out="$root/local-$variant"
jobs="${PARLEY_BUILD_JOBS:-$(nproc)}"

# Tuned to this CPU (GGML_NATIVE: -march=native). ggml refuses GGML_NATIVE with loadable backends
# (GGML_BACKEND_DL: its run-time CPU feature check needs a fixed feature list), so the backends are
# linked into libggml, which libllama brings along; NativeLibraries' backend scan then finds nothing
# more to load. On an AMX CPU, -march=native compiles ggml's AMX kernel in; GCC 12's _tile_loadconfig
# lets the compiler drop the tile configuration's stores and the kernel then dies with SIGILL, so
# every C++ file gets ldtilecfg-fix.h, which corrects that intrinsic (docs/benchmarks.md).
flags=(-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=ON -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
  -DLLAMA_BUILD_APP=OFF
  "-DCMAKE_CXX_FLAGS=-include $here/scripts/native/ldtilecfg-fix.h")
# shellcheck disable=SC2206 # a list of arguments, split on spaces by design
extra=(${PARLEY_CMAKE_ARGS:-})
targets=(llama)
if [[ $variant == cuda ]]; then
  flags+=(-DGGML_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${PARLEY_CUDA_ARCH:-native}")
  # ggml's CUDA backend links cuBLAS. A toolkit without it (some images carry only nvcc and the
  # runtime) may still have Python's nvidia-cublas wheel, which holds the same library and headers.
  toolkit=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")
  if ! compgen -G "$toolkit/lib64/libcublas.so*" >/dev/null && ! compgen -G "$toolkit/targets/*/lib/libcublas.so*" >/dev/null \
      && [[ " ${extra[*]} " != *" -DCUDA_cublas_LIBRARY="* ]]; then
    wheel=$(python3 -c 'import nvidia.cublas as c; print(list(c.__path__)[0])' 2>/dev/null || true)
    [[ -n "$wheel" ]] && compgen -G "$wheel/lib/libcublas.so.*" >/dev/null \
      || parley_die "build-natives: no cuBLAS in the CUDA toolkit at $toolkit, nor Python's nvidia-cublas package: ggml's CUDA backend links cuBLAS (install the toolkit's cuBLAS)"
    parley_say "build-natives: cuBLAS from Python's nvidia-cublas package in $wheel"
    flags+=("-DCUDA_cublas_LIBRARY=$(ls "$wheel"/lib/libcublas.so.* | head -n 1)" "-DCUDA_cublasLt_LIBRARY=$(ls "$wheel"/lib/libcublasLt.so.* | head -n 1)"
      "-DCMAKE_CUDA_FLAGS=-I$wheel/include")
  fi
  # It also links the driver's libcuda (virtual memory management); toolkits bring a stub to link
  # against, and where that is missing the driver's own library serves.
  if ! compgen -G "$toolkit/lib64/stubs/libcuda.so" >/dev/null && ! compgen -G "$toolkit/targets/*/lib/stubs/libcuda.so" >/dev/null \
      && [[ " ${extra[*]} " != *" -DCUDA_cuda_driver_LIBRARY="* ]]; then
    driver=$( { ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 / { print $NF; exit }'; ls /usr/local/nvidia/lib64/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null; } | head -n 1)
    [[ -n "$driver" ]] || parley_die "build-natives: no libcuda here (neither the toolkit's stub in $toolkit nor the NVIDIA driver's libcuda.so.1): install the NVIDIA driver"
    flags+=("-DCUDA_cuda_driver_LIBRARY=$driver")
  fi
else
  flags+=(-DGGML_CUDA=OFF)
fi
if [[ $server == 1 ]]; then
  # The web UI is left out (llama-server runs with --no-webui; fetching it needs the network).
  flags+=(-DLLAMA_BUILD_COMMON=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF)
  targets+=(llama-server)
else
  flags+=(-DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF)
fi

parley_say "build-natives: building $variant natives from $src in $build ($jobs jobs)"
# Ninja where there is one (faster, and it resumes a cut-short build cleanly); a configured build
# directory keeps its generator.
[[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null && flags+=(-G Ninja)
cmake -S "$src" -B "$build" "${flags[@]}" "${extra[@]}" >&2
if [[ $configure_only == 1 ]]; then
  parley_say "build-natives: configured $build"
  exit 0
fi
cmake --build "$build" --target "${targets[@]}" -j "$jobs" >&2

# Only the shared libraries, in a directory of their own: what NativeLibraries loads from.
rm -rf "$out.part"; mkdir -p "$out.part"
cp -P "$build"/bin/lib*.so* "$out.part/"
[[ -f "$out.part/libllama.so" ]] || parley_die "build-natives: the build made no libllama.so in $build/bin"
{
  echo "source: $src ($(cat "$root/src/llama.cpp.info.json" 2>/dev/null | tr -d '\n ' || echo 'no info'))"
  echo "compiler: $(g++ --version | head -n 1)"
  [[ $variant == cuda ]] && echo "nvcc: $(nvcc --version | tail -n 1); CUDA architectures: ${PARLEY_CUDA_ARCH:-native}"
  echo "cmake: ${flags[*]}"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
} > "$out.part/build-info.txt"
touch "$out.part/.complete"
rm -rf "$out"; mv "$out.part" "$out"
parley_say "build-natives: $variant natives in $out"
[[ $server == 1 ]] && parley_say "build-natives: llama-server at $build/bin/llama-server"
echo "$out"
