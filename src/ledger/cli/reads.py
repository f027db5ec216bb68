"""The read commands: ``ledger balance``, ``rights`` and ``audit`` (``report …`` in
:mod:`ledger.cli.reports`), and what all read commands share.

Each command brings the view store up to date with the event store (``catch_up``:
whatever was recorded since the last run), then runs a report described once in
:mod:`ledger.reports` with both clocks: ``--as-of`` (the business date balances and
late fees are computed for; default today in China Standard Time) and ``--known-at``
(only what was recorded by that instant; default now). A table on the terminal;
``--format json`` (snake_case keys, amounts as strings with two decimals), ``csv``
(UTF-8 with a byte-order mark) or ``xlsx`` (a workbook written to a file), rendered
by the same renderers as the API's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import Progress
from rich.table import Table as RichTable

from ledger.cli import err, out, refusals_exit
from ledger.cli.app import app, unit_code
from ledger.domain.errors import InvalidValue
from ledger.domain.money import ZERO
from ledger.reports import (
    BALANCE,
    FORMATS,
    HEADERS,
    PERSON_TRAIL,
    RIGHTS,
    UNIT_TRAIL,
    Cell,
    Kind,
    Query,
    Report,
    Table,
    ViewsAndPolicies,
    file_name,
    render,
    text_of,
)
from ledger.settings import Settings

if TYPE_CHECKING:
    from ledger.reports import Reads


AsOf = Annotated[
    str,
    typer.Option(
        "--as-of", help="Business date balances and late fees are computed for; default today."
    ),
]
KnownAt = Annotated[
    str,
    typer.Option(
        "--known-at",
        help="Only events recorded by this instant (ISO; a date means the end of that day, "
        "China Standard Time); default now.",
    ),
]
Format = Annotated[str, typer.Option("--format", help="table, json, csv or xlsx.")]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the report to this file ('-': standard output). xlsx: default "
        "REPORT-….xlsx in the working directory.",
    ),
]
Headers = Annotated[
    str, typer.Option("--headers", help="File headers: zh (the seeds' field names) or en.")
]


# ------------------------------------------------------------------ plumbing


@contextmanager
def views() -> Iterator[Reads]:
    """The view store, caught up with the event store, and the policies as the ledger
    knew them at any instant."""
    from ledger.bootstrap import build_ledger, open_view_store
    from ledger.projections.runner import catch_up

    settings = Settings()
    ledger = build_ledger(settings)
    store = open_view_store(settings, ledger)
    try:
        with _progress() as progress:
            catch_up(ledger, store, progress=progress)
        yield ViewsAndPolicies(store, ledger.policies_known_at)
    finally:
        store.close()
        ledger.close()


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal while a long history is projected; none otherwise."""
    if not err.is_terminal:
        yield None
        return
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("projecting events", total=None)

        def advance(position: int, last: int) -> None:
            bar.update(task, completed=position, total=last)

        yield advance


def fmt(text: str, allowed: tuple[str, ...] = ("table", *FORMATS)) -> str:
    if text not in allowed:
        raise InvalidValue(f"format {text!r} is not one of {', '.join(allowed)}", field="format")
    return text


def output_shape(output: str, headers: str, to: Path | None) -> str:
    """The format asked for, checked with the other output options."""
    shape = fmt(output)
    if headers not in HEADERS:
        raise InvalidValue(f"headers {headers!r} is not one of zh, en", field="headers")
    if shape == "table" and to is not None:
        raise InvalidValue(
            "--output writes a file: give --format json, csv or xlsx", field="output"
        )
    return shape


def run_report(
    report: Report, query: Query, output: str, headers: str = "zh", to: Path | None = None
) -> None:
    """Runs a report on the caught-up views and writes it in the format asked for."""
    shape = output_shape(output, headers, to)
    with views() as reads:
        table = report.run(reads, query)
    write_table(table, shape, headers, to)


def write_table(table: Table, shape: str, headers: str, to: Path | None) -> None:
    """A table on the terminal, or rendered to standard output or a file."""
    report = table.report
    if shape == "table":
        emit_table(table)
        return
    data = render(table, shape, headers)
    if shape == "xlsx" and to is None:
        to = Path(file_name(table, "xlsx"))
    if to is None or str(to) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    to.write_bytes(data)
    err.print(f"{report.zh} ({report.en}): {len(table.rows)} rows written to {to}", highlight=False)


