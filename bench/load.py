"""A bounded load run: `privacy-api serve --workers 2` on a throwaway PostgreSQL database,
60 s of 80 % marketing checks, 15 % reads and 5 % writes on loopback, driven by wrk.

Prints req/s and p50/p95/p99 per kind and overall, and every answer that was not the
one expected (200 for checks and reads, 201 for writes) by kind and status; the goal is
none. Not part of CI. Run: `scripts/bench.sh load` (or `.venv/bin/python -m bench.load`).

wrk draws the mix in its Lua script, but it measures latency for all requests together.
For figures per kind, each wrk thread drives exactly one connection, so its requests
and responses alternate strictly; the script times each request itself (LuaJIT's FFI,
`clock_gettime(CLOCK_MONOTONIC)`) and records its kind, latency and status. wrk's own
overall percentiles are printed beside ours as a cross-check.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import drop_database, fresh_database, seed_subjects, server, token

KINDS = ("check", "read", "write")
EXPECTED = {"check": 200, "read": 200, "write": 201}
# One cycle of 20 requests: 16 marketing checks, 3 reads, 1 write (80 / 15 / 5 %).
CYCLE = ["check"] * 16 + ["read"] * 3 + ["write"]

_LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } load_timespec;
int clock_gettime(int clk_id, load_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("load_timespec")
local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local cycle = {CYCLE}
local subject_ids = {SUBJECT_IDS}
local people = PEOPLE
local threads = {}
local next_id = 1

setup = function(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

init = function(args)
  math.randomseed(7919 * thread_id)
  position = thread_id * 7 -- threads start at different places of the cycle
  written = 0
  kinds, latencies, statuses = {}, {}, {}
  current, started = nil, 0
  wrk.headers["Authorization"] = "Bearer TOKEN"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  position = position + 1
  current = cycle[(position % #cycle) + 1]
  local method, path, body
  if current == "check" then
    -- about 1 in 6 of these people are unknown; every 10th known one has objected
    local i = math.random(0, math.floor(people * 1.2) - 1)
    method, path = "POST", "/v1/marketing/check"
    if position % 2 == 0 then
      body = string.format('{"emails": ["person%d@example.se"]}', i)
    else
      body = string.format('{"phones": ["+46701%06d"]}', i)
    end
  elseif current == "read" then
    method = "GET"
    path = "/v1/subjects/" .. subject_ids[math.random(1, #subject_ids)]
  else
    written = written + 1
    method, path = "POST", "/v1/subjects"
    body = string.format('{"emails": ["RUN-%d-%d@example.se"], "records": [{"category": '
      .. '"note", "origin": "provided", "source": "load", "data": {"text": "call back"}}]}',
      thread_id, written)
  end
  started = now_us()
  return wrk.format(method, path, nil, body)
end

response = function(status, headers, body)
  local n = #kinds + 1
  kinds[n], latencies[n], statuses[n] = current, now_us() - started, status
end

done = function(summary, latency, requests)
  local out = assert(io.open(os.getenv("LOAD_OUTPUT"), "w"))
  for _, thread in ipairs(threads) do
    local k, l, s = thread:get("kinds"), thread:get("latencies"), thread:get("statuses")
    for i = 1, #k do
      out:write(string.format("%s %.1f %d\n", k[i], l[i], s[i]))
    end
  end
  out:close()
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p50_ms": %f, '
    .. '"p95_ms": %f, "p99_ms": %f, "timeouts": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.errors.timeout,
    summary.errors.connect + summary.errors.read + summary.errors.write))
end
"""


def lua_script(subject_ids: list[str], people: int, bearer: str, run: str) -> str:
    """The mix; `run` names the people it creates, so that runs never repeat one."""
    return (
        _LUA.replace("RUN-", f"{run}-")
        .replace("{CYCLE}", "{" + ", ".join(f'"{k}"' for k in CYCLE) + "}")
        .replace("{SUBJECT_IDS}", "{" + ", ".join(f'"{s}"' for s in subject_ids) + "}")
        .replace("PEOPLE", str(people))
        .replace("TOKEN", bearer)
    )


