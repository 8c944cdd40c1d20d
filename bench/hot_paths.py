"""Per-request hot paths of issue 13, each beside its goal:

- the single marketing check (one email) and `GET /v1/subjects/{id}`,
  `GET /v1/records/{id}`, as a ratio to a bare sync FastAPI route: one uvicorn worker
  each, loaded by wrk, in interleaved rounds on the same run (the machine may be
  shared: a ratio taken round by round is what is compared, the median of the rounds
  is reported);
- the bulk check of 10,000 identifiers (half emails, half phones) against the seeded
  subjects (median of 10 calls);
- the lookup by email (`POST /v1/subjects/search`) among the seeded subjects, p99 of
  2,000 sequential calls through the API.

Defaults: 1,000,000 subjects on PostgreSQL, 100,000 on SQLite (the bulk and lookup goals
are PostgreSQL's). Seeded databases are cached (`bench.seeding`).
Run: `scripts/bench.sh hot [--backend postgresql] [--rounds 3] [--seconds 5]`; just the
bulk check: `scripts/bench.sh hot --only bulk [--baseline DIR]`.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.common import server, token
from bench.seeding import Seeded, drop, email, phone, seeded_database
from bench.table import Row

SUBJECTS = {"postgresql": 1_000_000, "sqlite": 100_000}
SCOPES = ["marketing:check", "subjects:read"]


def wrk(url: str, lua: str, seconds: int, connections: int = 16) -> float:
    """Requests per second (2xx only: an error answer would count otherwise)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + _COUNT_ERRORS)
    try:
        output = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    rps = errors = None
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        if line.startswith("non-2xx:"):
            errors = int(line.split()[1])
    if rps is None or errors is None:
        raise RuntimeError(output)
    if errors:
        raise RuntimeError(f"{errors} answers were not 2xx: {url}")
    return rps


_COUNT_ERRORS = """
local bad = 0
response = function(status, headers, body)
    if status >= 300 then bad = bad + 1 end
end
done = function(summary, latency, requests)
    io.write(string.format("non-2xx: %d\\n", summary.errors.status))
end
"""


def _lua_paths(paths: list[str], auth: str) -> str:
    listed = ", ".join(f'"{p}"' for p in paths)
    return (
        f"local paths = {{{listed}}}\n"
        f'wrk.headers["Authorization"] = "{auth}"\n'
        'request = function() return wrk.format("GET", paths[math.random(#paths)]) end\n'
    )


