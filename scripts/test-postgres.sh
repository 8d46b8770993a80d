#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback for the test suite and print its URL.
#   export KBPORTAL_TEST_POSTGRES_URL="$(scripts/test-postgres.sh)"
# Installs Debian's postgresql if missing, runs the server as the `postgres` user when called
# as root, and is idempotent: a second call reuses the running cluster. Tests create (and drop)
# one database per test from this URL. Stop it with: scripts/test-postgres.sh stop
set -euo pipefail

PGDIR="${KBPORTAL_PG_DIR:-/tmp/kbportal-pg}"
PORT="${KBPORTAL_PG_PORT:-54329}"
DB="${KBPORTAL_PG_DB:-kbportal_test}"

if ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    echo "installing postgresql from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

# PostgreSQL refuses to run as root.
RUN=()
if [ "$(id -u)" = 0 ]; then
    RUN=(runuser -u postgres --)
fi
mkdir -p "$PGDIR"
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PGDIR"
fi

if [ "${1:-}" = stop ]; then
    "${RUN[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -m fast stop >&2 || true
    exit 0
fi

if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
    # Trust on loopback only: a throwaway cluster for tests, never for data that matters.
    "${RUN[@]}" "$BIN/initdb" -D "$PGDIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=trust >&2
fi
if ! "${RUN[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    # fsync off: the cluster is thrown away, and tests run several times faster without it.
    "${RUN[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR -c fsync=off -c max_connections=200" \
        start >&2
fi
if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB" >&2
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/$DB"
