"""`POST /v1/subjects/import` through the running service (one uvicorn worker).

Each line: an email, a phone, an external reference and one contact record, imported into
a copy of the seeded database (`bench.seeding`: 1,000,000 subjects on PostgreSQL, 100,000
on SQLite), where a tenant's contacts usually land and where a lookup whose plan scans
the tenant shows at once. The body is
written to a file first and streamed from it in 64 KiB chunks (chunked transfer), so the
client costs the shared cores little. Measures subjects/s of a first import, the time of
the same import repeated (every line `unchanged`), and the server's peak RSS growth.

Goals (issue 13): >= 5,000 subjects/s on PostgreSQL with one worker; memory flat for
1,000,000 lines (`--lines 1000000`: the growth must not grow with the lines).
Run: `scripts/bench.sh import` (or `.venv/bin/python -m bench.import_ndjson`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from bench.common import PeakRss, server, token
from bench.seeding import drop, seeded_database
from bench.table import Row

CHUNK = 64 * 1024
SUBJECTS = {"sqlite": 100_000, "postgresql": 1_000_000}  # already in the database
GOAL_PER_SECOND = 5_000
# "Flat": a 1,000,000-line import may grow the server by no more than this, and the
# repeated import (as many lines again, after the first has filled the caches of
# canonical identifiers, 65,536 each) by no more than REPEAT_MB: what grows with lines.
FLAT_MB = 50
REPEAT_MB = 10


def write_body(path: Path, lines: int, *, offset: int = 0) -> int:
    with path.open("w", encoding="utf-8") as out:
        for i in range(offset, offset + lines):
            out.write(
                json.dumps(
                    {
                        "emails": [f"import{i}@example.se"],
                        "phones": [f"+4673{i:07d}"],
                        "external_refs": [{"system": "crm", "id": f"C-{i}"}],
                        "records": [
                            {
                                "category": "contact",
                                "origin": "provided",
                                "source": "crm",
                                "data": {
                                    "name": f"Person {i}",
                                    "email": f"import{i}@example.se",
                                    "phone": f"+4673{i:07d}",
                                },
                            }
                        ],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path.stat().st_size


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as body:
        while chunk := body.read(CHUNK):
            yield chunk


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (on a shared machine, wall time
    measures the neighbours too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Result(NamedTuple):
    lines: int
    first_cpu_s: float
    first_s: float
    repeat_s: float
    growth_mb: float
    start_mb: float
    repeat_growth_mb: float  # peak growth during the repeated import


def measure(backend: str, lines: int) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = seeded_database(backend, SUBJECTS[backend]).url
    body = workdir / "import.ndjson"
    try:
        size = write_body(body, lines)
        headers = {
            "Authorization": f"Bearer {token(['subjects:write'])}",
            "Content-Type": "application/x-ndjson",
        }
        with server(url) as (base, pid), httpx.Client(base_url=base, timeout=3600) as client:
            # Warm up (imports, connections) with a few lines of another range.
            warm = workdir / "warm.ndjson"
            write_body(warm, 100, offset=9_000_000)
            warmed = client.post("/v1/subjects/import", content=warm.read_bytes(), headers=headers)
            assert warmed.status_code == 200 and warmed.json()["created"] == 100, warmed.text
            times = []
            with PeakRss(pid) as rss:
                for expected in ("created", "unchanged"):
                    started, cpu = time.perf_counter(), cpu_seconds(pid)
                    response = client.post(
                        "/v1/subjects/import", content=_chunks(body), headers=headers
                    )
                    times.append(time.perf_counter() - started)
                    if expected == "created":
                        first_cpu = cpu_seconds(pid) - cpu
                        first_peak = rss.peak
                    assert response.status_code == 200, response.text
                    answer: dict[str, Any] = response.json()
                    assert answer[expected] == lines and answer["failed_count"] == 0, answer
        result = Result(
            lines,
            first_cpu,
            times[0],
            times[1],
            (rss.peak - rss.start) / 1024,
            rss.start / 1024,
            (rss.peak - first_peak) / 1024,
        )
        print(
            f"[{backend}] import of {lines:,} lines ({size / 1e6:.0f} MB) beside "
            f"{SUBJECTS[backend]:,} subjects: "
            f"{lines / result.first_s:,.0f} subjects/s ({result.first_s:.1f} s; the server's "
            f"CPU time {result.first_cpu_s:.1f} s = {lines / result.first_cpu_s:,.0f} "
            "subjects per CPU-second, the database's not counted); repeated "
            f"(all unchanged): {lines / result.repeat_s:,.0f} lines/s; server RSS "
            f"{result.start_mb:.0f} MB at the start, peak growth {result.growth_mb:.1f} MB, "
            f"{result.repeat_growth_mb:.1f} MB of it during the repeat "
            f"(goals: >= {GOAL_PER_SECOND:,}/s on PostgreSQL, memory flat)"
        )
        return result
    finally:
        drop(url)
        shutil.rmtree(workdir, ignore_errors=True)


def rows(backend: str, lines: int = 100_000) -> list[Row]:
    result = measure(backend, lines)
    rate = result.lines / result.first_s
    return [
        Row(
            f"import NDJSON, {result.lines:,} subjects (1 worker)",
            rate,
            "subjects/s",
            f"≥ {GOAL_PER_SECOND:,}/s (PG)",
            rate >= GOAL_PER_SECOND if backend == "postgresql" else None,
        ),
        Row(
            f"import NDJSON, server RSS growth over {result.lines:,} lines",
            result.growth_mb,
            "MB",
            f"flat (< {FLAT_MB} MB)",
            result.growth_mb < FLAT_MB,
        ),
        Row(
            f"import NDJSON, server RSS growth over {result.lines:,} lines more (repeat)",
            result.repeat_growth_mb,
            "MB",
            f"flat (< {REPEAT_MB} MB)",
            result.repeat_growth_mb < REPEAT_MB,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        for row in rows(backend, args.lines):
            print(f"  {row.goal_name}: {row.figure:,.1f} {row.unit} (goal {row.goal})")


if __name__ == "__main__":
    main()
