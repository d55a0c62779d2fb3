# Shared by ./parley and scripts/*.sh: finding a JDK >= 25, the cache, messages.
# shellcheck shell=bash

PARLEY_MIN_JAVA=25

parley_say() { echo "parley: $*" >&2; }
parley_die() { echo "parley: $*" >&2; exit 1; }

# Major version of the java binary in $1, or nothing.
_java_major() {
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n 1)
  [[ "$v" =~ ^1\.([0-9]+)$ ]] && v="${BASH_REMATCH[1]}"
  [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
}

# Sets JAVA_HOME (exported) to a JDK >= 25: JAVA_HOME if it is one, else the usual install places.
parley_find_java() {
  local candidates=() c major
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/lib/jvm/* /usr/java/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [[ -d "$c" ]] && candidates+=("$c")
  done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local best="" best_major=0
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    major=$(_java_major "$c/bin/java")
    [[ -n "$major" ]] || continue
    # JAVA_HOME wins when it qualifies; otherwise take the newest found.
    if [[ "$c" == "${JAVA_HOME:-}" && "$major" -ge $PARLEY_MIN_JAVA ]]; then best="$c"; break; fi
    if (( major >= PARLEY_MIN_JAVA && major > best_major )); then best="$c"; best_major=$major; fi
  done
  [[ -n "$best" ]] || parley_die "no JDK >= $PARLEY_MIN_JAVA found (looked at JAVA_HOME, /usr/lib/jvm, /opt/java, ~/.sdkman, ~/.jdks and the java on PATH): install one and/or set JAVA_HOME to it"
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}

parley_cache() { echo "${PARLEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}"; }

# The pinned llama.cpp version (node-llama-cpp's npm version; scripts/fetch-natives.sh pins it too) and its
# cache directory.
PARLEY_LLAMA_VERSION=3.22.1
parley_llama_root() { echo "$(parley_cache)/llama-$PARLEY_LLAMA_VERSION"; }

# Echoes a full llama.cpp source tree of the pinned version: $PARLEY_LLAMA_SRC when set (the GPU kit
# brings a trimmed copy), else <cache>/llama-<version>/llama.cpp, cloned once from the git bundle in
# node-llama-cpp's tarball (scripts/fetch-natives.sh fetches and verifies it).
parley_llama_source() {
  if [[ -n "${PARLEY_LLAMA_SRC:-}" ]]; then
    [[ -f "$PARLEY_LLAMA_SRC/CMakeLists.txt" ]] || parley_die "PARLEY_LLAMA_SRC=$PARLEY_LLAMA_SRC holds no llama.cpp source (no CMakeLists.txt)"
    echo "$PARLEY_LLAMA_SRC"; return 0
  fi
  local root src tmp
  root=$(parley_llama_root)
  src="$root/llama.cpp"
  if [[ ! -f "$src/CMakeLists.txt" ]]; then
    command -v git >/dev/null || parley_die "git is needed to read llama.cpp's source from the git bundle: install git"
    [[ -f "$root/downloads/node-llama-cpp-$PARLEY_LLAMA_VERSION.tgz" ]] || parley_die "no node-llama-cpp tarball in $root/downloads: run scripts/fetch-natives.sh"
    tmp=$(mktemp -d)
    tar xzf "$root/downloads/node-llama-cpp-$PARLEY_LLAMA_VERSION.tgz" -C "$tmp" package/llama/gitRelease.bundle
    rm -rf "$src"
    git clone -q "$tmp/package/llama/gitRelease.bundle" "$src" 2>/dev/null || { rm -rf "$tmp"; parley_die "git could not read the llama.cpp bundle"; }
    rm -rf "$tmp"
  fi
  echo "$src"
}
