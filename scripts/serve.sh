#!/usr/bin/env bash
# One command from a fresh clone to a running service on the embedded SQLite default:
# creates .venv, installs, migrates ./data/privacy.db, and serves on http://127.0.0.1:8000.
# HOST, PORT and any PRIVACY_* variable (see README) can be set in the environment,
# e.g. PORT=8001 scripts/serve.sh. To start over with an empty database: rm -rf data
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
echo "== migrating the database"
.venv/bin/privacy-api migrate
cat <<MSG

Privacy Rights API: docs at http://127.0.0.1:${PORT:-8000}/docs (Ctrl-C stops it)
The privacy desk's console: http://localhost:${PORT:-8000}/console — in development, sign
in with the development secret: cat data/jwt-secret
Mint a development token in another terminal, e.g.:
  .venv/bin/privacy-api token --tenant care-of --sub crm \\
      --scope subjects:read subjects:write rights:read rights:write audit:read
Every command explains its options: .venv/bin/privacy-api <command> --help

MSG
exec .venv/bin/privacy-api serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
