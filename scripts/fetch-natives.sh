#!/usr/bin/env bash
# Fetches the pinned prebuilt llama.cpp natives and the matching llama.cpp sources into the cache.
#
#   scripts/fetch-natives.sh          CPU natives + sources (headers, vocab GGUFs, chat templates)
#   scripts/fetch-natives.sh --cuda   also the CUDA 13 natives (143 MB)
#
# Environment:
#   PARLEY_CACHE        cache root (default: ${XDG_CACHE_HOME:-~/.cache}/parley)
#   PARLEY_OFFLINE_DIR  a directory holding the npm tarballs already fetched (for machines without
#                       the npm registry): node-llama-cpp-linux-x64-3.22.1.tgz,
#                       node-llama-cpp-linux-x64-cuda-3.22.1.tgz, node-llama-cpp-3.22.1.tgz
#                       (the names `npm pack` gives them). Their hashes are checked all the same.
#
# Prints the version directory on stdout when done; everything else goes to stderr.
set -euo pipefail

VERSION=3.22.1
# npm "dist.integrity" of each tarball at $VERSION. A bump of VERSION must bump these three.
declare -A INTEGRITY=(
  ["@node-llama-cpp/linux-x64"]="sha512-5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=="
  ["@node-llama-cpp/linux-x64-cuda"]="sha512-8rQCjyNNLZJUFit+YpjwlC4hwkKgOMIkB2wuycKBf8NU2O3ySKbiWZQ8aw9ku2nUTXjSnUIrE6KB88itduTBuA=="
  ["node-llama-cpp"]="sha512-bltIipuWmc123H7tMIgDGKSsSrhmhlQYeVUC48XTjVW7XGJJiJJyCdlTMzQ/LiWoPkGDpcL4FviDpgw7qfTiDw=="
)

want_cuda=0
for arg in "$@"; do
  case "$arg" in
    --cuda) want_cuda=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-natives: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

cache="${PARLEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}"
root="$cache/llama-$VERSION"
mkdir -p "$root/downloads"

die() { echo "fetch-natives: $*" >&2; exit 1; }

# npm pack's file name for a package: @scope/name -> scope-name-VERSION.tgz
tarball_name() { local n="${1#@}"; echo "${n//\//-}-$VERSION.tgz"; }

integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# Puts the verified tarball of package $1 in downloads/ and echoes its path.
fetch_tarball() {
  local pkg="$1" name dest
  name=$(tarball_name "$pkg")
  dest="$root/downloads/$name"
  if [[ ! -f "$dest" ]]; then
    if [[ -n "${PARLEY_OFFLINE_DIR:-}" ]]; then
      [[ -f "$PARLEY_OFFLINE_DIR/$name" ]] || die "PARLEY_OFFLINE_DIR=$PARLEY_OFFLINE_DIR has no $name (get it elsewhere with: npm pack $pkg@$VERSION)"
      cp "$PARLEY_OFFLINE_DIR/$name" "$dest.part"
    else
      command -v npm >/dev/null || die "npm is not installed: install Node.js/npm, or set PARLEY_OFFLINE_DIR to a directory with $name (made elsewhere by: npm pack $pkg@$VERSION)"
      echo "fetch-natives: npm pack $pkg@$VERSION" >&2
      local tmp; tmp=$(mktemp -d)
      if ! (cd "$tmp" && npm pack --silent "$pkg@$VERSION" >/dev/null 2>"$tmp/npm.err"); then
        cat "$tmp/npm.err" >&2; rm -rf "$tmp"
        die "could not fetch $pkg@$VERSION from the npm registry (no network?). Offline: set PARLEY_OFFLINE_DIR to a directory with $name"
      fi
      mv "$tmp/$name" "$dest.part"; rm -rf "$tmp"
    fi
    local got; got=$(integrity_of "$dest.part")
    if [[ "$got" != "${INTEGRITY[$pkg]}" ]]; then
      rm -f "$dest.part"
      die "integrity mismatch for $name: expected ${INTEGRITY[$pkg]}, got $got. Refusing to use it."
    fi
    mv "$dest.part" "$dest"
  fi
  echo "$dest"
}

