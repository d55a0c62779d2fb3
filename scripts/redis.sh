#!/usr/bin/env bash
# A Redis server for the shared KV tier (--kv-shared redis://...), in a directory of its own
# (Debian's redis-server package).
#   scripts/redis.sh start DIR PORT [MAXMEMORY]   start on 127.0.0.1:PORT (no persistence; MAXMEMORY such
#                                                 as 64mb evicts keys, allkeys-lru), print its URL
#   scripts/redis.sh stop DIR                     SIGKILL (a store that dies, for the fault tests)
# For trying replicas on one machine and for tests. In production use a managed Redis or Valkey.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

command -v redis-server >/dev/null 2>&1 || parley_die "redis-server is not installed (Debian: apt-get install redis-server)"

cmd="${1:-}"; dir="${2:-}"
[[ -n "$dir" ]] || parley_die "usage: scripts/redis.sh start DIR PORT [MAXMEMORY] | stop DIR"
case "$cmd" in
  start)
    port="${3:?usage: scripts/redis.sh start DIR PORT [MAXMEMORY]}"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    args=(--bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/log"
      --save "" --appendonly no --protected-mode yes)
    [[ -n "${4:-}" ]] && args+=(--maxmemory "$4" --maxmemory-policy allkeys-lru)
    redis-server "${args[@]}" || parley_die "redis-server did not start: see $dir/log"
    for _ in $(seq 1 100); do
      if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "redis://127.0.0.1:$port/0"
        exit 0
      fi
      sleep 0.05
    done
    parley_die "redis-server did not answer on 127.0.0.1:$port: see $dir/log"
    ;;
  stop)
    [[ -f "$dir/redis.pid" ]] || exit 0
    pid=$(cat "$dir/redis.pid")
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    rm -f "$dir/redis.pid"
    ;;
  *)
    parley_die "usage: scripts/redis.sh start DIR PORT [MAXMEMORY] | stop DIR"
    ;;
esac
