"""A unit's balance: its items, late fees and credit, with both clocks."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ledger.api.deps import Clocks, ReadableUnit
from ledger.api.jsonbody import JSONRoute
from ledger.api.reporting import FILES, FormatQuery, HeadersQuery, respond
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.views import Balance
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore
from ledger.reports import BALANCE, Query, Table, ViewsAndPolicies

router = APIRouter(
    route_class=JSONRoute, prefix="/units/{uscc}", tags=["balances"], responses=READ_PROBLEMS
)


@router.get(
    "/balance",
    response_model=Balance,
    responses=FILES,
    summary="A unit's balance and late fees",
    operation_id="read_unit_balance",
)
async def balance(
    unit: ReadableUnit, clocks: Clocks, format: FormatQuery = "json", headers: HeadersQuery = "zh"
) -> Response:
    """Each assessed item (period and part): assessed, reduced, paid, deferred, called
    due, outstanding and its late fee (社会保险法 第八十六条, 0.05% a day of what is
    overdue; nothing accrues while deferred), as of ``as_of`` from what was recorded by
    ``known_at``."""

    def view(store: ViewStore, found: UnitRegistered) -> Table:
        query = Query(as_of=clocks.as_of, known_at=clocks.known_at, subject=found.uscc)
        return BALANCE.run(ViewsAndPolicies(store, unit.side.policies), query)

    return respond(await unit.run(view), format, headers)
