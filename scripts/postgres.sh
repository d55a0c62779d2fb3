#!/usr/bin/env bash
# A PostgreSQL server for Parley replicas to share, in a directory of its own (Debian's postgresql package).
#   scripts/postgres.sh start DIR PORT   initialise DIR if empty, start on 127.0.0.1:PORT, create database
#                                        'parley', print its JDBC URL (for --database-url)
#   scripts/postgres.sh stop DIR
# Trust authentication on 127.0.0.1 only and fsync off: for trying replicas on one machine and for tests,
# not for keeping data. In production point --database-url at a managed PostgreSQL.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"

bin=$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1 | xargs -r dirname)
[[ -n "$bin" ]] || parley_die "PostgreSQL server binaries not found under /usr/lib/postgresql (Debian: apt-get install postgresql)"

# initdb and postgres refuse to run as root: run them as the 'postgres' user then.
as_owner() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd="${1:-}"; dir="${2:-}"
[[ -n "$dir" ]] || parley_die "usage: scripts/postgres.sh start DIR PORT | stop DIR"
case "$cmd" in
  start)
    port="${3:?usage: scripts/postgres.sh start DIR PORT}"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [[ $(id -u) == 0 ]]; then
      chown postgres:postgres "$dir"
      runuser -u postgres -- test -w "$dir" \
        || parley_die "the postgres user cannot reach $dir (a parent directory is closed to it): use a directory under /tmp"
    fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_owner "$bin/initdb" -D "$dir/data" -U parley -A trust -N -E UTF8 >"$dir/initdb.log" 2>&1 \
        || parley_die "initdb failed: see $dir/initdb.log"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null \
      || parley_die "PostgreSQL did not start: see $dir/log"
    if ! as_owner "$bin/psql" -h "$dir" -p "$port" -U parley -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'parley'" | grep -q 1; then
      as_owner "$bin/psql" -h "$dir" -p "$port" -U parley -d postgres -qc "CREATE DATABASE parley" >/dev/null
    fi
    echo "jdbc:postgresql://127.0.0.1:$port/parley?user=parley"
    ;;
  stop)
    [[ -f "$dir/data/postmaster.pid" ]] || exit 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    parley_die "usage: scripts/postgres.sh start DIR PORT | stop DIR"
    ;;
esac
