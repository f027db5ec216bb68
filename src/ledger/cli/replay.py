"""``ledger replay``: what another policy set would have made of the recorded facts.

    ledger replay --policies deadline-2022-12-31 --region 150300 \\
        --as-of 2023-08-31 --format html --output replay.html

``--policies`` is a directory of catalogue files, or the name of an example set
shipped with the ledger (``chifeng-whole-7-percent``, ``deadline-2022-12-31``,
``fund-months-above-3``).

Reads only: the facts are recorded again in memory (never in the store), and the
report compares the record with the reform per unit, per region and per month.
Only the units and the parts of their histories that a document the set changes,
adds or removes reaches are replayed (the rest is the record's by construction);
``--full`` replays every unit whole. ``--workers N`` spreads the units over N
processes (default: one per core). A progress bar of units on a terminal; a refusal (an
unknown region, a malformed policy file, fewer than one worker) exits 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ledger.bootstrap import build_ledger
from ledger.cli import err, refusals_exit
from ledger.cli.app import app, day
from ledger.cli.reads import AsOf, KnownAt, fmt
from ledger.clocks import instant
from ledger.domain.errors import InvalidValue
from ledger.logs import get_logger
from ledger.replay import FORMATS, find_policy_set, load_policy_set, render, run_replay
from ledger.replay.run import Progress as ReplayProgress
from ledger.settings import Settings


@app.command("replay")
@refusals_exit
def replay(
    policies: Annotated[
        Path,
        typer.Option(
            "--policies",
            help="A directory of catalogue files, or the name of a shipped example set.",
        ),
    ],
    region: Annotated[
        str, typer.Option("--region", help="Only this region's units (a code or its prefix).")
    ] = "",
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output_format: Annotated[str, typer.Option("--format", help="json, csv or html.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the report here (default stdout).")
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Replay every unit whole, not only what the changed documents reach "
            "(the same report, slower: the reference the scoped replay is checked against).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Worker processes (default: one per core; 1: this process)."
        ),
    ] = None,
) -> None:
    """Replay the recorded facts under another policy set and report the differences."""
    chosen = fmt(output_format, FORMATS)
    processes = default_workers() if workers is None else workers
    if processes < 1:
        raise InvalidValue(f"--workers {processes}: at least 1", field="workers")
    if not policies.is_dir() and len(policies.parts) == 1:
        policies = find_policy_set(policies.name)
    policy_set = load_policy_set(policies)
    settings = Settings()
    ledger = build_ledger(settings)
    counts = (0, 0)

    def counted(compared: int, replayed: int) -> None:
        nonlocal counts
        counts = (compared, replayed)

    try:
        with _bar() as progress:
            report = run_replay(
                ledger,
                policy_set,
                region=region or None,
                as_of=day(as_of, "as_of"),
                known_at=instant(known_at),
                progress=progress,
                full=full,
                workers=processes,
                counted=counted,
            )
    finally:
        ledger.close()
    get_logger().info(
        "replay",
        units=counts[0],
        replayed=counts[1],
        differ=len(report.units),
        full=full,
        workers=processes,
    )
    body = render(report, chosen)
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        err.print(
            f"{report.units_compared:,} units compared ({counts[1]:,} replayed, the rest "
            f"out of the changes' reach), {len(report.units):,} differ: {output}"
        )


def default_workers() -> int:
    """One worker process per core the ledger may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def _bar() -> Iterator[ReplayProgress | None]:
    """Units replayed, on stderr when it is a terminal."""
    if not err.is_terminal:
        yield None
        return
    columns = (
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("units"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("replay", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
