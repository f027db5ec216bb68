"""The read commands: ``ledger balance``, ``rights`` and ``audit`` (``report …`` in
:mod:`ledger.cli.reports`), and what all read commands share.

Each command brings the view store up to date with the event store (``catch_up``:
whatever was recorded since the last run), then asks a view with both clocks:
``--as-of`` (the business date balances and late fees are computed for; default today
in China Standard Time) and ``--known-at`` (only what was recorded by that instant;
default now). A table on the terminal; ``--format json`` (snake_case keys, amounts as
strings with two decimals) or, for reports, ``--format csv``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer
from rich.progress import Progress
from rich.table import Table

from ledger.cli import err, out, refusals_exit
from ledger.cli.app import app, day
from ledger.clocks import CST, instant
from ledger.domain.errors import InvalidValue
from ledger.domain.money import format_money
from ledger.domain.period import Period
from ledger.settings import Settings

if TYPE_CHECKING:
    from ledger.catalogue.policyset import PolicySet
    from ledger.projections.store import ViewStore


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
Format = Annotated[str, typer.Option("--format", help="table, json or csv.")]


# ------------------------------------------------------------------ plumbing


@contextmanager
def views(known_at: datetime | None = None) -> Iterator[tuple[ViewStore, PolicySet]]:
    """The view store, caught up with the event store, and the policies in force as the
    ledger knew them at ``known_at`` (None: now)."""
    from ledger.bootstrap import build_ledger
    from ledger.projections.runner import catch_up
    from ledger.projections.sql import open_view_store

    settings = Settings()
    ledger = build_ledger(settings)
    store = open_view_store(settings)
    try:
        with _progress() as progress:
            catch_up(ledger, store, progress=progress)
        yield store, ledger.policies_known_at(known_at)
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


def fmt(text: str, allowed: Sequence[str]) -> str:
    if text not in allowed:
        raise InvalidValue(f"format {text!r} is not one of {', '.join(allowed)}", field="format")
    return text


def plain(value: Any) -> Any:
    """JSON-able: amounts as strings with two decimals, dates ISO, periods YYYY-MM."""
    if isinstance(value, Period):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, datetime):
        return value.astimezone(CST).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def emit_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    typer.echo(buffer.getvalue(), nl=False)


def emit_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: set[str],
    wrap: str = "",
) -> None:
    """A borderless table; only the ``wrap`` column may fold, the others keep one line."""
    table = Table(title=title, title_justify="left", box=None, padding=(0, 1, 0, 0))
    for column in columns:
        table.add_column(
            column,
            justify="right" if column in numeric else "left",
            no_wrap=column != wrap,
            overflow="fold" if column == wrap else "ellipsis",
        )
    for row in rows:
        table.add_row(*row)
    out.print(table)


def money_or_blank(amount: Decimal) -> str:
    return format_money(amount) if amount else ""


def clocks(as_of: date, known_at: datetime | None) -> str:
    known = known_at.astimezone(CST).isoformat(timespec="seconds") if known_at else "now"
    return f"as of {as_of}, known at {known}"


# ------------------------------------------------------------------- balance

#: short column labels of the balance table, and the amounts it always shows
LABELS = {
    "credit_applied": "credit",
    "carried_forward": "to credit",
    "called_due": "called",
    "outstanding": "owed",
    "late_fee": "late fee",
}
ALWAYS = {"assessed", "paid", "outstanding", "late_fee"}


@app.command("balance")
@refusals_exit
def balance(uscc: str, as_of: AsOf = "", known_at: KnownAt = "", output: Format = "table") -> None:
    """A unit's items (period and part) and late fees, as of a date."""
    from ledger.projections.balances import AMOUNTS, unit_balance_view

    shape = fmt(output, ("table", "json"))
    with views(instant(known_at)) as (store, policies):
        view = unit_balance_view(
            store, uscc, as_of=day(as_of, "as_of"), known_at=instant(known_at), policies=policies
        )
    if shape == "json":
        data = plain(view)
        for item, line in zip(data["items"], view.items, strict=True):
            item["due_now"] = line.due_now.isoformat()
        data["totals"] = {name: format_money(view.total(name)) for name in AMOUNTS}
        data["daily_rate"] = str(view.daily_rate)
        data["credit_held"] = format_money(view.credit_held)
        emit_json(data)
        return
    # the amounts that are zero on every item are left out: a table fits a terminal
    shown = [a for a in AMOUNTS if a in ALWAYS or any(getattr(i, a) for i in view.items)]
    columns = ["period", "part", "due", *(LABELS.get(a, a) for a in shown)]
    rows = [
        [
            str(i.period),
            i.part.value,
            str(i.due_now),
            *(money_or_blank(getattr(i, a)) for a in shown),
        ]
        for i in view.items
    ]
    rows.append(["total", "", "", *(format_money(view.total(a)) for a in shown)])
    emit_table(
        f"{view.uscc} {view.name} ({clocks(view.as_of, view.known_at)})",
        columns,
        rows,
        set(columns[3:]),
    )
    out.print(
        f"credit held: {format_money(view.credit_held)}; late fee {view.daily_rate} a day "
        f"({view.late_fee_rule.split(': ')[0]}); 'due' is the deadline while deferred, "
        "the day called due once called",
        highlight=False,
    )


