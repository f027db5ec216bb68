"""A unit's balance: its items, late fees and credit, with both clocks."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.api.deps import Clocks, ReadableUnit
from ledger.api.routers import READ_PROBLEMS
from ledger.api.schemas.views import Balance
from ledger.projections.balances import AMOUNTS, unit_balance_view
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore

router = APIRouter(prefix="/units/{uscc}", tags=["balances"], responses=READ_PROBLEMS)


@router.get("/balance", response_model=Balance, summary="A unit's balance and late fees")
async def balance(unit: ReadableUnit, clocks: Clocks) -> Balance:
    """Each assessed item (period and part): assessed, reduced, paid, deferred, called
    due, outstanding and its late fee (社会保险法 第八十六条, 0.05% a day of what is
    overdue; nothing accrues while deferred), as of ``as_of`` from what was recorded by
    ``known_at``."""

    def view(store: ViewStore, found: UnitRegistered) -> Balance:
        computed = unit_balance_view(
            store,
            found.uscc,
            as_of=clocks.as_of,
            known_at=clocks.known_at,
            policies=unit.side.policies(clocks.known_at),
        )
        body = Balance.model_validate(computed)
        body.totals = {name: computed.total(name) for name in AMOUNTS}
        return body

    return await unit.run(view)
