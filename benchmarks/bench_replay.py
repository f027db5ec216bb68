"""How fast a policy set replays over a synthetic city, beside the views' rebuild.

    python -m benchmarks.bench_replay                          # 2,000 units x 12 months
    python -m benchmarks.bench_replay --units 300000 --months 12 --reuse [--workers N]

The history is ``benchmarks/history.py``'s synthetic Chifeng in a PostgreSQL schema of
its own (the same schema as ``bench_rebuild``'s, so ``--reuse`` shares it), built once
and not measured. Then, each in a process of its own (peak RSS is per phase), after a
CHECKPOINT:

r.  ``ledger.replay.run_replay`` of a policy set (default: the example moving the 2022
    repayment deadline to 2022-12-31) over every unit, end to end: read the events,
    record the facts again, map both sides to rows, compute and compare, with a
    progress bar of units on stderr when it is a terminal; then the JSON report
    rendered. Three times: (r-full) ``full=True`` in one process (every unit replayed
    whole, every assessment recomputed: the replay before issue 11.4), (r-scoped) scoped
    in one process, (r-workers) scoped in ``--workers`` processes (default: one per core);
c.  ``ledger.projections.runner.rebuild`` of the views on the same history.

Printed: seconds, units/s and events/s of each, units replayed (the rest carried over),
full/scoped and 1/N workers, r/c, peak RSS (of the parent: workers are processes of
their own), whether the three reports are byte-identical, and the load average before
and after. Timings are never asserted: they depend on the machine and on what else runs
on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks.bench_rebuild import (
    DEFAULT_URL,
    RESULT,
    Size,
    _checkpoint,
    _history,
    _settings,
    phase_build,
    phase_rebuild,
    say,
)
from ledger.application import Ledger
from ledger.projections.runner import PAGE_SIZE
from ledger.replay import load_policy_set, render, run_replay

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "deadline-2022-12-31"
#: what a run measures, in order (``--phases``)
PHASES = ("full", "scoped", "workers", "rebuild")


def phase_replay(
    url: str, size: Size, policies: Path, *, full: bool, workers: int
) -> dict[str, Any]:
    """(r): the whole replay, report rendered."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    ledger = Ledger(env=_settings(url, size.schema).eventsourcing_env())
    policy_set = load_policy_set(policies)
    console = Console(stderr=True)
    _checkpoint(url)
    as_of = date(2022 + (size.months + 11) // 12, 12, 31)
    with Progress(
        "replaying",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task("replay", total=None)
        counts: list[int] = []
        start = time.perf_counter()
        report = run_replay(
            ledger,
            policy_set,
            as_of=as_of,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            full=full,
            workers=workers,
            counted=lambda _, replayed: counts.append(replayed),
        )
        body = render(report, "json")
        seconds = time.perf_counter() - start
    ledger.close()
    total = report.total.difference
    return {
        "seconds": seconds,
        "units": report.units_compared,
        "changed": len(report.units),
        "late_fee_difference": str(total.late_fee),
        "report_bytes": len(body),
        "report_sha256": hashlib.sha256(body).hexdigest(),
        "replayed": counts[0],
    }


def _child(
    args: argparse.Namespace, size: Size, phase: str, *, full: bool = False, workers: int = 1
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_replay",
        "--phase",
        phase,
        "--units",
        str(size.units),
        "--months",
        str(size.months),
        "--policies",
        str(args.policies),
        "--seed",
        str(args.seed),
        "--workers",
        str(workers),
        *(["--full"] if full else []),
    ]
    # stderr is the terminal's: the replay's progress bar shows there.
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line.removeprefix(RESULT))
            return result
    raise SystemExit(f"phase {phase} failed:\n{done.stdout}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--policies", type=Path, default=EXAMPLE)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--reuse", action="store_true", help="keep the history and reuse it")
    parser.add_argument(
        "--workers", type=int, default=_cores(), help="worker processes of (r-workers)"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help="which to run, comma-separated (default all: full,scoped,workers,rebuild; the "
        "full replay of a city-year takes long: leave it out with scoped,workers,rebuild)",
    )
    parser.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL") or DEFAULT_URL
    size = Size(args.units, args.months)

    if args.phase:
        result = {
            "build": lambda: phase_build(url, size, args.seed),
            "replay": lambda: phase_replay(
                url, size, args.policies, full=args.full, workers=args.workers
            ),
            "rebuild": lambda: phase_rebuild(url, size, PAGE_SIZE),
        }[args.phase]()
        result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        say(RESULT + json.dumps(result))
        return

    say(f"PostgreSQL {url}; policy set {args.policies}; load {_load()}")
    history = _history(url, size, args.reuse)
    if history is None:
        history = _child(args, size, "build")
        say(
            f"built {size.schema}: {history['events']:,} events, "
            f"{history['person_lines']:,} person-lines in {history['seconds']:.0f} s"
        )
    phases = set(args.phases.split(","))
    unknown = phases - set(PHASES)
    if unknown:
        raise SystemExit(f"--phases: unknown {', '.join(sorted(unknown))} (of {PHASES})")
    runs: dict[str, dict[str, Any]] = {}
    if "full" in phases:
        runs["full"] = _child(args, size, "replay", full=True)
    if "scoped" in phases:
        runs["scoped"] = _child(args, size, "replay")
    if "workers" in phases:
        runs["workers"] = _child(args, size, "replay", workers=args.workers)
    if "rebuild" in phases:
        runs["rebuild"] = _child(args, size, "rebuild")
    _summary(args, size, history["events"], runs)
    if not args.reuse:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(size.schema)))


