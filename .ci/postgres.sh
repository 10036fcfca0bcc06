#!/usr/bin/env bash
# A private, throwaway PostgreSQL on loopback for the PostgreSQL store and cluster tests.
#
#   .ci/postgres.sh start   install (Debian packages) if missing, initdb if needed, start, wait
#                           until ready, and print the line to eval:
#                             export JFN_TEST_POSTGRES=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
#   .ci/postgres.sh stop    stop it (the data folder is kept for the next start)
#
# Both are idempotent. Progress goes to stderr and only the export line to stdout, so
#   eval "$(.ci/postgres.sh start)"
# works. JFN_PG_PORT (default 55432) and JFN_PG_DIR (default /tmp/jfn-pg) override the port
# and the data folder. Authentication is trust, on 127.0.0.1 only: never point this at data
# that matters. fsync is off for speed; commits still reach the kernel, so stopping the
# server (even with -m immediate) loses nothing that was committed.
set -euo pipefail

port=${JFN_PG_PORT:-55432}
data=${JFN_PG_DIR:-/tmp/jfn-pg}
dsn="postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable"

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { printf 'postgres.sh: FAIL: %s\n' "$*" >&2; exit 1; }

# bindir prints the newest installed server's bin folder, or nothing.
bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
    echo "$d"
  fi
}

# as_pg runs a command as the postgres user when we are root (the server refuses to run as
# root), from / so that it never trips over a working directory it cannot read.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

install() {
  if [ -n "$(bindir)" ]; then
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and installing it needs root (apt-get install postgresql)"
  say "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2 || die "apt-get update failed"
  apt-get install -y -q postgresql >&2 || die "apt-get install -y postgresql failed"
  [ -n "$(bindir)" ] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found"
}

ready() { "$1/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1; }

start() {
  install
  local bin
  bin=$(bindir)

  if ready "$bin"; then
    if [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      say "already running on 127.0.0.1:$port ($data)"
      echo "export JFN_TEST_POSTGRES=$dsn"
      return
    fi
    die "something else already answers on 127.0.0.1:$port; set JFN_PG_PORT to a free port"
  fi

  if [ ! -f "$data/PG_VERSION" ]; then
    say "initdb into $data ($("$bin/postgres" --version))"
    rm -rf "$data" # a half-made folder from an interrupted initdb
    mkdir -p "$data"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$data"
    fi
    chmod 700 "$data"
    as_pg "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale --auth=trust >/dev/null ||
      die "initdb failed"
    cat >"$data/pg_hba.conf" <<'EOF'
# Written by .ci/postgres.sh: trust, loopback IPv4 and the private socket only.
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    cat >>"$data/postgresql.conf" <<EOF

# Written by .ci/postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 200
fsync = off
full_page_writes = off
log_min_messages = warning
EOF
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$data/pg_hba.conf" "$data/postgresql.conf"
    fi
  fi

  say "starting on 127.0.0.1:$port"
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >&2 || {
    tail -n 30 "$data/server.log" >&2 || true
    die "pg_ctl start failed (log above, $data/server.log)"
  }
  for _ in $(seq 1 60); do
    if ready "$bin"; then
      say "ready"
      echo "export JFN_TEST_POSTGRES=$dsn"
      return
    fi
    sleep 0.5
  done
  tail -n 30 "$data/server.log" >&2 || true
  die "PostgreSQL did not become ready on 127.0.0.1:$port within 30 s"
}

stop() {
  local bin
  bin=$(bindir)
  if [ -z "$bin" ] || [ ! -f "$data/PG_VERSION" ]; then
    say "nothing to stop"
    return
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >&2 || die "pg_ctl stop failed"
  else
    say "not running"
  fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
