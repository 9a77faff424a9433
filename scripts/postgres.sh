#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the storage tests and prints its URL on stdout
# (installs Debian's postgresql first when root and missing). Safe to run again: it reuses the
# cluster, starts it only when it is down, and recreates the test database empty each time.
# Prints nothing (and says why on stderr) where PostgreSQL cannot be had; tests then use SQLite only.
set -euo pipefail
PORT=${TORCHCANVAS_PG_PORT:-54329}
DIR=${TORCHCANVAS_PG_DIR:-${TMPDIR:-/tmp}/torchcanvas-pg}
DB=torchcanvas_test
say() { echo "postgres.sh: $*" >&2; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing postgresql"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 \
      || { say "could not install postgresql"; exit 0; }
  else
    say "no PostgreSQL here and not root to install it"; exit 0
  fi
fi
BIN=$(pg_bin)
# initdb refuses to run as root: run the server as the postgres user then.
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
if [ ! -f "$DIR/PG_VERSION" ]; then
  as_pg "$BIN/initdb" -D "$DIR" -A trust -U postgres >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" status -D "$DIR" >/dev/null 2>&1; then
  as_pg "$BIN/pg_ctl" start -D "$DIR" -w -l "$DIR/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=on" >/dev/null \
    || { say "PostgreSQL did not start (see $DIR/server.log)"; exit 0; }
fi
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
echo "postgresql://postgres@127.0.0.1:$PORT/$DB"
