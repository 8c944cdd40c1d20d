#!/usr/bin/env bash
# CI: the Helsinki profile GDPR API (/gdpr-api/v1/profiles/{id}) checked by the City of
# Helsinki's own tester, gdpr-api-tester 0.1.0 (PyPI). The tester is interactive: it
# starts an OIDC simulator (discovery and JWKS) on port 8888, mints RS256 tokens for it
# and reads commands on stdin. This script serves the API on a free port with a
# throwaway database, configured for the simulator as its issuer, seeds two profiles
# (one erasable, one with an invoice that Bokföringslagen 7 kap. 2 § keeps), drives the
# tester through query, dry-run delete, delete and the held profile's 403, and fails
# unless every verdict the tester prints is the expected one — and the register agrees.
#
# The 0.1.0 wheel pins 2022 versions of aiohttp/yarl, so it is installed with --no-deps
# into .venv-gdprapi beside current versions of what it imports (its own list lacks
# colorama, which it imports too). Its Keycloak mode nests the scopes in a list inside
# the list (`"scopes": [["gdprquery"]]`), which no Keycloak sends: the default
# (Tunnistamo) mode is used, and the Keycloak mode is only checked to be refused (401).
# Its port (8888) is fixed in 0.1.0: the script stops if something else listens there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

TESTER_PORT=8888
TESTER_VENV=.venv-gdprapi
TESTER_PACKAGES=(
    aioconsole==0.8.2 aiohttp==3.14.5 python-jose==3.5.0 rsa==4.9.1 python-dotenv==1.2.4
    colorama==0.4.6
)
AUDIENCE=https://api.hel.fi/auth/privacyapi
AUTHORIZATION_FIELD=https://api.hel.fi/auth
TENANT=helsinki

[ -x .venv/bin/privacy-api ] || scripts/bootstrap.sh dev

stamp="$TESTER_VENV/.installed-$(echo "gdpr-api-tester==0.1.0 ${TESTER_PACKAGES[*]}" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "== installing gdpr-api-tester 0.1.0 into $TESTER_VENV"
    rm -rf "$TESTER_VENV"
    # Quiet unless it fails (pip also reports the 0.1.0 pins it is told to ignore).
    if ! pip_log=$(
        "${PYTHON:-python3}" -m venv "$TESTER_VENV" 2>&1 &&
            "$TESTER_VENV/bin/python" -m pip install --disable-pip-version-check \
                --no-deps gdpr-api-tester==0.1.0 2>&1 &&
            "$TESTER_VENV/bin/python" -m pip install --disable-pip-version-check \
                "${TESTER_PACKAGES[@]}" 2>&1
    ); then
        echo "$pip_log" >&2
        echo "could not install gdpr-api-tester 0.1.0" >&2
        exit 1
    fi
    touch "$stamp"
fi

listening() {
    .venv/bin/python -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" \
        2>/dev/null
}
wait_for() {  # wait_for <what> <command...>: up to 30 s
    local what=$1
    shift
    for _ in $(seq 1 60); do
        "$@" && return 0
        sleep 0.5
    done
    echo "$what did not come up" >&2
    return 1
}

