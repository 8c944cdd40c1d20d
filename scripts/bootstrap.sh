#!/usr/bin/env bash
# Create .venv and install the project (pinned by constraints.txt). Re-running is cheap:
# nothing is reinstalled unless pyproject.toml or constraints.txt changed, and an install
# with extras (scripts/test.sh installs `dev`) also serves a plain one (scripts/serve.sh),
# so the two scripts can alternate without reinstalling.
# Usage: scripts/bootstrap.sh [extras]   e.g. scripts/bootstrap.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is needed (found: $("$python" --version 2>&1))" >&2
    exit 1
fi
hash="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
stamp=".venv/.installed-$hash-${extras:-base}"
if [ -f "$stamp" ]; then
    exit 0
fi
if [ -z "$extras" ] && compgen -G ".venv/.installed-$hash-*" >/dev/null; then
    exit 0  # installed with extras: the base packages are there
fi

started=$SECONDS
if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    "$python" -m venv .venv
fi
echo "== installing the project${extras:+ with [$extras]} into .venv (the first time takes a minute)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
target="."
[ -n "$extras" ] && target=".[$extras]"
# One line per package as it goes (pip's errors go to stderr, unfiltered).
.venv/bin/python -m pip install --disable-pip-version-check --progress-bar off \
    -c constraints.txt -e "$target" |
    { grep --line-buffered -E '^(Collecting|Installing collected|Successfully)' || true; }
# The installed packages are now those of this hash: forget stamps of other versions.
find .venv -maxdepth 1 -name '.installed-*' ! -name ".installed-$hash-*" -delete
touch "$stamp"
echo "== installed in $((SECONDS - started)) s"
