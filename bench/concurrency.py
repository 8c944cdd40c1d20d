"""Concurrent writers and audited reads: `POST /v1/subjects` and the access report under
wrk at 1, 4, 5, 16 and 32 connections, on SQLite and PostgreSQL, one uvicorn worker.

Goal: progress at every concurrency, no errors (a `503` with `Retry-After` is counted
apart), no request near the old 30-second stall (p99 well under a second).
Run: `scripts/bench.sh concurrency` (or `.venv/bin/python -m bench.concurrency`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.common import drop_database, fresh_database, server, token

CONCURRENCY = (1, 4, 5, 16, 32)

# Each request gets its own email, so the writes are not all the same row; `done` prints
# the figures as one JSON line (wrk's own text output has no machine-readable form).
_WRITE_LUA = """
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"emails": ["bench%d-%d@example.se"], "records": '
    .. '[{"category": "note", "origin": "provided", "source": "bench", "data": {"text": "x"}}]}',
    math.random(1, 1000000000), n)
  return wrk.format("POST", "/v1/subjects", wrk.headers, body)
end
"""
_READ_LUA = """
request = function()
  return wrk.format("GET", "/v1/subjects/SUBJECT/access-report", wrk.headers)
end
"""
_COMMON_LUA = """
wrk.headers["Authorization"] = "Bearer TOKEN"
wrk.headers["Content-Type"] = "application/json"
local counts = {}
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p99_ms": %f, '
    .. '"timeouts": %d, "socket_errors": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(99) / 1000,
    summary.errors.timeout, summary.errors.connect + summary.errors.read
      + summary.errors.write, summary.errors.status))
end
"""


def run_wrk(base: str, lua: str, connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run; the figures its `done` hook printed."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        # --timeout above the old 30 s stall, so that a stalled request is seen as slow
        # rather than cut off by wrk's own 2 s default.
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "40s"]
        output = subprocess.run(
            [*command, "-s", script.name, base], capture_output=True, text=True, check=True
        ).stdout
    finally:
        Path(script.name).unlink()
    for line in output.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return result
    raise RuntimeError(output)


def run(backend: str, seconds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    bearer = token(["subjects:write", "rights:read"])
    try:
        for name in ("POST /v1/subjects", "GET access-report"):
            for connections in CONCURRENCY:
                # A fresh server per run: a stalled run must not hold up the next one.
                with server(url) as (base, _pid):
                    if name.startswith("GET"):
                        created = httpx.post(
                            base + "/v1/subjects",
                            json={"emails": ["bench-reader@example.se"]},
                            headers={"Authorization": f"Bearer {bearer}"},
                        )
                        created.raise_for_status()
                        body = _READ_LUA.replace("SUBJECT", created.json()["id"])
                    else:
                        body = _WRITE_LUA
                    result = run_wrk(
                        base, _COMMON_LUA.replace("TOKEN", bearer) + body, connections, seconds
                    )
                report(backend, name, connections, result)
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def report(backend: str, name: str, connections: int, result: dict[str, Any]) -> None:
    rps = result["requests"] / result["seconds"]
    errors = result["non_2xx"] + result["timeouts"] + result["socket_errors"]
    ok = result["requests"] > 0 and errors == 0 and result["p99_ms"] < 1000
    print(
        f"[{backend}] {name:<18} c={connections:<3} {rps:8.0f} req/s  "
        f"p99 {result['p99_ms']:8.1f} ms  errors {errors:<5} "
        f"(goal: > 0 req/s, no errors, p99 < 1 s) {'ok' if ok else 'MISSED'}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.seconds)


if __name__ == "__main__":
    main()
