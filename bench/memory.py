"""Resident memory (RSS) of one serving process: idle after start, and after a minute of
load (wrk on `GET /v1/subjects/{id}` and `POST /v1/marketing/check`, alternating).

Goals (issue 13): < 100 MB idle, < 110 MB after a minute of load, on both databases.
Run: `scripts/bench.sh memory` (or `.venv/bin/python -m bench.memory`). To compare with
another checkout (e.g. `git worktree add /tmp/base main`), interleaved in the same run:
`scripts/bench.sh memory --baseline /tmp/base --rounds 3 --seconds 20` (medians).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import httpx

from bench.common import ROOT, drop_database, fresh_database, rss_kib, seed_subjects, server, token
from bench.table import Row

IDLE_GOAL_MB = 100
LOADED_GOAL_MB = 110


class Result(NamedTuple):
    idle_mb: float
    loaded_mb: float
    calls: int


def _wrk(url: str, seconds: int, lua: str) -> int:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    command = ["wrk", "-t1", "-c16", f"-d{seconds}s", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    for line in output.splitlines():
        if "requests in" in line:
            return int(line.split()[0])
    raise RuntimeError(output)


def measure(backend: str, load_seconds: int = 60, *, root: Path = ROOT) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    try:
        (subject_id,) = seed_subjects(url, 1)
        auth = f"Bearer {token(['subjects:read', 'marketing:check'])}"
        with server(url, root=root) as (base, pid):
            httpx.get(f"{base}/readyz", timeout=30)
            time.sleep(2)  # settled: the lifespan ran, nothing in flight
            idle = rss_kib(pid) / 1024
            read = f'wrk.headers["Authorization"] = "{auth}"\n'
            check = (
                'wrk.method = "POST"\n'
                f"wrk.body = '{json.dumps({'emails': ['person0@example.se']})}'\n"
                'wrk.headers["Content-Type"] = "application/json"\n' + read
            )
            calls, loaded = 0, idle
            rounds = max(1, load_seconds // 10)
            for i in range(rounds):
                if i % 2 == 0:
                    calls += _wrk(f"{base}/v1/subjects/{subject_id}", 10, read)
                else:
                    calls += _wrk(f"{base}/v1/marketing/check", 10, check)
                loaded = max(loaded, rss_kib(pid) / 1024)
        result = Result(idle, loaded, calls)
        label = backend if root == ROOT else f"{backend} {root}"
        print(
            f"[{label}] RSS of one serving process: {idle:.1f} MB idle, {loaded:.1f} MB "
            f"at most during {rounds * 10} s of load ({calls:,} calls) (goals < "
            f"{IDLE_GOAL_MB} MB idle, < {LOADED_GOAL_MB} MB loaded)"
        )
        return result
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def rows(backend: str) -> list[Row]:
    result = measure(backend)
    return [
        Row("RSS of one serving process, idle", result.idle_mb, "MB", f"< {IDLE_GOAL_MB} MB",
            result.idle_mb < IDLE_GOAL_MB),
        Row("RSS of one serving process, after a minute of load", result.loaded_mb, "MB",
            f"< {LOADED_GOAL_MB} MB", result.loaded_mb < LOADED_GOAL_MB),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured in turn")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        roots = [ROOT] if args.baseline is None else [args.baseline.resolve(), ROOT]
        results: dict[Path, list[Result]] = {root: [] for root in roots}
        for _ in range(args.rounds):
            for root in roots:
                results[root].append(measure(backend, args.seconds, root=root))
        if args.rounds > 1 or args.baseline is not None:
            for root, runs in results.items():
                idle = statistics.median(r.idle_mb for r in runs)
                loaded = statistics.median(r.loaded_mb for r in runs)
                print(f"[{backend}] {root}: median of {len(runs)}: {idle:.1f} MB idle, "
                      f"{loaded:.1f} MB loaded")  # fmt: skip


if __name__ == "__main__":
    main()
