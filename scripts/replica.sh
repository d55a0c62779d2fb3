#!/usr/bin/env bash
# One Parley replica, in the foreground: ./parley serve with a replica name and a port.
#   scripts/replica.sh NAME PORT [SERVE FLAGS...]
#   scripts/replica.sh r1 8081 --database-url jdbc:postgresql://127.0.0.1:5432/parley?user=parley
# The name comes back in the x-parley-replica response header. Replicas that keep threads must share
# one PostgreSQL (--database-url); each keeps its own KV cache.
# PARLEY_CLASSPATH (set by the tests) runs the server from that class path instead of the built jar.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

[[ $# -ge 2 ]] || parley_die "usage: scripts/replica.sh NAME PORT [SERVE FLAGS...]"
name="$1" port="$2"
shift 2
if [[ -n "${PARLEY_CLASSPATH:-}" ]]; then
  parley_find_java
  exec java --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx512m \
    -Djava.util.logging.config.file="$HERE/logging.properties" \
    -cp "$PARLEY_CLASSPATH" dev.parley.server.Main --replica-name "$name" --port "$port" "$@"
fi
exec "$HERE/../parley" serve --replica-name "$name" --port "$port" "$@"
