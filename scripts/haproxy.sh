#!/usr/bin/env bash
# HAProxy in front of Parley replicas, in the foreground, with deploy/haproxy/haproxy.cfg.
#   scripts/haproxy.sh BIND STATS_BIND NAME=ADDR [NAME=ADDR...]
#   scripts/haproxy.sh 127.0.0.1:8080 127.0.0.1:8404 r1=127.0.0.1:8081 r2=127.0.0.1:8082
# Needs Debian's haproxy package (apt-get install haproxy). Stop it with SIGTERM or Ctrl-C.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

[[ $# -ge 3 ]] || parley_die "usage: scripts/haproxy.sh BIND STATS_BIND NAME=ADDR [NAME=ADDR...]"
PATH="$PATH:/usr/sbin"
command -v haproxy >/dev/null 2>&1 || parley_die "haproxy is not installed (Debian: apt-get install haproxy)"
export PARLEY_HAPROXY_BIND="$1" PARLEY_HAPROXY_STATS="$2"
shift 2

config="$(mktemp -t parley-haproxy.XXXXXX.cfg)"
trap 'rm -f "$config"' EXIT
{
  cat "$HERE/../deploy/haproxy/haproxy.cfg"
  for replica in "$@"; do
    [[ "$replica" =~ ^([A-Za-z0-9._-]+)=([^[:space:]]+:[0-9]+)$ ]] || parley_die "expected NAME=HOST:PORT, got '$replica'"
    echo "    server ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
  done
} >"$config"
haproxy -q -c -f "$config" || parley_die "haproxy rejected the configuration (above)"
parley_say "haproxy on $PARLEY_HAPROXY_BIND (stats on http://$PARLEY_HAPROXY_STATS/stats) for $*"
# Not exec: the trap removes the generated file when haproxy ends; signals are passed on.
haproxy -db -f "$config" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' INT TERM
wait "$pid" || true
wait "$pid" 2>/dev/null || true