def _lua_check(emails: list[str], auth: str) -> str:
    listed = ", ".join(f'"{e}"' for e in emails)
    return (
        f"local emails = {{{listed}}}\n"
        f'wrk.headers["Authorization"] = "{auth}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  local body = '{\"emails\": [\"' .. emails[math.random(#emails)] .. '\"]}'\n"
        '  return wrk.format("POST", "/v1/marketing/check", nil, body)\n'
        "end\n"
    )


def throughput(
    base: str,
    bare: str,
    seeded: Seeded,
    *,
    rounds: int,
    seconds: int,
    baseline: str | None = None,
) -> dict[str, list[float]]:
    """Requests/s of each target, round by round (targets interleaved in each round);
    with `baseline` (the URL of another checkout's service), its figures too."""
    auth = f"Bearer {token(SCOPES)}"
    rng = random.Random(13)
    emails = [email(rng.randrange(seeded.subjects)) for _ in range(500)]
    targets = {
        "bare sync": (bare + "/bare", ""),
        "bare async": (bare + "/bare-async", ""),
        # The service's middleware stack alone (no token, no database).
        "healthz": (base + "/healthz", ""),
        "check": (base + "/v1/marketing/check", _lua_check(emails, auth)),
        "subject": (base, _lua_paths([f"/v1/subjects/{s}" for s in seeded.subject_ids], auth)),
        "record": (base, _lua_paths([f"/v1/records/{r}" for r in seeded.record_ids], auth)),
    }
    if baseline is not None:
        for name in ("check", "subject", "record"):
            url, lua = targets[name]
            targets[f"{name} (baseline)"] = (url.replace(base, baseline), lua)
    for url, lua in targets.values():  # warm up: caches, the pool, compiled statements
        wrk(url, lua, 1)
    results: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (url, lua) in targets.items():
            results[name].append(wrk(url, lua, seconds))
    return results


def bulk_ms(
    base: str, seeded: Seeded, *, items: int = 10_000, calls: int = 10, seed: int = 7
) -> list[float]:
    rng = random.Random(seed)
    auth = {"Authorization": f"Bearer {token(SCOPES)}"}
    timings = []
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        for _ in range(calls + 1):  # the first call warms up
            # A fifth of them unknown (beyond the seeded range).
            top = int(seeded.subjects * 1.25)
            emails = [email(rng.randrange(top)) for _ in range(items // 2)]
            phones = [phone(rng.randrange(top)) for _ in range(items - items // 2)]
            started = time.perf_counter()
            response = client.post("/v1/marketing/check", json={"emails": emails, "phones": phones})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            assert len(response.json()["results"]) == items
    return timings[1:]


def bulk_only(
    backend: str, *, subjects: int | None, rounds: int, baseline: Path | None
) -> dict[str, list[float]]:
    """Just the bulk check: this checkout's service and, with `baseline`, another's,
    round by round (5 calls each per round, a new draw of identifiers for every call, so
    that neither service answers from what the other just warmed in the database's
    cache)."""
    seeded = seeded_database(backend, subjects or SUBJECTS[backend])
    try:
        with ExitStack() as stack:
            targets = {"this checkout": stack.enter_context(server(seeded.url))[0]}
            if baseline is not None:
                targets["baseline"] = stack.enter_context(server(seeded.url, root=baseline))[0]
            timings: dict[str, list[float]] = {name: [] for name in targets}
            seeds = iter(range(100, 100 + rounds * len(targets)))
            for _ in range(rounds):
                for name, base in targets.items():
                    timings[name] += bulk_ms(base, seeded, calls=5, seed=next(seeds))
    finally:
        drop(seeded.url)
    return timings


def lookup_ms(base: str, seeded: Seeded, *, calls: int = 2_000) -> list[float]:
    rng = random.Random(11)
    auth = {"Authorization": f"Bearer {token(SCOPES)}"}
    timings = []
    with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
        for n in range(calls + 200):
            body = {"email": email(rng.randrange(seeded.subjects))}
            started = time.perf_counter()
            response = client.post("/v1/subjects/search", json=body)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200 and response.json()["items"], response.text
            if n >= 200:  # the first 200 warm up
                timings.append(elapsed)
    return timings


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


@contextmanager
def servers(url: str) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        base, _ = stack.enter_context(server(url))
        bare, _ = stack.enter_context(server(url, app="bench.bare_app:app"))
        yield base, bare


def measure(
    backend: str,
    *,
    subjects: int | None = None,
    rounds: int = 3,
    seconds: int = 5,
    baseline: Path | None = None,
) -> tuple[dict[str, list[float]], list[float], list[float]]:
    started = time.perf_counter()
    seeded = seeded_database(backend, subjects or SUBJECTS[backend])
    ready = time.perf_counter() - started
    print(f"[{backend}] {seeded.subjects:,} subjects ready in {ready:.1f} s")
    try:
        with ExitStack() as stack:
            base, bare = stack.enter_context(servers(seeded.url))
            other = None
            if baseline is not None:
                other, _ = stack.enter_context(server(seeded.url, root=baseline))
            rps = throughput(base, bare, seeded, rounds=rounds, seconds=seconds, baseline=other)
            bulk = bulk_ms(base, seeded)
            lookup = lookup_ms(base, seeded)
            if other is not None:
                old_bulk, old_lookup = bulk_ms(other, seeded), lookup_ms(other, seeded)
                print(
                    f"baseline: bulk median {statistics.median(old_bulk):.1f} ms, lookup "
                    f"p50 {statistics.median(old_lookup):.2f} ms, p99 {p99(old_lookup):.2f} ms"
                )
    finally:
        drop(seeded.url)
    return rps, bulk, lookup


def ratio(rps: dict[str, list[float]], name: str) -> float:
    """The median over rounds of the target's rate over the bare sync route's."""
    return statistics.median(
        ours / bare for ours, bare in zip(rps[name], rps["bare sync"], strict=True)
    )


def rows(backend: str) -> list[Row]:
    rps, bulk, lookup = measure(backend)
    return to_rows(backend, rps, bulk, lookup)


def to_rows(
    backend: str, rps: dict[str, list[float]], bulk: list[float], lookup: list[float]
) -> list[Row]:
    check_goal = 0.6 if backend == "sqlite" else 0.45
    check, subject, record = ratio(rps, "check"), ratio(rps, "subject"), ratio(rps, "record")
    found = [
        Row("single marketing check / bare sync route", check, "x", "≥ 0.6 SQLite, ≥ 0.45 PG",
            check >= check_goal),
        Row("GET /v1/subjects/{id} / bare sync route", subject, "x", "≥ 0.4", subject >= 0.4),
        Row("GET /v1/records/{id} / bare sync route", record, "x", "≥ 0.4", record >= 0.4),
    ]  # fmt: skip
    bulk_median, lookup_p99 = statistics.median(bulk), p99(lookup)
    if backend == "postgresql":
        found += [
            Row("bulk check, 10,000 ids vs 1,000,000 subjects (median)", bulk_median, "ms",
                "< 150 ms (PG)", bulk_median < 150),
            Row("lookup by email among 1,000,000 subjects (p99)", lookup_p99, "ms",
                "< 20 ms (PG)", lookup_p99 < 20),
        ]  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--subjects", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git archive main | tar -x -C DIR`) measured beside",
    )
    parser.add_argument(
        "--only",
        choices=["bulk"],
        help="just the bulk check (with --baseline: both services, round by round)",
    )
    args = parser.parse_args()
    if args.only == "bulk":
        timings = bulk_only(
            args.backend, subjects=args.subjects, rounds=args.rounds, baseline=args.baseline
        )
        for name, values in timings.items():
            print(
                f"bulk check of 10,000 ({name}): median {statistics.median(values):.1f} ms "
                f"over {len(values)} calls (best {min(values):.1f}, worst {max(values):.1f}); "
                "per round: "
                + ", ".join(
                    f"{statistics.median(values[i : i + 5]):.0f}" for i in range(0, len(values), 5)
                )
            )
        return
    rps, bulk, lookup = measure(
        args.backend,
        subjects=args.subjects,
        rounds=args.rounds,
        seconds=args.seconds,
        baseline=args.baseline,
    )
    for name, values in rps.items():
        print(f"{name:>10}: " + ", ".join(f"{v:,.0f}" for v in values) + " req/s per round")
    print(
        f"bulk check of 10,000: median {statistics.median(bulk):.1f} ms "
        f"(best {min(bulk):.1f}, worst {max(bulk):.1f}); lookup by email: "
        f"p50 {statistics.median(lookup):.2f} ms, p99 {p99(lookup):.2f} ms"
    )
    for row in to_rows(args.backend, rps, bulk, lookup):
        print(f"{row.goal_name}: {row.figure:.2f} {row.unit} (goal {row.goal}) "
              f"{'pass' if row.passed else 'FAIL'}")  # fmt: skip


if __name__ == "__main__":
    main()
