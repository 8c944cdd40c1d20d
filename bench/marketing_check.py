"""Marketing check: one bulk call of 10,000 identifiers against 100,000 subjects, and
single-item throughput next to a bare FastAPI route, both with one uvicorn worker.

Targets (issue): bulk < 150 ms per call on SQLite; single-item >= 0.6 x the bare route.
Run: `scripts/bench.sh marketing` (or `.venv/bin/python -m bench.marketing_check`).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import drop_database, fresh_database, seed_subjects, server, token


def bulk(base: str, auth: dict[str, str], count: int, calls: int) -> list[float]:
    rng = random.Random(7)
    timings = []
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        for _ in range(calls + 1):  # the first call warms up
            emails = [f"person{rng.randrange(120_000)}@example.se" for _ in range(count // 2)]
            phones = [f"+46701{rng.randrange(120_000):06d}" for _ in range(count - count // 2)]
            started = time.perf_counter()
            response = client.post("/v1/marketing/check", json={"emails": emails, "phones": phones})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            assert len(response.json()["results"]) == count
    return timings[1:]


def wrk_rps(url: str, seconds: int, connections: int, lua: str | None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if lua:
            script.write(lua)
    if lua:
        command[1:1] = ["-s", script.name]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(output)


def httpx_rps(url: str, seconds: float, body: dict | None, headers: dict[str, str]) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    with httpx.Client(headers=headers) as client:
        while time.perf_counter() < deadline:
            if body is None:
                client.get(url)
            else:
                client.post(url, json=body)
            done += 1
    return done / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(args.backend, workdir)
    try:
        started = time.perf_counter()
        subject_ids = seed_subjects(url, args.subjects)
        print(
            f"seeded {args.subjects} subjects ({args.backend}) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        auth = {"Authorization": f"Bearer {token(['marketing:check'])}"}
        with server(url) as (base, _pid):
            timings = bulk(base, auth, args.items, args.calls)
            print(
                f"bulk check, {args.items} identifiers vs {args.subjects} subjects: "
                f"median {statistics.median(timings):.1f} ms, best {min(timings):.1f} ms, "
                f"worst {max(timings):.1f} ms over {len(timings)} calls (target < 150 ms)"
            )

            single = {"subject_ids": [str(subject_ids[12345 % len(subject_ids)])]}
            use_wrk = shutil.which("wrk") is not None
            if use_wrk:
                lua = (
                    'wrk.method = "POST"\n'
                    f"wrk.body = '{json.dumps(single)}'\n"
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.headers["Authorization"] = "{auth["Authorization"]}"\n'
                )
                ours = wrk_rps(base + "/v1/marketing/check", args.seconds, 16, lua)
            else:
                ours = httpx_rps(base + "/v1/marketing/check", args.seconds, single, auth)
        with server(url, app="bench.bare_app:app") as (bare_base, _pid):
            if use_wrk:
                bare = wrk_rps(bare_base + "/bare", args.seconds, 16, None)
            else:
                bare = httpx_rps(bare_base + "/bare", args.seconds, None, {})
        tool = "wrk -t1 -c16" if use_wrk else "httpx, one connection"
        print(
            f"single-item check: {ours:.0f} req/s; bare FastAPI route: {bare:.0f} req/s; "
            f"ratio {ours / bare:.2f} (target >= 0.6; one uvicorn worker, load by {tool})"
        )
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
