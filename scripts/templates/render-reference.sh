#!/usr/bin/env bash
# Regenerates the chat-template reference renders (needs python3 with jinja2 3.1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
llama="$("$here/scripts/fetch-natives.sh")"
python3 "$here/scripts/templates/render_reference.py" "$llama/src/models/templates" \
  "$here/scripts/templates/conversations.json" "$here/runtime/src/test/resources/chat-templates/reference.json"
