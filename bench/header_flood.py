"""`/healthz` latency while clients send 10 MB request heads.

`serve` parses HTTP with httptools but feeds it at most 64 KiB of a request's head
(`app.core.http`): a client sending a 10 MB header is answered 431 once 64 KiB are read.
Six threads send such requests in a loop (each a 10 MB `Authorization` header) while the
main thread times 300 sequential `/healthz` calls; printed beside the same calls with no
flood. Run: `scripts/bench.sh flood`.
"""

from __future__ import annotations

import contextlib
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.common import drop_database, fresh_database, server

HEAD = b"GET /v1/audit-events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
TOKEN_BYTES = 10 * 1024 * 1024


def flood(base: str, stop: threading.Event, sent: list[int]) -> None:
    host, port = base.removeprefix("http://").split(":")
    payload = HEAD + b"A" * TOKEN_BYTES + b"\r\n\r\n"
    while not stop.is_set():
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            with contextlib.suppress(OSError):  # refused and closed midway: the point
                sock.sendall(payload)
            with contextlib.suppress(OSError):
                sock.recv(4096)
        sent.append(1)


def healthz_ms(base: str, calls: int = 300) -> list[float]:
    timings = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(calls):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database("sqlite", Path(workdir))
        try:
            with server(url) as (base, _):
                quiet = healthz_ms(base)
                stop, sent = threading.Event(), []
                threads = [
                    threading.Thread(target=flood, args=(base, stop, sent)) for _ in range(6)
                ]
                for thread in threads:
                    thread.start()
                time.sleep(0.5)
                flooded = healthz_ms(base)
                stop.set()
                for thread in threads:
                    thread.join()
        finally:
            drop_database(url)
    print(
        f"/healthz median {statistics.median(quiet):.2f} ms quiet, "
        f"{statistics.median(flooded):.2f} ms while 6 clients sent {len(sent)} requests "
        f"with 10 MB heads (p99 {statistics.quantiles(flooded, n=100)[98]:.1f} ms)"
    )


if __name__ == "__main__":
    main()
