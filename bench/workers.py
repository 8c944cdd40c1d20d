"""`privacy-api serve --workers 2` against one worker: `GET /v1/subjects/{id}` driven by
wrk, in interleaved rounds (1, 2, 1, 2, ...) so that a neighbour's load on the shared
machine falls on both alike; the ratio of the medians is the figure.

Goal (issue 13): two workers serve >= 1.7 x the single-worker rate. After the runs the
two-worker service's `/metrics` must count every call wrk made (multiprocess mode).
Run: `scripts/bench.sh workers` (or `.venv/bin/python -m bench.workers`).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import httpx

from bench.common import drop_database, fresh_database, seed_subjects, server, token
from bench.table import Row

GOAL = 1.7
ROUTE = "/v1/subjects/{subject_id}"
COUNTED = re.compile(
    r'^privacy_http_requests_total\{method="GET",route="/v1/subjects/\{subject_id\}",'
    r'status="200"\} (\S+)$',
    re.M,
)


def wrk(url: str, auth: str, seconds: int, connections: int) -> tuple[float, int]:
    """Requests/s and requests completed."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.headers["Authorization"] = "{auth}"\n')
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    rate = float(re.search(r"^Requests/sec:\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"^\s*(\d+) requests in", output, re.M).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} calls failed:\n{output}")
    return rate, done


class Result(NamedTuple):
    one: list[float]
    two: list[float]
    counted_ok: bool

    @property
    def ratio(self) -> float:
        return statistics.median(self.two) / statistics.median(self.one)


def measure(backend: str, rounds: int = 3, seconds: int = 8, connections: int = 32) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    try:
        (subject_id,) = seed_subjects(url, 1)
        auth = f"Bearer {token(['subjects:read'])}"
        path = ROUTE.format(subject_id=subject_id)
        rates: dict[int, list[float]] = {1: [], 2: []}
        counted_ok = True
        for _ in range(rounds):
            for workers in (1, 2):
                with server(url, workers=workers) as (base, _pid):
                    for _ in range(40):  # every worker started and warm
                        httpx.get(base + path, headers={"Authorization": auth}, timeout=30)
                    rate, done = wrk(base + path, auth, seconds, connections)
                    rates[workers].append(rate)
                    if workers == 2:
                        text = httpx.get(base + "/metrics", timeout=30).text
                        found = COUNTED.search(text)
                        counted = float(found.group(1)) if found else 0.0
                        # The warm-up's 40 calls, then every call wrk completed (or
                        # cut off at the end, counted when it finished).
                        counted_ok &= counted >= 40 + done
        result = Result(rates[1], rates[2], counted_ok)
        print(
            f"[{backend}] GET {ROUTE}: one worker {statistics.median(result.one):,.0f} req/s, "
            f"two workers {statistics.median(result.two):,.0f} req/s (medians of "
            f"{rounds} interleaved rounds of {seconds} s, wrk -t2 -c{connections}): "
            f"{result.ratio:.2f} x (goal >= {GOAL}); /metrics counted every call across "
            f"workers: {'yes' if counted_ok else 'NO'}"
        )
        return result
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def rows(backend: str) -> list[Row]:
    result = measure(backend)
    return [
        Row(
            "--workers 2 / one worker (GET /v1/subjects/{id})",
            result.ratio,
            "x",
            f"≥ {GOAL} x",
            result.ratio >= GOAL,
        ),
        Row(
            "--workers 2: /metrics counts every worker's calls",
            1.0 if result.counted_ok else 0.0,
            "(1 = yes)",
            "= 1",
            result.counted_ok,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (scripts/bench.sh installs it)")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        measure(backend, rounds=args.rounds, seconds=args.seconds)


if __name__ == "__main__":
    main()
