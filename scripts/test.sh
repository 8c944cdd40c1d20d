#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs into .venv, makes sure
# PostgreSQL is up and Debian's Chromium is installed (the console's browser tests), then runs
# ruff, mypy and pytest on SQLite and PostgreSQL.
# Extra arguments go to pytest (e.g. scripts/test.sh -k erasure).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh dev
scripts/ensure-chromium.sh

pg_host="${PRIVACY_TEST_PG_HOST:-127.0.0.1}"
if ! .venv/bin/python -c "import socket,sys; socket.create_connection(('$pg_host', 5432), 2)" 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
        for _ in $(seq 1 30); do
            .venv/bin/python -c "import socket; socket.create_connection(('$pg_host', 5432), 1)" \
                2>/dev/null && break
            sleep 1
        done
    else
        echo "PostgreSQL is not reachable at $pg_host:5432 and pg_ctlcluster is not installed" >&2
        exit 1
    fi
fi

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest (SQLite and PostgreSQL)"
.venv/bin/pytest "$@"