def _summary(
    args: argparse.Namespace, size: Size, events: int, runs: dict[str, dict[str, Any]]
) -> None:
    labels = {
        "full": "(r-full) full, 1 process",
        "scoped": "(r-scoped) scoped, 1 process",
        "workers": f"(r-workers) scoped, {args.workers} workers",
        "rebuild": "(c) rebuild of the views",
    }
    say(f"\n{size.units:,} units x {size.months} months: {events:,} events")
    for name, r in runs.items():
        replayed = f"  {r['replayed']:,} replayed" if "replayed" in r else ""
        say(
            f"  {labels[name]:34} {r['seconds']:8.1f} s {size.units / r['seconds']:9,.0f} "
            f"units/s {events / r['seconds']:9,.0f} events/s  "
            f"peak RSS {r['rss_kb'] / 1024:6.0f} MB{replayed}"
        )
    seconds = {name: r["seconds"] for name, r in runs.items()}
    ratios = []
    if "full" in seconds and "scoped" in seconds:
        ratios.append(f"full/scoped = {seconds['full'] / seconds['scoped']:.2f}x")
    if "scoped" in seconds and "workers" in seconds:
        ratios.append(f"1/{args.workers} workers = {seconds['scoped'] / seconds['workers']:.2f}x")
    if "full" in seconds and "workers" in seconds:
        ratios.append(
            f"full 1 process / scoped {args.workers} workers = "
            f"{seconds['full'] / seconds['workers']:.2f}x"
        )
    best = min((seconds[n] for n in ("scoped", "workers") if n in seconds), default=None)
    if "rebuild" in seconds and best is not None:
        ratios.append(f"r/c (rate, best replay) = {seconds['rebuild'] / best:.2f}")
    if ratios:
        say("  " + ", ".join(ratios))
    replays = [r for name, r in runs.items() if name != "rebuild"]
    if replays:
        same = len({r["report_sha256"] for r in replays}) == 1
        r = replays[-1]
        say(
            f"  reports identical: {'yes' if same else 'NO'} ({len(replays)} compared); "
            f"{r['changed']:,} units differ, late fees {r['late_fee_difference']}, "
            f"report {r['report_bytes']:,} bytes; load {_load()}"
        )


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
