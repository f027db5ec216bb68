"""A unit's page: its record, balance on both clocks, items, late fees, deferrals and
deadlines, the chart of its amounts over time, and its timeline of events.

Every read is the one the API's routes make (``GET /units/{uscc}``, ``…/balance``,
``…/audit-trail``: the report descriptions of ``ledger.reports``) over a ``UnitRead``:
the views caught up, the unit looked up (404) and a case worker's agency checked (403),
exactly as the API does; the balance and the trail download as the API's files.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from ledger.api.deps import UnitRead
from ledger.api.desk.charts import unit_chart
from ledger.api.desk.clocks import page_clocks
from ledger.api.desk.commands import UNIT_COMMANDS
from ledger.api.desk.render import page
from ledger.api.desk.session import Signed
from ledger.api.reporting import respond
from ledger.api.routers import units
from ledger.clocks import ReadClocks
from ledger.domain.errors import NotFound
from ledger.domain.identifiers import parse_uscc
from ledger.domain.token import Role
from ledger.projections.history import HistoryPoint, unit_history
from ledger.projections.items import daily_rates
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore
from ledger.reports import BALANCE, UNIT_TRAIL, Report, Table, ViewsAndPolicies
from ledger.reports import Query as ReportQuery

router = APIRouter(include_in_schema=False)

#: the decisions and facts the deferral section lists
DEFERRAL_EVENTS = frozenset(
    {
        "DeferralApplied",
        "DeferralGranted",
        "DeferralShifted",
        "DeferralRefused",
        "DeferralWithdrawn",
        "DeferralRefusalWithdrawn",
        "DeferredAmountCalledDue",
        "CommitmentFiled",
        "CommitmentReviewed",
        "CommitmentFoundFalse",
    }
)
DONE = {c.slug: c.done for c in UNIT_COMMANDS.values()} | {"register": "单位已登记"}

Uscc = Annotated[str, Path(max_length=32)]
Text = Annotated[str, Query(max_length=40)]


@router.get("/desk/units/{uscc}")
async def unit_page(
    request: Request,
    uscc: Uscc,
    principal: Signed,
    as_of: Text = "",
    known_at: Text = "",
    done: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    clocks, clock_errors = page_clocks(as_of, known_at)
    unit = UnitRead(
        parse_uscc(uscc, allow_bad_check=True), principal, request.app.state.views, request
    )
    summary = await units.show_unit(unit)
    read = await unit.run(lambda store, found: _read(unit, store, found, clocks))
    balance, trail = read.balance.document, read.trail.document
    mine = principal.role is Role.case_worker
    return page(
        request,
        "unit.html",
        unit=summary,
        balance=balance,
        trail=trail,
        chart=unit_chart(read.history),
        deferred_items=[i for i in balance["items"] if _deferred(i)],
        deferral_events=[e for e in trail["lines"] if e["type"] in DEFERRAL_EVENTS],
        commands=list(UNIT_COMMANDS.values()) if mine else [],
        as_of=as_of,
        known_at=known_at,
        clock_errors=clock_errors,
        query=request.url.query,
        done=DONE.get(done, ""),
    )


@router.get("/desk/units/{uscc}/files/{name}.{fmt}")
async def unit_file(
    request: Request,
    uscc: Uscc,
    name: Annotated[str, Path(max_length=20)],
    fmt: Annotated[str, Path(max_length=5)],
    principal: Signed,
    as_of: Text = "",
    known_at: Text = "",
) -> Response:
    """The unit's balance or audit trail as the API's files (``?format=csv|xlsx``)."""
    report = {"balance": BALANCE, "audit-trail": UNIT_TRAIL}.get(name)
    if report is None or fmt not in ("csv", "xlsx"):
        raise NotFound(f"no file {name}.{fmt} of a unit", field="file")
    clocks, _ = page_clocks(as_of, known_at)
    unit = UnitRead(
        parse_uscc(uscc, allow_bad_check=True), principal, request.app.state.views, request
    )

    table = await unit.run(lambda store, found: _run(report, unit, store, found, clocks))
    return respond(table, "csv" if fmt == "csv" else "xlsx")


def _deferred(item: dict[str, Any]) -> bool:
    """Whether an item of the balance's JSON document has a deferral to show: its amounts
    are text there ("0.00" is not false), so they are compared as amounts."""
    return bool(item["deadline"] or Decimal(item["deferred"]) or Decimal(item["called_due"]))


@dataclass(frozen=True, slots=True)
class _UnitRead:
    balance: Table
    trail: Table
    history: list[HistoryPoint]


def _read(unit: UnitRead, store: ViewStore, found: UnitRegistered, clocks: ReadClocks) -> _UnitRead:
    """The unit's balance and trail as the API describes them (``ledger.reports``), and
    its history, in one trip to the thread pool (one agency check, one catch-up)."""
    return _UnitRead(
        _run(BALANCE, unit, store, found, clocks),
        _run(UNIT_TRAIL, unit, store, found, clocks),
        _history(unit, store, found, clocks),
    )


def _run(
    report: Report, unit: UnitRead, store: ViewStore, found: UnitRegistered, clocks: ReadClocks
) -> Table:
    """A unit's report as the API's route runs it (both clocks, the unit as subject)."""
    reads = ViewsAndPolicies(store, unit.side.policies)
    query = ReportQuery(as_of=clocks.as_of, known_at=clocks.known_at, subject=found.uscc)
    return report.run(reads, query)


def _history(
    unit: UnitRead, store: ViewStore, found: UnitRegistered, clocks: ReadClocks
) -> list[HistoryPoint]:
    moves = store.movements([found.unit_id], known_at=clocks.known_at)
    rates = daily_rates(unit.side.policies(clocks.known_at), found.region)
    return unit_history(moves, clocks.as_of, rates)
