#!/usr/bin/env bash
# The OpenAPI document checked by an independent tool: schemathesis runs every phase
# (examples, coverage, fuzzing, stateful) with every check against a running service on
# a throwaway SQLite database, and fails on any failure not in the baseline
# (contract/schemathesis-baseline.json: rules JSON Schema cannot state, each with its
# reason). Webhook hosts are not resolved and nothing is delivered: no DNS lookups.
# Usage: scripts/ci-schemathesis.sh [extra schemathesis options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh dev >/dev/null

work="$(mktemp -d)"
port="$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export PRIVACY_DATA_DIR="$work" PRIVACY_DATABASE_URL="sqlite:///$work/privacy.db"
export PRIVACY_WEBHOOK_ALLOW_PRIVATE=true PRIVACY_DISPATCH_INTERVAL_SECONDS=0
export PRIVACY_PURGE_INTERVAL_SECONDS=0
# One token drives thousands of calls: no per-token rate limit here.
export PRIVACY_RATE_LIMIT=off
.venv/bin/privacy-api migrate >/dev/null
.venv/bin/privacy-api serve --host 127.0.0.1 --port "$port" >"$work/serve.log" 2>&1 &
server=$!
stop() {
    local status=$?
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap stop EXIT
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
token="$(.venv/bin/privacy-api token --tenant schemathesis --sub contract-check \
    --scope subjects:read subjects:write rights:read rights:write marketing:check \
    holds:write holds:read audit:read admin)"

started=$SECONDS
# The import's NDJSON body needs a serializer of ours (contract/hooks.py).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=contract.hooks
.venv/bin/schemathesis run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all --phases examples,coverage,fuzzing,stateful \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" --workers 1 --seed 20261125 \
    --suppress-health-check all \
    --baseline contract/schemathesis-baseline.json "$@"
echo "schemathesis: done in $((SECONDS - started)) s"
