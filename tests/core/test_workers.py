"""`privacy-api serve --workers 2`: both workers serve, and `/metrics` adds them up."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import child_env
from tests.core.test_serve import free_port

CLI = [sys.executable, "-m", "app.cli"]
HEALTHZ = re.compile(
    r'^privacy_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$', re.M
)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """(base URL, metrics directory) of a service with two worker processes."""
    workdir = tmp_path_factory.mktemp("workers")
    metrics_dir = workdir / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"a previous run's file")
    env = child_env(
        HOME=str(workdir),
        PRIVACY_DISPATCH_INTERVAL_SECONDS="0",
        PRIVACY_RATE_LIMIT="off",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    subprocess.run([*CLI, "migrate"], cwd=workdir, env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "2"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)
        yield base, metrics_dir
    finally:
        server.terminate()
        server.wait(timeout=30)


def healthz_count(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    found = HEALTHZ.search(text)
    return float(found.group(1)) if found else 0.0


def test_metrics_add_up_over_both_workers(two_workers: tuple[str, Path]) -> None:
    base, metrics_dir = two_workers
    assert not (metrics_dir / "counter_1.db").exists()  # emptied at start
    sent = 0
    pids: set[str] = set()
    # New connections from several threads at once until both workers have served some
    # (each counts into files named after its process id; the second may still be
    # starting when the first answers).
    deadline = time.monotonic() + 120

    def call(_: int) -> int:
        return httpx.get(f"{base}/healthz", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(pids) < 2 and time.monotonic() < deadline:
            assert set(pool.map(call, range(20))) == {200}
            sent += 20
            pids = {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}
            time.sleep(0.2)
    assert len(pids) >= 2, "one worker took every call"
    # Whichever worker answers the scrape, it reports every worker's calls.
    for _ in range(6):
        assert healthz_count(base) == sent
