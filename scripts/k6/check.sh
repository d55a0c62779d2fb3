#!/usr/bin/env bash
# k6 is not installable here: check the scripts' JavaScript syntax with Node (imports from k6/* are
# resolved by k6 at run time, not by this check).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for f in *.js; do
  node --check "$f"
done
echo "k6 scripts: syntax ok"
