"""``ledger replay``: what another policy set would have made of the recorded facts.

    ledger replay --policies deadline-2022-12-31 --region 150300 \\
        --as-of 2023-08-31 --format html --output replay.html

``--policies`` is a directory of catalogue files, or the name of an example set
shipped with the ledger (``chifeng-whole-7-percent``, ``deadline-2022-12-31``,
``fund-months-above-3``).

Reads only: the facts are recorded again in memory (never in the store), and the
report compares the record with the reform per unit, per region and per month.
A progress bar of units on a terminal; a refusal (an unknown region, a malformed
policy file) exits 2.
"""

from __future__ import annotations

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
) -> None:
    """Replay the recorded facts under another policy set and report the differences."""
    chosen = fmt(output_format, FORMATS)
    if not policies.is_dir() and len(policies.parts) == 1:
        policies = find_policy_set(policies.name)
    policy_set = load_policy_set(policies)
    settings = Settings()
    ledger = build_ledger(settings)
    try:
        with _bar() as progress:
            report = run_replay(
                ledger,
                policy_set,
                region=region or None,
                as_of=day(as_of, "as_of"),
                known_at=instant(known_at),
                progress=progress,
            )
    finally:
        ledger.close()
    body = render(report, chosen)
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
        err.print(
            f"{report.units_compared:,} units compared, {len(report.units):,} differ: {output}"
        )


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
