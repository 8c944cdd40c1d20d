#!/usr/bin/env bash
# Benchmarks (not tests): they print their numbers. Needs PostgreSQL like the tests.
# Usage: scripts/bench.sh [hot|marketing|export|erasure|concurrency|load|import|workers|memory|flood|table|all] [extra args]
# `all` runs the benchmarks that are not goals of issue 13, then ends with ONE table of
# every goal of issue 13 beside its figure on SQLite and PostgreSQL (bench/table.py).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh dev
if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # wrk loads the server from C, so the client is not what is measured.
    apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; } || true
fi
which="${1:-all}"
shift || true
case "$which" in
    hot) .venv/bin/python -m bench.hot_paths "$@" ;;
    table) .venv/bin/python -m bench.table "$@" ;;
    marketing) .venv/bin/python -m bench.marketing_check "$@" ;;
    export) .venv/bin/python -m bench.export "$@" ;;
    erasure) .venv/bin/python -m bench.erasure "$@" ;;
    concurrency) .venv/bin/python -m bench.concurrency "$@" ;;
    load) .venv/bin/python -m bench.load "$@" ;;
    import) .venv/bin/python -m bench.import_ndjson "$@" ;;
    workers) .venv/bin/python -m bench.workers "$@" ;;
    memory) .venv/bin/python -m bench.memory "$@" ;;
    flood) .venv/bin/python -m bench.header_flood "$@" ;;
    all)
        .venv/bin/python -m bench.concurrency
        .venv/bin/python -m bench.load
        .venv/bin/python -m bench.table
        ;;
    *) echo "usage: scripts/bench.sh [hot|marketing|export|erasure|concurrency|load|import|workers|memory|flood|table|all]" >&2; exit 2 ;;
esac