if listening "$TESTER_PORT"; then
    echo "port $TESTER_PORT is taken: gdpr-api-tester 0.1.0 serves its OIDC simulator there" >&2
    exit 1
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(.venv/bin/python -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
issuer="http://127.0.0.1:$TESTER_PORT/"  # the tester's ISSUER, as its tokens' `iss`

# The service, for the simulator's tokens (development: the simulator is plain http).
export PRIVACY_ENVIRONMENT=development
export PRIVACY_DATA_DIR="$work/data"
export PRIVACY_DATABASE_URL="sqlite:///$work/privacy.db"
export PRIVACY_DISPATCH_INTERVAL_SECONDS=0
export PRIVACY_LOG_LEVEL=WARNING
export PRIVACY_GDPR_API_ISSUER="$issuer"
export PRIVACY_GDPR_API_AUDIENCE="$AUDIENCE"
export PRIVACY_GDPR_API_TENANT="$TENANT"
export PRIVACY_GDPR_API_AUTHORIZATION_FIELD="$AUTHORIZATION_FIELD"
export PRIVACY_GDPR_API_QUERY_SCOPE=privacyapi.gdprquery
export PRIVACY_GDPR_API_DELETE_SCOPE=privacyapi.gdprdelete

mkdir -p "$work/data" "$work/tester"
(cd "$work" && "$root/.venv/bin/privacy-api" migrate >/dev/null)
(cd "$work" && exec "$root/.venv/bin/privacy-api" serve --host 127.0.0.1 --port "$port") \
    >"$work/server.log" 2>&1 &
server_pid=$!
wait_for "the service" listening "$port" || { cat "$work/server.log" >&2; exit 1; }

# Two profiles: P1 erasable, P2 with this year's invoice (kept seven years after it).
seed_token=$(.venv/bin/privacy-api token --tenant "$TENANT" --sub ci-gdprapi-seed \
    --scope subjects:read subjects:write rights:read audit:read)
export SEED_TOKEN=$seed_token BASE=$base
seeded=$(.venv/bin/python - <<'PY'
import datetime
import os
import uuid

import httpx

headers = {"Authorization": f"Bearer {os.environ['SEED_TOKEN']}"}
contact = {"category": "contact", "origin": "provided", "source": "crm",
           "data": {"name": "Aino Virtanen", "title": "CFO"}}
invoice = {"category": "sales_document", "origin": "provided", "source": "billing",
           "data": {"kind": "invoice", "number": "F-1", "amount": "100.00", "currency": "EUR",
                    "date": f"{datetime.date.today().year}-01-15"}}
organisation = {"category": "organisation", "origin": "provided", "source": "crm",
                "data": {"department": "Finance"}}
out = [str(uuid.uuid4())]
ids = []
for records in ([contact, organisation], [contact, invoice]):
    profile = str(uuid.uuid4())
    answer = httpx.post(
        f"{os.environ['BASE']}/v1/subjects",
        headers=headers,
        json={"emails": [f"{profile[:8]}@example.fi"],
              "external_refs": [{"system": "helsinki-profile", "id": profile}],
              "records": records},
    )
    answer.raise_for_status()
    out.append(profile)
    ids.append(answer.json()["id"])
print(*out, *ids)
PY
)
read -r user_uuid p1 p2 s1 s2 <<<"$seeded"
echo "== seeded: profile $p1 (erasable), profile $p2 (an invoice kept by law)"

# The tester's configuration (its .env keys), in its default (Tunnistamo) issuer mode.
tester_env=(
    ISSUER="$issuer"
    GDPR_API_AUDIENCE="$AUDIENCE"
    GDPR_API_AUTHORIZATION_FIELD="$AUTHORIZATION_FIELD"
    GDPR_API_QUERY_SCOPE=privacyapi.gdprquery
    GDPR_API_DELETE_SCOPE=privacyapi.gdprdelete
    GDPR_API_URL="$base/gdpr-api/v1/profiles/\$profile_id"
    PROFILE_ID="$p1"
    USER_UUID="$user_uuid"
)

commands() {
    # Commands only once the simulator listens and the service knows its keys: an
    # unsigned token naming the simulator's key makes the service fetch them (discovery,
    # then JWKS) and is refused — for its signature once they are known. No verdict
    # then depends on how fast the first fetch is.
    wait_for "the tester's OIDC simulator" listening "$TESTER_PORT" || return 1
    "$root/.venv/bin/python" - "$base/gdpr-api/v1/profiles/$p1" <<'PY' || return 1
import base64, json, sys, time

import httpx

header = json.dumps({"alg": "RS256", "kid": "gdpr-api-tester-key"}).encode()
unsigned = base64.urlsafe_b64encode(header).rstrip(b"=").decode() + ".e30.AA"
for _ in range(60):
    answer = httpx.get(sys.argv[1], headers={"Authorization": f"Bearer {unsigned}"}, timeout=10)
    if "signature does not verify" in answer.headers.get("www-authenticate", ""):
        sys.exit(0)
    time.sleep(0.5)
sys.exit("the service did not learn the simulator's keys")
PY
    printf '%s\n' \
        query "delete dryrun" delete query \
        "set PROFILE_ID=$p2" query "delete dryrun" delete \
        "set GDPR_API_AUDIENCE=https://api.hel.fi/auth/another" query \
        "set GDPR_API_AUDIENCE=$AUDIENCE" "set ISSUER_TYPE=keycloak" query \
        exit
}

echo "== driving gdpr-api-tester 0.1.0 (OIDC simulator on :$TESTER_PORT, API on :$port)"
commands | (cd "$work/tester" && exec env -i PATH="$PATH" HOME="$work/tester" "${tester_env[@]}" \
    timeout 120 "$root/$TESTER_VENV/bin/gdpr_api_tester") >"$work/tester.log" 2>&1 || {
    echo "gdpr-api-tester failed:" >&2
    cat "$work/tester.log" >&2
    exit 1
}

export TESTER_LOG="$work/tester.log" P1=$p1 P2=$p2 S1=$s1 S2=$s2 USER_UUID=$user_uuid
export AUDIT_TOKEN=$seed_token
.venv/bin/python - <<'PY'
"""Each verdict the tester printed, in order; then what the register holds."""
import json
import os
import re
import sys

import httpx

log = re.sub(r"\x1b\[[0-9;]*m", "", open(os.environ["TESTER_LOG"], encoding="utf-8").read())
p1, p2 = os.environ["P1"], os.environ["P2"]
blocks = log.split("Sending GDPR API request")[1:]

SUCCESS_DELETE = "Success. The service no longer contains personal data for the profile."
SUCCESS_DRY_RUN = (
    "Success. The service can do the needed so that it would no longer contain personal data "
    "for the profile."
)
NOTHING = "Success. There is no personal data related to the profile."
DENIED = "Deletion denied. Data can not be removed from the service."
WELL_FORMED = "(The errors are in the correct format)"
BAD_TOKEN = "Failure. Credentials in the request were missing or were invalid."

# (what, method, profile, dry run, status, verdicts the tester must print)
expected = [
    ("query P1", "GET", p1, False, 200, ["Success.", '"key": "SUBJECT"']),
    ("dry-run delete P1", "DELETE", p1, True, 204, [SUCCESS_DRY_RUN]),
    ("delete P1", "DELETE", p1, False, 204, [SUCCESS_DELETE]),
    ("query P1 again", "GET", p1, False, 204, [NOTHING]),
    ("query P2", "GET", p2, False, 200, ["Success.", '"key": "SALES_DOCUMENTS"']),
    ("dry-run delete P2 (held)", "DELETE", p2, True, 403, [DENIED, WELL_FORMED, '"fi"']),
    ("delete P2 (held)", "DELETE", p2, False, 403, [DENIED, WELL_FORMED, '"sv"']),
    ("query with another audience", "GET", p2, False, 401, [BAD_TOKEN]),
    ("query in 0.1.0's Keycloak mode", "GET", p2, False, 401, [BAD_TOKEN]),
]

failures = []
if len(blocks) != len(expected):
    failures.append(f"{len(blocks)} requests sent, {len(expected)} expected")
for block, (what, method, profile, dry_run, status, verdicts) in zip(blocks, expected):
    line = re.search(r"^(GET|DELETE) (\S+)$", block, re.M)
    seen = re.search(r"Response status code: (\d+)", block)
    problems = []
    if not line or line[1] != method or f"/profiles/{profile}" not in line[2]:
        problems.append(f"sent {line[0] if line else 'nothing'}")
    elif ("dry_run=true" in line[2]) != dry_run:
        problems.append("dry_run not as asked")
    if not seen or int(seen[1]) != status:
        problems.append(f"status {seen[1] if seen else 'none'}, expected {status}")
    problems += [f"no verdict {v!r}" for v in verdicts if v not in block]
    if status == 200 and "The response JSON:" in block:
        tree, _ = json.JSONDecoder().raw_decode(block[block.index("{", block.index("The response JSON:")):])
        refs = json.dumps(tree)
        if profile not in refs:
            problems.append("the tree does not name the profile")
    print(f"{'ok  ' if not problems else 'FAIL'} {what}: {status}" + (f" — {'; '.join(problems)}" if problems else ""))
    failures += [f"{what}: {p}" for p in problems]

# The register agrees: P1 erased, P2 untouched, each call a rights request and audited.
base = os.environ["BASE"]
headers = {"Authorization": f"Bearer {os.environ['AUDIT_TOKEN']}"}
s1 = httpx.get(f"{base}/v1/subjects/{os.environ['S1']}", headers=headers).json()
s2 = httpx.get(f"{base}/v1/subjects/{os.environ['S2']}", headers=headers).json()
kept = httpx.get(f"{base}/v1/subjects/{os.environ['S2']}/records", headers=headers).json()
requests = httpx.get(f"{base}/v1/rights-requests?limit=500", headers=headers).json()["items"]
events = httpx.get(f"{base}/v1/audit-events?limit=500", headers=headers).json()["items"]
calls = [(e["action"], e["status_code"]) for e in events if e["action"].startswith("gdpr_api.")]
checks = {
    "P1's subject is erased": s1["status"] == "erased",
    "P2's subject is untouched": s2["status"] == "active" and len(kept["items"]) == 2,
    "rights requests: 3 access answered, 1 erasure done, 1 refused": sorted(
        (r["type"], r["outcome"], r["verification_method"]) for r in requests
    ) == sorted(
        [("access", "fulfilled", "signed_in_account")] * 3
        + [("erasure", "fulfilled", "signed_in_account"), ("erasure", "refused", "signed_in_account")]
    ),
    "audited, the person as actor": calls == [
        ("gdpr_api.query", 200), ("gdpr_api.delete", 204), ("gdpr_api.delete", 204),
        ("gdpr_api.query", 204), ("gdpr_api.query", 200), ("gdpr_api.delete", 403),
        ("gdpr_api.delete", 403),
    ] and {e["actor"] for e in events if e["action"].startswith("gdpr_api.")} == {os.environ["USER_UUID"]},
}
for what, ok in checks.items():
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)
if failures:
    print("\n".join(["", "gdpr-api-tester verdicts not as expected:", *failures, "", "tester output:", log]), file=sys.stderr)
    sys.exit(1)
print("== the GDPR API passed gdpr-api-tester 0.1.0")
PY