# -------------------------------------------------------------------- rights


@app.command("rights")
@refusals_exit
def rights(
    resident_id: str, as_of: AsOf = "", known_at: KnownAt = "", output: Format = "table"
) -> None:
    """A person's rights record (个人权益记录): every month, across units."""
    from ledger.domain.identifiers import parse_resident_id
    from ledger.projections.rights import rights_record

    shape = fmt(output, ("table", "json"))
    rid = parse_resident_id(resident_id)
    with views(instant(known_at)) as (store, policies):
        record = rights_record(
            store, rid, as_of=day(as_of, "as_of"), known_at=instant(known_at), policies=policies
        )
    if shape == "json":
        data = plain(record)
        data["continuous_months"] = record.continuous_months
        emit_json(data)
        return
    columns = [
        "period",
        "unit",
        "base",
        "declared",
        "individual",
        "paid?",
        "unit part",
        "reduced",
        "unit state",
        "arrears",
        "credit",
        "credit state",
        "credited on",
        "continuous",
    ]
    rows = [
        [
            str(m.period),
            m.uscc,
            format_money(m.base),
            format_money(m.declared_base),
            format_money(m.individual),
            m.individual_state.value,
            format_money(m.unit_part),
            money_or_blank(m.unit_reduction),
            m.unit_state.value,
            "yes" if m.in_arrears else "",
            format_money(m.credit),
            m.credit_state.value,
            str(m.credited_on or ""),
            str(m.continuous_months),
        ]
        for m in record.months
    ]
    numeric = {"base", "declared", "individual", "unit part", "reduced", "credit", "continuous"}
    emit_table(f"{rid} ({clocks(record.as_of, record.known_at)})", columns, rows, numeric)
    out.print(f"continuous months of insurance: {record.continuous_months}", highlight=False)


# --------------------------------------------------------------------- audit

#: fields an audit line leaves out: bulky, or shown in a column of their own
_LEFT_OUT = {"rates", "decided_on", "resident_id"}
_COUNTED = {"lines", "by_person", "content"}


def _summary(detail: dict[str, Any]) -> str:
    """What an event recorded, in one folded cell: item rows as "period part amount"."""
    parts = []
    for key, value in detail.items():
        if key in _LEFT_OUT:
            continue
        if key in _COUNTED:
            parts.append(f"{key}={value if isinstance(value, int) else len(value)}")
        elif isinstance(value, list) and value and isinstance(value[0], list):
            parts.append(f"{key}=" + "; ".join(" ".join(map(str, row)) for row in value))
        elif value not in ("", [], None, False):
            parts.append(f"{key}={value}")
    return ", ".join(parts)


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
) -> None:
    """Every event of a unit (or naming a person), in recorded order, with actor, reason
    and, for decisions, the policy applied. (The hash chain: `ledger audit verify`,
    `ledger audit head`.)"""
    from ledger.projections.audit import person_trail, unit_trail

    shape = fmt(output, ("table", "json"))
    if (uscc is None) == (person is None):
        raise InvalidValue("name a unit's USCC or --person RESIDENT_ID (one of them)", field="uscc")
    clock: dict[str, Any] = {
        "as_of": day(as_of, "as_of") if as_of else None,
        "known_at": instant(known_at),
        "kinds": kind,
        "since": instant(since),
        "until": instant(until),
    }
    with views() as (store, _):
        if uscc is not None:
            trail = unit_trail(store, uscc, **clock)
        else:
            from ledger.domain.identifiers import parse_resident_id

            trail = person_trail(store, parse_resident_id(person or ""), **clock)
    if shape == "json":
        emit_json([{**plain(line.entry), "on": plain(line.on)} for line in trail])
        return
    columns = ["recorded (CST)", "on", "v", "event", "actor", "reason", "policy", "what"]
    rows = [
        [
            line.entry.recorded_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
            str(line.on or ""),
            str(line.entry.version),
            line.entry.type,
            line.entry.actor,
            line.entry.reason,
            line.entry.policy.split(": ")[0],
            _summary(line.entry.detail),
        ]
        for line in trail
    ]
    emit_table(f"audit of {uscc or person}", columns, rows, {"v"}, wrap="what")
