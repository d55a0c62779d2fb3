#!/usr/bin/env bash
# Prepares the GPU kit: everything a bare CUDA host (driver, nvcc, CMake; no Java, no Maven, no network)
# needs to run Parley's GPU checks and benchmark, small enough to travel (at most 64 MiB a transfer,
# the repository's own files included). On the GPU host, scripts/gpu-host.sh uses it.
#
#   scripts/gpu-kit.sh [--out DIR] [--no-package]
#
# DIR (default .gpu-kit, ignored by git) receives:
#   jdk.tar.xz                a JDK 25 runtime cut by jlink to the modules Parley's jars use (jdeps),
#                             packed (gpu-host.sh unpacks it into jdk/)
#   app/                      Parley's jars (server, bench) and the libraries they need, except
#   app-docs/                 the document-extraction libraries (Tika, POI, PDFBox, ...; files as context),
#                             apart so that each part travels beside the repository's files
#   llama.cpp-src.tar.xz      the pinned llama.cpp source, trimmed to what the CUDA build, libllama and
#                             llama-server need (no models, tests, docs or other GPU backends)
#   parley-src.tar.xz         what Parley reads from the pinned sources: headers, the Qwen vocab, chat
#                             templates, grammars
# and prints their sizes against the limit, and how to split the transfer when one cannot carry all.
# --no-package uses the jars already built (server/target, bench/target) instead of running mvn package.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"

LIMIT_BYTES=$((64 * 1024 * 1024))
out="$here/.gpu-kit" package=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --no-package) package=0; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) parley_die "gpu-kit: unknown argument '$1' (try --help)" ;;
  esac
done
say() { echo "gpu-kit: $*" >&2; }

parley_find_java
command -v jlink >/dev/null && command -v jdeps >/dev/null || parley_die "gpu-kit: jlink and jdeps are needed (a full JDK $PARLEY_MIN_JAVA)"
"$here/scripts/fetch-natives.sh" >/dev/null
root=$(parley_llama_root)
src=$(parley_llama_source)

if [[ $package == 1 ]]; then
  say "building Parley's jars (mvn package)"
  (cd "$here" && mvn -B -q --no-transfer-progress -DskipTests package -pl server,bench -am) >&2
fi
server_jar="$here/server/target/parley-server-0.1.0-SNAPSHOT.jar"
[[ -f "$server_jar" && -d "$here/bench/target/classes" ]] || parley_die "gpu-kit: no built jars in server/target and bench/target (run without --no-package)"

mkdir -p "$out"
rm -rf "$out/app" "$out/app-docs" "$out/jdk" "$out/jdk.tar.xz"
mkdir -p "$out/app" "$out/app-docs"

