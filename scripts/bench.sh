#!/usr/bin/env bash
# Benchmarks (not tests): they print their numbers. Needs PostgreSQL like the tests.
# Usage: scripts/bench.sh [marketing|export|erasure|concurrency|load|all] [extra args for the benchmark]
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
    marketing) .venv/bin/python -m bench.marketing_check "$@" ;;
    export) .venv/bin/python -m bench.export "$@" ;;
    erasure) .venv/bin/python -m bench.erasure "$@" ;;
    concurrency) .venv/bin/python -m bench.concurrency "$@" ;;
    load) .venv/bin/python -m bench.load "$@" ;;
    all)
        .venv/bin/python -m bench.marketing_check
        .venv/bin/python -m bench.export
        .venv/bin/python -m bench.erasure
        .venv/bin/python -m bench.concurrency
        .venv/bin/python -m bench.load
        ;;
    *) echo "usage: scripts/bench.sh [marketing|export|erasure|concurrency|load|all]" >&2; exit 2 ;;
esac
