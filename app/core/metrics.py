"""Prometheus metrics. Labels are route templates and status codes, never raw paths.

With several worker processes (`privacy-api serve --workers N`, N > 1) each worker
counts into files of the directory `PROMETHEUS_MULTIPROC_DIR` (prometheus-client's
multiprocess mode, chosen when the library is first imported, so the serve command sets
it before the workers start), and `/metrics` answers the sum over every worker,
whichever worker takes the scrape.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "privacy_http_requests",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
REQUEST_LATENCY = Histogram(
    "privacy_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
AUTH_FAILURES = Counter(
    "privacy_auth_failures",
    "Requests refused with 401 (missing or invalid token).",
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "privacy_rate_limited",
    "Requests refused with 429 (the token over PRIVACY_RATE_LIMIT in this process).",
    registry=REGISTRY,
)


def exposition() -> bytes:
    """The metrics in Prometheus text format: this process's, or in multiprocess mode
    those of every worker added up."""
    directory = os.environ.get(MULTIPROCESS_DIR_ENV)
    if not directory:
        return bytes(generate_latest(REGISTRY))
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return bytes(generate_latest(registry))
