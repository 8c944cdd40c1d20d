"""The one table of issue 13's goals: each benchmark module contributes its rows.

A module that measures a goal has `def rows(backend: str) -> list[Row]` ("sqlite" or
"postgresql"); it runs its benchmark on that backend and returns one `Row` per goal it
measures (a goal that does not apply to the backend is left out, or given with
`figure=None`). `python -m bench.table` runs every module on both backends and prints
the table with the machine and the date. Run: `scripts/bench.sh all`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BACKENDS = ("sqlite", "postgresql")

# The modules that measure a goal of issue 13, in the order the table lists them.
MODULES = (
    "bench.hot_paths",  # marketing check, reads, bulk check, lookup
    "bench.export",  # access report p50
    "bench.erasure",  # erasure with kept records
    "bench.import_ndjson",  # subjects import
    "bench.workers",  # --workers 2
    "bench.memory",  # resident memory
)


@dataclass(frozen=True)
class Row:
    """One goal beside its figure on one backend."""

    goal_name: str
    figure: float | None  # None: not measured on this backend
    unit: str
    goal: str  # the goal as text: ">= 0.6 x bare sync", "< 150 ms"
    passed: bool | None  # None: no verdict (not measured)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load {load:.1f} at the start"
    )


def _figure(row: Row | None) -> str:
    if row is None or row.figure is None:
        return "—"
    figure = f"{row.figure:,.2f}" if abs(row.figure) < 10 else f"{row.figure:,.0f}"
    verdict = {True: "pass", False: "FAIL", None: ""}[row.passed]
    return f"{figure} {row.unit} {verdict}".strip()


def render(results: dict[str, dict[str, list[Row]]], *, started: datetime, about: str) -> str:
    """A markdown table: goal, target, then the figure on each backend."""
    goals: dict[str, str] = {}
    by_goal: dict[tuple[str, str], Row] = {}
    for backend, modules in results.items():
        for rows in modules.values():
            for row in rows:
                goals.setdefault(row.goal_name, row.goal)
                by_goal[(row.goal_name, backend)] = row
    lines = [
        f"Issue 13 goals — {started:%Y-%m-%d %H:%M} UTC — {about}",
        "",
        "| goal | target | " + " | ".join(_LABEL[b] for b in results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for name, goal in goals.items():
        cells = [_figure(by_goal.get((name, backend))) for backend in results]
        lines.append(f"| {name} | {goal} | " + " | ".join(cells) + " |")
    missing = [
        f"{module} ({backend})"
        for backend, modules in results.items()
        for module, rows in modules.items()
        if not rows
    ]
    if missing:
        lines += ["", "Not measured: " + ", ".join(missing)]
    return "\n".join(lines)


_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def collect(modules: tuple[str, ...], backends: tuple[str, ...]) -> dict[str, dict[str, list[Row]]]:
    results: dict[str, dict[str, list[Row]]] = {backend: {} for backend in backends}
    for backend in backends:
        for name in modules:
            rows: list[Row] = []
            try:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    print(f"{name}: no such module yet", file=sys.stderr)
                    results[backend][name] = rows
                    continue
                contribute = getattr(module, "rows", None)
                if contribute is None:
                    print(f"{name}: no rows(backend) yet", file=sys.stderr)
                else:
                    print(f"== {name} on {backend}", file=sys.stderr, flush=True)
                    rows = list(contribute(backend))
            except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
                traceback.print_exc()
            results[backend][name] = rows
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument("--only", nargs="*", help="module names (bench.hot_paths ...)")
    args = parser.parse_args()
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    started = datetime.now(UTC)
    about = machine()
    results = collect(tuple(args.only or MODULES), backends)
    print(render(results, started=started, about=about))


if __name__ == "__main__":
    main()
