#!/usr/bin/env bash
# Installs the npm clients the server tests drive (exact versions: server/src/test/node/package.json and
# its lockfile, which records integrity hashes and no registry address) into the cache, in a directory
# named by the hash of those two files, once; later runs reuse it. Prints that directory.
# Never installs into the repository. Concurrent callers wait on a lock; a failed install leaves nothing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/common.sh
source "$here/scripts/lib/common.sh"
src="$here/server/src/test/node"
command -v npm >/dev/null || parley_die "node-clients: Node.js and npm are needed for the client tests (Debian: apt-get install nodejs npm)"
hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)
root="$(parley_cache)/node"
dir="$root/$hash"
if [[ ! -f "$dir/.installed" ]]; then
  mkdir -p "$root"
  exec 9>"$root/.lock"
  flock 9
  if [[ ! -f "$dir/.installed" ]]; then
    parley_say "installing the npm client test packages into $dir"
    tmp=$(mktemp -d "$root/.partial.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cp "$src/package.json" "$src/package-lock.json" "$tmp/"
    (cd "$tmp" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
    touch "$tmp/.installed"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    trap - EXIT
  fi
fi
echo "$dir"
