#!/usr/bin/env bash
# The test command of README's quick start and of CI: installs fupin with its test dependencies
# in .venv, starts a throwaway PostgreSQL server (so the PostgreSQL tests run too), runs pytest
# with any arguments given, and stops the server — also when the tests fail.
#
# The server: Debian's PostgreSQL (initdb, pg_ctl), on a free port on 127.0.0.1 and a temporary
# data folder, as a non-root user (postgres, when run as root). Without PostgreSQL on the
# machine the tests run on SQLite alone and its tests skip — except under CI, where that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/pip install -q -e '.[test,pg]'

pg_bin() {
  local found
  found="$(command -v "$1" 2>/dev/null || true)"
  if [ -z "$found" ]; then
    found="$(ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  echo "$found"
}

start_postgres() {
  local initdb pg_ctl port user
  initdb="$(pg_bin initdb)"
  pg_ctl="$(pg_bin pg_ctl)"
  if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
    echo "PostgreSQL is not installed (Debian: apt-get install postgresql); PostgreSQL tests skip" >&2
    return 1
  fi
  PG_DIR="$(mktemp -d /tmp/fupin-pg.XXXXXX)"
  port="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  as_user=()
  if [ "$(id -u)" = 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
    chown "$user" "$PG_DIR"
    as_user=(runuser -u "$user" --)
  fi
  "${as_user[@]}" "$initdb" -D "$PG_DIR/data" -U fupin --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
    "${as_user[@]}" "$initdb" -D "$PG_DIR/data" -U fupin --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1
  "${as_user[@]}" "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_STOP=("${as_user[@]}" "$pg_ctl" -D "$PG_DIR/data" -m immediate stop)
  .venv/bin/python - "$port" <<'PY'
import sys
import psycopg
with psycopg.connect(f"host=127.0.0.1 port={sys.argv[1]} user=fupin dbname=postgres", autocommit=True) as conn:
    conn.execute("CREATE DATABASE fupin_test")
PY
  export FUPIN_TEST_PG_URL="postgresql+psycopg://fupin@127.0.0.1:$port/fupin_test"
  echo "PostgreSQL for the tests: $FUPIN_TEST_PG_URL" >&2
}

stop_postgres() {
  if [ -n "${PG_STOP+x}" ]; then "${PG_STOP[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "${PG_DIR:-}" ]; then rm -rf "$PG_DIR"; fi
}
trap stop_postgres EXIT

if [ -z "${FUPIN_TEST_PG_URL:-}" ]; then
  if ! start_postgres && [ "${CI:-}" = true ]; then
    echo "CI: the PostgreSQL tests must run; no server could be started" >&2
    exit 1
  fi
fi

.venv/bin/pytest "$@"
