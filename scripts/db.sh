#!/usr/bin/env bash
# Makes a PostgreSQL server available to `make run` and `make test`.
#
#   scripts/db.sh url    print the server URL (postgres://user@host:port/postgres)
#   scripts/db.sh stop   stop the throwaway cluster, if this script started one
#
# Order of preference:
#   1. $DATABASE_URL when set (its database part is replaced by the caller);
#   2. a server answering on 127.0.0.1:5432 as user postgres (trust auth);
#   3. a throwaway cluster of our own under target/pg, made with the system's
#      PostgreSQL binaries (installed with apt-get when missing), listening on
#      127.0.0.1 only, on the first free port from 5433.
# INBOX_DB_FORCE_THROWAWAY=1 skips step 2 (to test step 3 on a machine that
# has a server).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/target/pg"
data="$dir/data"

log() { printf 'db.sh: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
    log "no PostgreSQL binaries found; installing them with apt-get"
    local sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql postgresql-contrib >&2
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  printf '%s\n' "$bin"
}

# initdb and postgres refuse to run as root: run them as an unprivileged user.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    local user=postgres
    if ! id "$user" >/dev/null 2>&1; then
      user=inbox-pg
      id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    chown -R "$user" "$dir"
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

throwaway_url() {
  local bin port
  bin="$(pg_bin)"
  mkdir -p "$dir"
  if [[ -f "$dir/port" ]] && port_open "$(cat "$dir/port")"; then
    printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$(cat "$dir/port")"
    return
  fi
  if [[ ! -f "$data/PG_VERSION" ]]; then
    log "creating a throwaway PostgreSQL cluster in $data"
    rm -rf "$data"
    mkdir -p "$data"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  port=5433
  while port_open "$port"; do port=$((port + 1)); done
  log "starting it on 127.0.0.1:$port"
  as_owner "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=200" >/dev/null
  printf '%s\n' "$port" >"$dir/port"
  printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$port"
}

case "${1:-url}" in
  url)
    if [[ -n "${DATABASE_URL:-}" ]]; then
      printf '%s\n' "$DATABASE_URL"
    elif [[ "${INBOX_DB_FORCE_THROWAWAY:-0}" != 1 ]] && port_open 5432; then
      printf 'postgres://postgres@127.0.0.1:5432/postgres\n'
    else
      throwaway_url
    fi
    ;;
  stop)
    if [[ -f "$data/postmaster.pid" ]]; then
      log "stopping the throwaway cluster"
      as_owner "$(pg_bin)/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
      rm -f "$dir/port"
    fi
    ;;
  *)
    echo "usage: $0 url|stop" >&2
    exit 2
    ;;
esac
