#!/usr/bin/env bash
# Several Parley replicas on this machine behind HAProxy, sharing one PostgreSQL, until Ctrl-C.
#   scripts/replicas.sh [--replicas N] [--port P] [--database-url URL] [-- SERVE FLAGS...]
# HAProxy listens on P (default 8080; its stats page on P+324, 8404 by default), replicas on P+1..P+N,
# PostgreSQL (unless --database-url) on P+100 with its files under $TMPDIR/parley-replicas-UID/postgres.
# Each component is its own script: scripts/postgres.sh, scripts/replica.sh, scripts/haproxy.sh.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

replicas=2 port=8080 database_url="" serve_flags=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --replicas) replicas="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --database-url) database_url="$2"; shift 2 ;;
    --) shift; serve_flags=("$@"); break ;;
    *) parley_die "usage: scripts/replicas.sh [--replicas N] [--port P] [--database-url URL] [-- SERVE FLAGS...]" ;;
  esac
done
[[ "$replicas" =~ ^[1-9][0-9]?$ ]] || parley_die "--replicas: expected 1 to 99, got '$replicas'"

pids=() pg_dir=""
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "$pg_dir" ]] && "$HERE/postgres.sh" stop "$pg_dir"
  exit 0
}
trap stop_all INT TERM EXIT

if [[ -z "$database_url" ]]; then
  # Under the temporary directory: when run as root, the server runs as the postgres user, which must
  # reach it (it cannot enter /root).
  pg_dir="${TMPDIR:-/tmp}/parley-replicas-$(id -u)/postgres"
  database_url=$("$HERE/postgres.sh" start "$pg_dir" $((port + 100)))
  parley_say "PostgreSQL: $database_url"
fi
servers=()
for i in $(seq 1 "$replicas"); do
  "$HERE/replica.sh" "r$i" $((port + i)) --database-url "$database_url" "${serve_flags[@]}" &
  pids+=($!)
  servers+=("r$i=127.0.0.1:$((port + i))")
done
"$HERE/haproxy.sh" "127.0.0.1:$port" "127.0.0.1:$((port + 324))" "${servers[@]}" &
pids+=($!)
parley_say "router on http://127.0.0.1:$port (replicas start in the background; HAProxy sends to each once /health/ready answers)"
wait -n "${pids[@]}" || true
parley_say "a component stopped: stopping the others"
stop_all