# Unpacks the shared libraries of a natives package into $root/$2 (cpu or cuda).
install_libs() {
  local pkg="$1" variant="$2" tgz tmp
  [[ -f "$root/$variant/.complete" ]] && return 0
  tgz=$(fetch_tarball "$pkg")
  tmp=$(mktemp -d)
  tar xzf "$tgz" -C "$tmp"
  local bins; bins=$(find "$tmp/package/bins" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  [[ -n "$bins" ]] || die "$pkg has no bins/ directory: unexpected package layout"
  rm -rf "$root/$variant"; mkdir -p "$root/$variant"
  cp "$bins"/*.so* "$root/$variant/"
  [[ -f "$bins/_nlcBuildMetadata.json" ]] && cp "$bins/_nlcBuildMetadata.json" "$root/$variant/"
  rm -rf "$tmp"
  touch "$root/$variant/.complete"
  echo "fetch-natives: $variant natives in $root/$variant" >&2
}

# What install_sources takes; bump when that list changes so existing caches are refreshed.
SOURCES_LAYOUT=3

# Takes headers, vocab GGUFs, chat templates, GBNF grammars and the jinja test cases (with the JSON
# code they are written against) out of the git bundle.
install_sources() {
  [[ "$(cat "$root/src/.complete" 2>/dev/null)" == "$SOURCES_LAYOUT" ]] && return 0
  command -v git >/dev/null || die "git is needed to read llama/gitRelease.bundle: install git"
  local tgz tmp
  tgz=$(fetch_tarball node-llama-cpp)
  tmp=$(mktemp -d)
  tar xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
  git clone -q --no-checkout "$tmp/package/llama/gitRelease.bundle" "$tmp/llama.cpp" 2>/dev/null \
    || die "git could not read gitRelease.bundle from node-llama-cpp@$VERSION"
  (cd "$tmp/llama.cpp" && git -c advice.detachedHead=false checkout -q "$(git rev-parse 'HEAD^{commit}' 2>/dev/null || git for-each-ref --format='%(objectname)' | head -n 1)" -- \
      include ggml/include models grammars tests/test-jinja.cpp common/json.h common/json.cpp vendor/nlohmann)
  rm -rf "$root/src"; mkdir -p "$root/src/models" "$root/src/ggml" "$root/src/tests" "$root/src/common" "$root/src/vendor"
  cp -r "$tmp/llama.cpp/include" "$root/src/include"
  cp -r "$tmp/llama.cpp/ggml/include" "$root/src/ggml/include"
  cp "$tmp/llama.cpp/models"/ggml-vocab-*.gguf "$root/src/models/"
  cp -r "$tmp/llama.cpp/models/templates" "$root/src/models/templates"
  cp "$tmp/llama.cpp/tests/test-jinja.cpp" "$root/src/tests/"
  cp "$tmp/llama.cpp/common/json.h" "$tmp/llama.cpp/common/json.cpp" "$root/src/common/"
  cp -r "$tmp/llama.cpp/vendor/nlohmann" "$root/src/vendor/nlohmann"
  cp -r "$tmp/llama.cpp/grammars" "$root/src/grammars"
  cp "$tmp/package/llama/llama.cpp.info.json" "$root/src/"
  rm -rf "$tmp"
  echo "$SOURCES_LAYOUT" > "$root/src/.complete"
  echo "fetch-natives: llama.cpp sources in $root/src" >&2
}

command -v openssl >/dev/null || die "openssl is needed to check package integrity: install openssl"
install_libs "@node-llama-cpp/linux-x64" cpu
install_sources
if [[ $want_cuda == 1 ]]; then
  install_libs "@node-llama-cpp/linux-x64-cuda" cuda
fi
echo "$root"
