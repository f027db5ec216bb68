"""How fast a policy set replays over a synthetic city, beside the views' rebuild.

    python -m benchmarks.bench_replay                          # 2,000 units x 12 months
    python -m benchmarks.bench_replay --units 300000 --months 12 --reuse

The history is ``benchmarks/history.py``'s synthetic Chifeng in a PostgreSQL schema of
its own (the same schema as ``bench_rebuild``'s, so ``--reuse`` shares it), built once
and not measured. Then, each in a process of its own (peak RSS is per phase), after a
CHECKPOINT:

r.  ``ledger.replay.run_replay`` of a policy set (default: the example moving the 2022
    repayment deadline to 2022-12-31) over every unit, end to end: read the events,
    record the facts again, map both sides to rows, compute and compare, with a
    progress bar of units on stderr when it is a terminal; then the JSON report rendered;
c.  ``ledger.projections.runner.rebuild`` of the views on the same history.

Printed: seconds, units/s and events/s of each, r/c, and peak RSS. Timings are never
asserted: they depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
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


def phase_replay(url: str, size: Size, policies: Path) -> dict[str, Any]:
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
        start = time.perf_counter()
        report = run_replay(
            ledger,
            policy_set,
            as_of=as_of,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
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
    }


def _child(args: argparse.Namespace, size: Size, phase: str) -> dict[str, Any]:
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
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL") or DEFAULT_URL
    size = Size(args.units, args.months)

    if args.phase:
        result = {
            "build": lambda: phase_build(url, size, args.seed),
            "replay": lambda: phase_replay(url, size, args.policies),
            "rebuild": lambda: phase_rebuild(url, size, PAGE_SIZE),
        }[args.phase]()
        result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        say(RESULT + json.dumps(result))
        return

    say(f"PostgreSQL {url}; policy set {args.policies}")
    history = _history(url, size, args.reuse)
    if history is None:
        history = _child(args, size, "build")
        say(
            f"built {size.schema}: {history['events']:,} events, "
            f"{history['person_lines']:,} person-lines in {history['seconds']:.0f} s"
        )
    replayed = _child(args, size, "replay")
    rebuilt = _child(args, size, "rebuild")
    events = history["events"]
    say(f"\n{size.units:,} units x {size.months} months: {events:,} events")
    for label, r in (
        ("(r) replay, report rendered", replayed),
        ("(c) rebuild of the views", rebuilt),
    ):
        say(
            f"  {label:30} {r['seconds']:8.1f} s {size.units / r['seconds']:9,.0f} units/s "
            f"{events / r['seconds']:9,.0f} events/s  peak RSS {r['rss_kb'] / 1024:6.0f} MB"
        )
    say(
        f"  r/c (rate) = {rebuilt['seconds'] / replayed['seconds']:.2f}; "
        f"{replayed['changed']:,} units differ, late fees {replayed['late_fee_difference']}, "
        f"report {replayed['report_bytes']:,} bytes"
    )
    if not args.reuse:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(size.schema)))


if __name__ == "__main__":
    main()
