"""Export (Art 20) of 100,000 records, JSON and CSV, through the running service; and
the access report (Art 15) of a subject with 10,000 records.

Targets (issue): >= 50,000 records/s and peak RSS growth < 50 MB, both formats; the
access report of 10,000 records p50 < 300 ms on both databases.
The server's RSS is sampled every 5 ms during each export.
Run: `scripts/bench.sh export` (or `.venv/bin/python -m bench.export`).
Before/after in one run: `scripts/bench.sh export --only access-report --baseline DIR`
(DIR: another checkout, e.g. `git archive main | tar -x -C DIR`), calls alternating.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.common import (
    ROOT,
    PeakRss,
    drop_database,
    fresh_database,
    seed_records,
    seed_subjects,
    server,
    token,
)
from bench.table import Row

REPORT_RECORDS = 10_000
REPORT_ROUNDS = 21
REPORT_GOAL_MS = 300


def access_report(
    backend: str,
    records: int = REPORT_RECORDS,
    rounds: int = REPORT_ROUNDS,
    baseline: Path | None = None,
) -> float:
    """p50 in ms of the access report (JSON) of a subject with `records` records, one
    call after another on a started service (after a warm-up call). With `baseline`
    (another checkout), that checkout is served beside on the same database and the
    calls alternate between the two, so both see the same machine."""
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    try:
        (subject_id,) = seed_subjects(url, 1)
        seed_records(url, subject_id, records)
        auth = {"Authorization": f"Bearer {token(['rights:read'])}"}
        path = f"/v1/subjects/{subject_id}/access-report"
        with ExitStack() as stack:
            roots = {"this": ROOT} if baseline is None else {"this": ROOT, "baseline": baseline}
            clients = {}
            for name, root in roots.items():
                base, _pid = stack.enter_context(server(url, root=root))
                clients[name] = stack.enter_context(
                    httpx.Client(base_url=base, headers=auth, timeout=300)
                )
                assert clients[name].get(path).status_code == 200  # warm up
            times: dict[str, list[float]] = {name: [] for name in clients}
            for _ in range(rounds):
                for name, client in clients.items():
                    started = time.perf_counter()
                    response = client.get(path)
                    times[name].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text
                    assert len(response.json()["records"]) == records
        for name, values in times.items():
            label = "" if baseline is None else f" ({name})"
            print(
                f"[{backend}] access report of {records:,} records{label}: "
                f"p50 {statistics.median(values):.0f} ms, min {min(values):.0f}, "
                f"max {max(values):.0f} over {rounds} calls (target p50 < {REPORT_GOAL_MS} ms)"
            )
        return statistics.median(times["this"])
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def rows(backend: str) -> list[Row]:
    p50 = access_report(backend)
    return [
        Row(
            f"access report, {REPORT_RECORDS:,} records (p50)",
            p50,
            "ms",
            f"< {REPORT_GOAL_MS} ms",
            p50 < REPORT_GOAL_MS,
        )
    ]


def run(backend: str, records: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database(backend, workdir)
    try:
        (subject_id,) = seed_subjects(url, 1)
        started = time.perf_counter()
        seed_records(url, subject_id, records)
        print(f"[{backend}] seeded {records} records in {time.perf_counter() - started:.1f} s")
        auth = {"Authorization": f"Bearer {token(['rights:read'])}"}
        with (
            server(url) as (base, pid),
            httpx.Client(base_url=base, headers=auth, timeout=300) as client,
        ):
            client.get(f"/v1/subjects/{subject_id}/export?format=json")  # warm up
            for fmt in ("json", "csv"):
                sink = Path(workdir) / f"export.{fmt}"
                with PeakRss(pid) as rss:
                    started = time.perf_counter()
                    with (
                        client.stream(
                            "GET", f"/v1/subjects/{subject_id}/export?format={fmt}"
                        ) as response,
                        sink.open("wb") as out,
                    ):
                        assert response.status_code == 200
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                    elapsed = time.perf_counter() - started
                if fmt == "json":
                    count = len(json.loads(sink.read_text())["records"])
                else:
                    count = len(
                        {
                            line.split(",", 1)[0]
                            for line in sink.read_text().splitlines()[1:]
                            if line and not line.startswith(",")
                        }
                    )
                assert count == records, (fmt, count)
                growth = (rss.peak - rss.start) / 1024
                print(
                    f"[{backend}] export {fmt}: {records} records in {elapsed:.2f} s = "
                    f"{records / elapsed:,.0f} records/s, {sink.stat().st_size / 1e6:.1f} MB, "
                    f"server peak RSS growth {growth:.1f} MB (targets >= 50,000/s, < 50 MB)"
                )
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--only", choices=["export", "access-report"], default=None)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git archive main | tar -x -C DIR`) whose access "
        "report is timed beside, calls alternating",
    )
    parser.add_argument("--rounds", type=int, default=REPORT_ROUNDS)
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        if args.only in (None, "access-report"):
            access_report(backend, rounds=args.rounds, baseline=args.baseline)
        if args.only in (None, "export"):
            run(backend, args.records)


if __name__ == "__main__":
    main()
