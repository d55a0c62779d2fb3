#!/usr/bin/env bash
# Lints Dockerfile.cuda with dockerfile-utils from npm (pinned; the linter behind VS Code's Docker
# support). Fails on any finding. No Docker engine is needed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v npx >/dev/null || { echo "lint-dockerfile: npx (Node.js/npm) is needed" >&2; exit 1; }
cd "$here"
status=0
out=$(npx --yes dockerfile-utils@0.16.3 lint Dockerfile.cuda 2>&1) || status=$?
findings=$(grep -v "npm warn" <<<"$out" || true)
if [[ $status -ne 0 || -n "$findings" ]]; then
  echo "${findings:-dockerfile-utils failed with status $status}" >&2
  exit 1
fi
echo "lint-dockerfile: Dockerfile.cuda is clean"
