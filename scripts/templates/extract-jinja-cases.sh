#!/usr/bin/env bash
# Regenerates the test-jinja corpus (needs g++ and python3 with jinja2 3.1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
llama="$("$here/scripts/fetch-natives.sh")"
python3 "$here/scripts/templates/extract_jinja_cases.py" "$llama/src" "$llama/cpu" \
  "$here/runtime/src/test/resources/chat-templates/test-jinja-cases.json"
