"""A unit's page: its record, balance on both clocks, items, late fees, deferrals and
deadlines, the chart of its amounts over time, and its timeline of events.

Every read is the API's own route function (``ledger.api.routers``) over a
``UnitRead``: the views caught up, the unit looked up (404) and a case worker's agency
checked (403), exactly as ``GET /units/{uscc}/…`` does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from ledger.api.deps import ReadClocks, UnitRead
from ledger.api.desk.charts import unit_chart
from ledger.api.desk.clocks import page_clocks
from ledger.api.desk.commands import UNIT_COMMANDS
from ledger.api.desk.render import page
from ledger.api.desk.session import Signed
from ledger.api.routers import audit, balances, units
from ledger.domain.identifiers import parse_uscc
from ledger.domain.token import Role
from ledger.projections.history import HistoryPoint, unit_history
from ledger.projections.items import daily_rate
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore

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
    unit = UnitRead(parse_uscc(uscc, allow_bad_check=True), principal, request.app.state.views)
    summary = await units.show_unit(unit)
    balance = await balances.balance(unit, clocks)
    trail = await audit.unit_audit_trail(
        unit,
        kind=None,
        since=None,
        until=None,
        as_of=clocks.as_of.isoformat(),
        known_at=known_at if "known_at" not in clock_errors else None,
    )
    history = await unit.run(lambda store, found: _history(unit, store, found, clocks))
    mine = principal.role is Role.case_worker
    return page(
        request,
        "unit.html",
        unit=summary,
        balance=balance,
        trail=trail,
        chart=unit_chart(history),
        deferred_items=[i for i in balance.items if i.deferred or i.deadline or i.called_due],
        deferral_events=[e for e in trail.lines if e.type in DEFERRAL_EVENTS],
        commands=list(UNIT_COMMANDS.values()) if mine else [],
        as_of=as_of,
        known_at=known_at,
        clock_errors=clock_errors,
        done=DONE.get(done, ""),
    )


def _history(
    unit: UnitRead, store: ViewStore, found: UnitRegistered, clocks: ReadClocks
) -> list[HistoryPoint]:
    moves = store.movements([found.unit_id], known_at=clocks.known_at)
    rate = daily_rate(unit.side.policies(clocks.known_at), found.region)
    return unit_history(moves, clocks.as_of, rate)