# app/: the server jar and its libraries, the bench classes (GpuCheck, EngineBench, LoadGen) as a jar,
# and the bench's own libraries except JMH, which only the JMH benchmarks use.
cp "$server_jar" "$here"/server/target/lib/*.jar "$out/app/"
jar --create --file "$out/app/parley-bench.jar" -C "$here/bench/target/classes" .
# artifact name without its version: guava-33.4.8-jre.jar -> guava
artifact() { basename "$1" .jar | sed -E 's/-[0-9][0-9A-Za-z.]*(-[A-Za-z0-9.]+)*$//'; }
for j in "$here"/bench/target/lib/*.jar; do
  case "$(basename "$j")" in jmh-*|jopt-simple-*|commons-math3-*) continue ;; esac
  # the server's version of a library wins: two versions on one classpath load whichever comes first
  compgen -G "$out/app/$(artifact "$j")-[0-9]*.jar" >/dev/null || cp "$j" "$out/app/"
done

# sqlite-jdbc carries its native library for every OS and CPU (12 MB); the kit keeps Linux x86-64's.
for j in "$out"/app/sqlite-jdbc-*.jar; do
  [[ -f "$j" ]] || continue
  python3 - "$j" <<'PY'
import os, sys, zipfile
jar = sys.argv[1]
with zipfile.ZipFile(jar) as src, zipfile.ZipFile(jar + ".part", "w", zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        name = item.filename
        if name.startswith("org/sqlite/native/") and not name.endswith("/") and "/Linux/x86_64/" not in name:
            continue
        dst.writestr(item, src.read(name))
os.replace(jar + ".part", jar)
PY
done

# app-docs/: the libraries only text extraction uses (Tika and what it brings); on the classpath after app/.
docs_jars=(tika-* poi-* pdfbox-* fontbox-* xmpbox-* jempbox-* bcprov-* bcpkix-* bcutil-* bcjmail-* xmlbeans-* commons-compress-*
  commons-math3-* commons-collections4-* jackcess-* jsoup-* commons-csv-* SparseBitSet-* curvesapi-* java-libpst-* apache-mime4j-*
  juniversalchardet-* jaxb-* txw2-* istack-commons-* angus-activation-* jakarta.activation-api-* jakarta.xml.bind-api-* picocli-*
  commons-fileupload2-* log4j-*)
for pattern in "${docs_jars[@]}"; do
  for j in "$out"/app/$pattern; do
    [[ -f "$j" ]] && mv "$j" "$out/app-docs/"
  done
done

# jdk.tar.xz: the modules jdeps finds in those jars, less javassist's hot-swap helpers (jdk.jdi,
# jdk.attach: a debugger's, never loaded here), plus jdk.unsupported, which libraries reach by
# reflection. jdk.jfr (for --jfr profiles) and the locale data are left out. Packed with xz rather
# than jlink's own per-resource compression: the result is a third smaller.
# jdeps reads the classes, not the jars: the module descriptors of some jars name optional modules
# that are not there (Helidon's Micrometer provider requires micrometer.registry.otlp), which it
# refuses to resolve.
classes=$(mktemp -d)
for j in "$out"/app/*.jar "$out"/app-docs/*.jar; do
  unzip -qo "$j" '*.class' -x 'META-INF/*' '*module-info.class' -d "$classes" 2>/dev/null || true
done
modules=$(jdeps --ignore-missing-deps --print-module-deps -q "$classes" | tr , '\n' | grep -vxE 'jdk\.jdi|jdk\.attach' | paste -sd,)
rm -rf "$classes"
[[ ",$modules," == *,jdk.unsupported,* ]] || modules="$modules,jdk.unsupported"
say "jlink modules: $modules"
jdk_tmp=$(mktemp -d)
jlink --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --output "$jdk_tmp/jdk"
tar -C "$jdk_tmp" -cf - jdk | xz -T0 -6 > "$out/jdk.tar.xz"
rm -rf "$jdk_tmp"

# llama.cpp-src.tar.xz: the pinned source minus what a CUDA build of libllama, the ggml backends and
# llama-server never reads. Rebuilt only when missing or older than this script.
tarball="$out/llama.cpp-src.tar.xz"
if [[ ! -f "$tarball" || "$tarball" -ot "$0" ]]; then
  say "packing the trimmed llama.cpp source"
  excluded_backends=(blas cann et hexagon hip metal musa opencl openvino rpc sycl virtgpu vulkan webgpu zdnn zendnn)
  excludes=(--exclude-vcs --exclude=./docs --exclude=./models --exclude=./tests --exclude=./examples --exclude=./gguf-py
    --exclude=./benches --exclude=./pocs --exclude=./media --exclude=./app --exclude=./skills --exclude=./ci --exclude=./conversion
    --exclude=./tools/ui/src --exclude=./tools/ui/tests --exclude=./tools/ui/static --exclude=./tools/ui/package-lock.json
    --exclude=./tools/server/tests --exclude=./tools/server/public* --exclude='*.md' --exclude='*.py' --exclude='*.png' --exclude='*.gguf')
  for b in "${excluded_backends[@]}"; do excludes+=("--exclude=./ggml/src/ggml-$b"); done
  tar -C "$src" "${excludes[@]}" -cf - . | xz -T0 -6 > "$tarball.part"
  mv "$tarball.part" "$tarball"
fi

# parley-src.tar.xz: what Parley itself reads from <cache>/llama-<version>/src (generated models use the
# Qwen vocab; the server renders chat templates from there).
tar -C "$root/src" -cf - .complete llama.cpp.info.json include ggml/include grammars models/templates models/ggml-vocab-qwen2.gguf \
  | xz -T0 -6 > "$out/parley-src.tar.xz"

cat > "$out/README.txt" <<EOF
Parley's GPU kit, made by scripts/gpu-kit.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo 'an unknown commit').
On the GPU host, from the repository root: scripts/gpu-host.sh all   (or build, check, bench; see its --help)
EOF

# Sizes: what travels is the repository's files (tracked, and untracked ones git does not ignore) plus
# the carried paths.
bytes() { du -sb "$1" | cut -f1; }
repo_bytes=$(cd "$here" && { git ls-files -z; git ls-files -z -o --exclude-standard; } | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
parts=(jdk.tar.xz app app-docs llama.cpp-src.tar.xz parley-src.tar.xz)
total=$repo_bytes
echo "GPU kit in $out (limit $(mib $LIMIT_BYTES) per transfer)"
printf '  %-24s %10s\n' "repository files" "$(mib "$repo_bytes")"
for p in "${parts[@]}"; do
  b=$(bytes "$out/$p"); total=$((total + b))
  printf '  %-24s %10s\n' "$p" "$(mib "$b")"
  (( repo_bytes + b <= LIMIT_BYTES )) || parley_die "gpu-kit: $p alone with the repository's files is over the limit: it cannot travel"
done
printf '  %-24s %10s\n' "total" "$(mib "$total")"
kit_rel=$(realpath -m --relative-to="$here" "$out")
if (( total <= LIMIT_BYTES )); then
  echo "fits in one transfer: carry [\"$kit_rel\"], then run scripts/gpu-host.sh all"
else
  # A carried path replaces the one there; paths not named stay on the held host between commands.
  first=$((repo_bytes + $(bytes "$out/llama.cpp-src.tar.xz") + $(bytes "$out/parley-src.tar.xz") + $(bytes "$out/app-docs")))
  second=$((repo_bytes + $(bytes "$out/jdk.tar.xz") + $(bytes "$out/app")))
  (( first <= LIMIT_BYTES && second <= LIMIT_BYTES )) \
    || parley_die "gpu-kit: the two transfers ($(mib "$first"), $(mib "$second")) do not both fit under the limit: regroup the parts"
  echo "over the limit in one transfer: split it over commands on one held host:"
  echo "  1. carry [\"$kit_rel/llama.cpp-src.tar.xz\", \"$kit_rel/parley-src.tar.xz\", \"$kit_rel/app-docs\"]; run scripts/gpu-host.sh build"
  echo "  2. carry [\"$kit_rel/jdk.tar.xz\", \"$kit_rel/app\"]; run scripts/gpu-host.sh check, then scripts/gpu-host.sh bench"
fi
