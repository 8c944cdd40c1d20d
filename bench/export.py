"""Export (Art 20) of 100,000 records, JSON and CSV, through the running service.

Targets (issue): >= 50,000 records/s and peak RSS growth < 50 MB, both formats.
The server's RSS is sampled every 5 ms during each export.
Run: `scripts/bench.sh export` (or `.venv/bin/python -m bench.export`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import (
    PeakRss,
    drop_database,
    fresh_database,
    seed_records,
    seed_subjects,
    server,
    token,
)


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
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.records)


if __name__ == "__main__":
    main()