def emit_table(table: Table) -> None:
    """A borderless table on the terminal, headers in Chinese over English; only the
    report's ``wrap`` column may fold."""
    report = table.report
    shown = [c for c in report.columns if not report.terminal or c.key in report.terminal]
    if report.always is not None:
        # the amounts that are zero on every row are left out: a table fits a terminal
        index = {c.key: n for n, c in enumerate(report.columns)}
        shown = [
            c
            for c in shown
            if c.kind is not Kind.MONEY
            or c.key in report.always
            or any(row[index[c.key]] for row in table.rows)
        ]
    where = [report.columns.index(c) for c in shown]
    blank_zero = report.always is not None
    rows = [[_terminal(report, n, row[n], blank_zero) for n in where] for row in table.rows]
    if table.total is not None:
        rows.append([_terminal(report, n, table.total[n], False) for n in where])
    grid = RichTable(title=table.caption, title_justify="left", box=None, padding=(0, 1, 0, 0))
    needed = 0
    for i, column in enumerate(shown):
        # A value is never cut (an identifier cut short is a wrong identifier), nor the
        # Chinese header: a column is at least as wide as both; the English one may fold.
        widest = max([cell_len(column.zh), *(cell_len(row[i]) for row in rows)])
        needed += max(widest, cell_len(column.en)) + 1
        grid.add_column(
            f"{column.zh}\n{column.en}",
            justify="right" if column.numeric else "left",
            min_width=None if column.key == report.wrap else widest,
            overflow="fold",
        )
    for row in rows:
        grid.add_row(*row)
    # Wider than the console: printed at its own width (a terminal wraps the lines)
    # rather than losing its last columns.
    needed += 40 if report.wrap else 0
    (out if needed <= out.width else Console(width=needed)).print(grid)
    for note in table.notes:
        out.print(note, highlight=False)


def emit_rows(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[str]
) -> None:
    """A plain borderless table of text rows: what is no report (a list of links)."""
    grid = RichTable(title=title, title_justify="left", box=None, padding=(0, 1, 0, 0))
    for column in columns:
        grid.add_column(column, justify="right" if column in numeric else "left", no_wrap=True)
    for row in rows:
        grid.add_row(*row)
    out.print(grid)


def _terminal(report: Report, n: int, value: Cell, blank_zero: bool) -> str:
    if blank_zero and isinstance(value, Decimal) and value == ZERO:
        return ""
    return text_of(report.columns[n], value, guard=False)


# --------------------------------------------------------------- the reads


def _read_of(name: str, report: Report, subject: str, help_text: str) -> None:
    """``ledger NAME SUBJECT``: a unit's or a person's read, with both clocks."""

    def command(
        identifier: str,
        as_of: AsOf = "",
        known_at: KnownAt = "",
        output: Format = "table",
        to: Output = None,
        headers: Headers = "zh",
    ) -> None:
        subject = unit_code(identifier) if report is BALANCE else identifier
        query = Query.parse(as_of=as_of, known_at=known_at, subject=subject)
        run_report(report, query, output, headers, to)

    # named for the command's help (the annotation must be a value, not a string that
    # names this function's local)
    argument = typer.Argument(metavar=subject, help=f"The {subject}.", show_default=False)
    command.__annotations__["identifier"] = Annotated[str, argument]
    app.command(name, help=help_text)(refusals_exit(command))


_read_of(
    "balance", BALANCE, "USCC", "A unit's items (period and part) and late fees, as of a date."
)
_read_of(
    "rights",
    RIGHTS,
    "RESIDENT_ID",
    "A person's rights record (个人权益记录): every month, across units.",
)


@app.command("audit")
@refusals_exit
def audit(
    uscc: Annotated[str | None, typer.Argument(help="The unit's USCC.")] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="A resident ID instead of a unit.")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Event type, repeatable (PaymentCollected).")
    ] = None,
    since: Annotated[str, typer.Option(help="Recorded at or after this instant.")] = "",
    until: Annotated[str, typer.Option(help="Recorded at or before this instant.")] = "",
    as_of: AsOf = "",
    known_at: KnownAt = "",
    output: Format = "table",
    to: Output = None,
    headers: Headers = "zh",
) -> None:
    """Every event of a unit (or naming a person), in recorded order, with actor, reason
    and, for decisions, the policy applied. (The hash chain: `ledger audit verify`,
    `ledger audit head`.)"""
    if (uscc is None) == (person is None):
        raise InvalidValue("name a unit's USCC or --person RESIDENT_ID (one of them)", field="uscc")
    query = Query.parse(
        as_of=as_of,
        known_at=known_at,
        since=since,
        until=until,
        kinds=kind,
        subject=unit_code(uscc) if uscc is not None else person or "",
    )
    run_report(UNIT_TRAIL if uscc is not None else PERSON_TRAIL, query, output, headers, to)