def run_wrk(base: str, script: str, connections: int, seconds: int) -> tuple[dict[str, Any], Path]:
    """One wrk run, one connection per thread; wrk's summary and the per-request file."""
    workdir = Path(tempfile.mkdtemp(prefix="privacy-load-"))
    lua, output = workdir / "load.lua", workdir / "requests.txt"
    lua.write_text(script)
    command = [
        "wrk",
        f"-t{connections}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(lua),
        base,
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LOAD_OUTPUT": str(output)},
    )
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT ")), output
    raise RuntimeError(completed.stdout + completed.stderr)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def report(summary: dict[str, Any], requests_file: Path, workers: int, connections: int) -> int:
    """Print the figures; returns the number of unintended answers and socket errors."""
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    unexpected: Counter[tuple[str, int]] = Counter()
    for line in requests_file.read_text().splitlines():
        kind, micros, status = line.split()
        latencies[kind].append(float(micros) / 1000)
        if int(status) != EXPECTED[kind]:
            unexpected[kind, int(status)] += 1
    seconds = summary["seconds"]
    total = sum(len(v) for v in latencies.values())
    print(
        f"{total} requests in {seconds:.1f} s, {workers} workers, {connections} connections "
        "(wrk, one connection per thread)"
    )
    print(f"{'kind':<28} {'share':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    rows = [
        ("marketing check (POST)", latencies["check"]),
        ("read subject (GET)", latencies["read"]),
        ("create subject (POST)", latencies["write"]),
        ("overall", [x for kind in KINDS for x in latencies[kind]]),
    ]
    for name, values in rows:
        values.sort()
        print(
            f"{name:<28} {100 * len(values) / max(total, 1):5.1f}% {len(values) / seconds:8.0f} "
            f"{percentile(values, 50):8.1f} {percentile(values, 95):8.1f} "
            f"{percentile(values, 99):8.1f}"
        )
    print(
        f"wrk's own overall figures: {summary['requests'] / seconds:.0f} req/s, "
        f"p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, "
        f"p99 {summary['p99_ms']:.1f} ms"
    )
    socket_errors = summary["timeouts"] + summary["socket_errors"]
    if unexpected:
        for (kind, status), count in sorted(unexpected.items()):
            print(f"UNINTENDED: {count} x {status} on {kind} (expected {EXPECTED[kind]})")
    else:
        print("unintended answers: 0 (every check and read 200, every write 201)")
    print(f"timeouts and socket errors: {socket_errors}")
    return sum(unexpected.values()) + socket_errors


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return f"{os.cpu_count()} CPUs, {model}, {platform.system()} {platform.release()}"


def load_average() -> str:
    """The machine's load before and after, since other work on it skews the figures."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


TICKS = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU seconds the machine spent in user and system mode since boot, all CPUs."""
    user, nice, system = (int(x) for x in Path("/proc/stat").read_text().split()[1:4])
    return (user + nice + system) / TICKS


def _processes() -> dict[int, tuple[int, float, str]]:
    """Every live process: its parent, CPU seconds so far, and command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        found[int(entry.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / TICKS,
            command,
        )
    return found


class CpuShare:
    """How much of the machine this run had: the CPU seconds spent during it by the
    server and its workers, PostgreSQL's backends for the run's database, wrk and this
    script, against everything the machine spent (approximate: work in interrupts and
    processes that began and ended within the run are counted as other work)."""

    def __init__(self, server_pid: int, database: str):
        self.server_pid, self.database = server_pid, database

    def _ours(self) -> dict[int, float]:
        processes = _processes()
        ours = {self.server_pid}
        grew = True
        while grew:
            children = {pid for pid, (parent, _s, _c) in processes.items() if parent in ours}
            grew = not children <= ours
            ours |= children
        return {
            pid: seconds
            for pid, (_parent, seconds, command) in processes.items()
            if pid in ours or (command.startswith("postgres:") and self.database in command)
        }

    @staticmethod
    def _own() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        waited = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has ended
        return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime

    def __enter__(self) -> CpuShare:
        self.started = time.monotonic()
        self.busy, self.ours, self.own = _busy_seconds(), self._ours(), self._own()
        return self

    def __exit__(self, *exc: object) -> None:
        ours = self._ours()
        self.elapsed = time.monotonic() - self.started
        self.total = _busy_seconds() - self.busy
        self.run = (
            self._own()
            - self.own
            + sum(seconds - self.ours.get(pid, 0.0) for pid, seconds in ours.items())
        )

    def summary(self) -> str:
        available = self.elapsed * (os.cpu_count() or 1)
        others = max(self.total - self.run, 0.0)
        return (
            f"CPU during the run: {self.total:.0f} of {available:.0f} CPU-seconds; this run "
            f"(server, its PostgreSQL backends, wrk) {self.run:.0f}; other work on the "
            f"machine {others:.0f} ({100 * others / available:.0f} % of it)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5, help="seconds of the same mix first")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--subjects", type=int, default=20_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")

    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; {load_average()}")
    workdir = Path(tempfile.mkdtemp(prefix="privacy-bench-"))
    url = fresh_database("postgresql", workdir)
    try:
        started = time.perf_counter()
        ids = seed_subjects(url, args.subjects)
        elapsed = time.perf_counter() - started
        print(f"seeded {args.subjects} subjects (PostgreSQL) in {elapsed:.1f} s")
        readable = [str(i) for i in random.Random(11).sample(ids, min(2000, len(ids)))]
        bearer = token(["marketing:check", "subjects:read", "subjects:write"])
        with server(url, workers=args.workers) as (base, pid):
            if args.warmup:
                script = lua_script(readable, args.subjects, bearer, "warmup")
                _summary, warmup_file = run_wrk(base, script, args.connections, args.warmup)
                shutil.rmtree(warmup_file.parent, ignore_errors=True)
            script = lua_script(readable, args.subjects, bearer, "load")
            with CpuShare(pid, url.rsplit("/", 1)[1]) as cpu:
                summary, requests_file = run_wrk(base, script, args.connections, args.seconds)
        failures = report(summary, requests_file, args.workers, args.connections)
        print(cpu.summary())
        shutil.rmtree(requests_file.parent, ignore_errors=True)
    finally:
        drop_database(url)
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        raise SystemExit(f"{failures} unintended answers or socket errors")


if __name__ == "__main__":
    main()
