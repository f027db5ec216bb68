"""``ledger import``: bulk files from the agency and the tax bureau.

Exit status: 0 when every row was imported (or was already recorded), 1 when
some rows were rejected (the other units are still written), 2 when the command
is refused before importing anything (no such file, a bad header, a bad option),
3 when the event store cannot be reached (retry: what was saved stays saved and
is skipped as unchanged).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ledger.cli import err, out, refusals_exit
from ledger.cli.app import actor, app, day, ledger
from ledger.importer import BATCH_UNITS, ImportSummary, import_assessments, import_payments

import_app = typer.Typer(
    help="Bulk import from CSV (UTF-8 or GB18030) or xlsx files (exit 0 ok, 1 rows "
    "rejected, 2 refused, 3 no store).",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")

ActorOpt = Annotated[str, typer.Option("--actor", envvar="LEDGER_ACTOR", help="Who acts.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why: recorded in every event.")]
ReportOpt = Annotated[
    Path | None,
    typer.Option("--report", help="Also write the rejected lines to this CSV (line,uscc,reason)."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Worker processes (PostgreSQL only). Default: one per core for files over 8 MB.",
    ),
]
BatchOpt = Annotated[int, typer.Option("--batch", min=1, help="Units per save (one lock each).")]
ProgressOpt = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Progress bar on a terminal.")
]

_COMMON_HELP = """
CSV in UTF-8 or GB18030 (told apart by the content; a byte-order mark
is fine; a file mixing both is refused), or an xlsx workbook (its first
sheet; identifiers must be text cells), with a header row; columns may
also be named as a Chinese export names them (统一社会信用代码, 费款所属期,
公民身份号码, 缴费基数, 缴费项目, 缴费金额, 缴费日期). Rows of one unit
must be contiguous (grouped by USCC): a USCC that reappears further
down is rejected there. A bad row (its line number and the reason are
printed to stderr) rejects its unit's whole batch; the other units are
written. Importing the same file again changes nothing.

Exit status: 0 all rows imported or already recorded; 1 some rows
rejected; 2 refused (no such file, no CSV header with the required
columns, a bad option); 3 the event store cannot be reached (run it
again: batches already saved count as unchanged).
"""


@import_app.command(
    "assessments",
    help=f"""Import assessments (核定): one row per person and period.

Columns (by header name, any order): uscc, period (YYYY-MM),
resident_id, base (yuan, e.g. 5000.00), and optionally assessed_on
(YYYY-MM-DD). Rates come from the enacted policy catalogue for the
unit's region and the period. A period already assessed with the same
persons and bases is left unchanged; with different lines it is
rejected (revoke the assessment first).
{_COMMON_HELP}""",
)
@refusals_exit
def assessments(
    file: Annotated[
        Path, typer.Argument(help="CSV or xlsx: uscc,period,resident_id,base[,assessed_on]")
    ],
    assessed_on: Annotated[
        str,
        typer.Option(
            "--assessed-on", help="Date of rows without assessed_on; default today (China)."
        ),
    ] = "",
    report: ReportOpt = None,
    workers: WorkersOpt = None,
    batch: BatchOpt = BATCH_UNITS,
    progress: ProgressOpt = True,
    who: ActorOpt = "",
    why: ReasonOpt = "",
) -> None:
    on = day(assessed_on, "assessed_on")
    ledger_ = ledger()
    with _progress_bar(file, progress) as advance:
        summary = import_assessments(
            ledger_,
            file,
            actor=actor(who, why or f"import {file.name}"),
            assessed_on=on,
            batch_units=batch,
            workers=workers,
            progress=advance,
        )
    _finish(summary, report, "person-lines")


@import_app.command(
    "payments",
    help=f"""Import payments the tax bureau collected (征收回传), per item.

Columns (by header name, any order): uscc, period (YYYY-MM), part
(unit_medical, unit_maternity or individual), amount (yuan), paid_on
(YYYY-MM-DD). A unit's rows paid on one day are one payment settling
the items named; a payment already imported (same unit, day and rows)
is left unchanged.
{_COMMON_HELP}""",
)
@refusals_exit
def payments(
    file: Annotated[Path, typer.Argument(help="CSV or xlsx: uscc,period,part,amount,paid_on")],
    report: ReportOpt = None,
    workers: WorkersOpt = None,
    batch: BatchOpt = BATCH_UNITS,
    progress: ProgressOpt = True,
    who: ActorOpt = "",
    why: ReasonOpt = "",
) -> None:
    ledger_ = ledger()
    with _progress_bar(file, progress) as advance:
        summary = import_payments(
            ledger_,
            file,
            actor=actor(who, why or f"import {file.name}"),
            batch_units=batch,
            workers=workers,
            progress=advance,
        )
    _finish(summary, report, "payment rows")


@contextmanager
def _progress_bar(file: Path, wanted: bool) -> Iterator[Callable[[int], None]]:
    """A bar over the file's bytes on stderr; nothing when not on a terminal."""
    size = file.stat().st_size if file.is_file() else 0
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not wanted or not err.is_terminal,
    ) as bar:
        task = bar.add_task(escape(file.name), total=size or None)

        def advance(done: int) -> None:
            bar.update(task, completed=done)
            if done >= size:
                bar.stop()  # before the import's closing log line, which goes to stderr too

        yield advance


def _finish(summary: ImportSummary, report: Path | None, what: str) -> None:
    for rejection in summary.rejections:
        err.print(escape(str(rejection)), highlight=False, soft_wrap=True)
    if report is not None:
        with report.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["line", "uscc", "reason"])
            for r in summary.rejections:
                writer.writerow([r.line, r.uscc, r.reason])
    out.print(
        f"units: {summary.units_written} written, {summary.units_unchanged} unchanged, "
        f"{summary.units_rejected} rejected\n"
        f"{what}: {summary.lines} read, {summary.lines_written} written, "
        f"{summary.lines_unchanged} unchanged, {summary.lines_rejected} in rejected units "
        f"({len(summary.rejections)} bad)\n"
        f"events: {summary.events}; {summary.elapsed:.1f} s, "
        f"{summary.lines_per_second:,.0f} {what}/s",
        highlight=False,
    )
    if summary.bases_raised or summary.bases_lowered:
        out.print(
            f"bases held within the limits in force: {summary.bases_raised} declared under "
            f"the floor assessed at it, {summary.bases_lowered} over the ceiling assessed at "
            "it (each line keeps the declared base)",
            highlight=False,
        )
    if not summary.ok:
        raise typer.Exit(1)
