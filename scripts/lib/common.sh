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
