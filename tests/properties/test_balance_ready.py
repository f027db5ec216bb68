"""The balance kept ready (``projections.balance_ready``) against the fold, the reference.

Random histories of a unit's movements (assessments, payments, reductions, credit
applied, refunds, carry-forwards, deferrals, withdrawals, calls due, revocations,
compensating reversals, in any order of business dates): the state folded once through
every movement, stored as text and read back, priced as of any day from the one its
last movement took effect, gives the fold's balance of the same day, item by item and
to the fen, with the same late fees and days called due.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.latefee import DailyRates
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import close_items, unit_balance
from ledger.projections.balance_ready import decode, encode, extend, ready_balance
from ledger.projections.items import called_due_on
from ledger.projections.journal import Kind, Movement

UNIT = UUID(int=7)
START = date(2022, 1, 1)
#: a rate that changes during the histories: the kept state must not hold one
RATES = DailyRates.of([(date.min, Decimal("0.0005")), (date(2022, 9, 1), Decimal("0.0003"))])
PERIODS = [Period.parse("2022-01"), Period.parse("2022-02")]
PARTS = [Part.unit_medical, Part.individual]
ITEM_KINDS = [
    Kind.assessed,
    Kind.paid,
    Kind.paid,
    Kind.reduced,
    Kind.credit_applied,
    Kind.refunded,
    Kind.carried_forward,
    Kind.deferred,
    Kind.undeferred,
    Kind.called_due,
    Kind.revoked,
]
amounts = st.integers(min_value=1, max_value=200_000).map(lambda n: Decimal(n) / 100)


@st.composite
def histories(draw: st.DrawFn) -> list[Movement]:
    moves: list[Movement] = []
    recorded = datetime(2022, 1, 1, tzinfo=UTC)
    # every item is assessed first (in recorded order), as the ledger does
    for version, (period, part) in enumerate(
        draw(st.lists(st.tuples(st.sampled_from(PERIODS), st.sampled_from(PARTS)), min_size=1)),
        start=1,
    ):
        on = START + timedelta(days=draw(st.integers(0, 60)))
        moves.append(
            Movement(
                UNIT,
                version,
                recorded,
                on,
                Kind.assessed,
                period,
                part,
                draw(amounts),
                on + timedelta(days=draw(st.integers(0, 30))),
            )
        )
    for version in range(len(moves) + 1, len(moves) + 1 + draw(st.integers(0, 14))):
        recorded += timedelta(hours=1)
        on = START + timedelta(days=draw(st.integers(0, 400)))
        if draw(st.integers(0, 9)) == 0:
            credit = draw(amounts)
            moves.append(
                Movement(UNIT, version, recorded, on, Kind.credit_received, None, None, credit)
            )
            continue
        kind = draw(st.sampled_from(ITEM_KINDS))
        amount = draw(amounts)
        reversible = kind in (
            Kind.reduced,
            Kind.refunded,
            Kind.carried_forward,
            Kind.credit_applied,
        )
        if reversible and draw(st.integers(0, 4)) == 0:
            amount = -amount  # a compensating decision reversing an earlier one
        due: date | None = None
        if kind in (Kind.assessed, Kind.deferred):
            due = on + timedelta(days=draw(st.integers(0, 200)))
        elif kind is Kind.called_due and draw(st.booleans()):
            due = on
        moves.append(
            Movement(
                UNIT,
                version,
                recorded,
                on,
                kind,
                draw(st.sampled_from(PERIODS)),
                draw(st.sampled_from(PARTS)),
                amount,
                due,
            )
        )
    return moves


@settings(max_examples=300, deadline=None)
@given(history=histories(), later=st.integers(min_value=0, max_value=500))
def test_the_balance_kept_ready_prices_as_the_fold_on_any_later_day(
    history: list[Movement], later: int
) -> None:
    kept = decode(encode(ready_balance(history)))
    assert kept is not None
    as_of = kept.valid_from + timedelta(days=later)
    ready = close_items(kept.items, kept.credit, as_of, RATES)
    folded = unit_balance(history, as_of, RATES)
    assert ready.credit_held == folded.credit_held
    assert [_figures(i) for i in ready.items] == [_figures(i) for i in folded.items]
    for item in folded.items:
        assert kept.called_due_on.get((item.period, item.part)) == called_due_on(
            history, item.period, item.part, as_of
        )


def _figures(item: object) -> tuple[object, ...]:
    names = (
        "period",
        "part",
        "due_date",
        "assessed",
        "reduced",
        "paid",
        "credit_applied",
        "refunded",
        "carried_forward",
        "deferred",
        "called_due",
        "overdue",
        "deadline",
        "late_fee",
        "outstanding",
    )
    return tuple(getattr(item, n) for n in names)


@settings(max_examples=300, deadline=None)
@given(
    drawn=histories(),
    split=st.integers(min_value=0, max_value=8),
    after=st.lists(st.integers(min_value=0, max_value=90), min_size=30, max_size=30),
    later=st.integers(min_value=0, max_value=500),
)
def test_a_kept_balance_carried_on_through_later_movements_prices_as_the_fold(
    drawn: list[Movement], split: int, after: list[int], later: int
) -> None:
    versions = sorted({m.version for m in drawn})
    cut = versions[min(split, len(versions) - 1)]
    kept = decode(encode(ready_balance([m for m in drawn if m.version <= cut])))
    assert kept is not None
    # most movements recorded after the state was kept take effect on or after its day
    # (payments, calls due); every other one is left as drawn (a back-dated decision)
    history = [
        m
        if m.version <= cut or n % 5 == 4
        else replace(m, on=kept.valid_from + timedelta(days=after[n % len(after)]))
        for n, m in enumerate(drawn)
    ]

    carried = extend(kept, [m for m in history if m.version > cut])

    if carried is None:  # a later movement takes effect among those folded: fold all
        assert any(m.version > cut and m.on < kept.valid_from for m in history)
        return
    again = decode(encode(carried))
    assert again is not None
    as_of = again.valid_from + timedelta(days=later)
    ready = close_items(again.items, again.credit, as_of, RATES)
    folded = unit_balance(history, as_of, RATES)
    assert ready.credit_held == folded.credit_held
    assert [_figures(i) for i in ready.items] == [_figures(i) for i in folded.items]
    assert again.through == max(m.version for m in history)
    for item in folded.items:
        assert again.called_due_on.get((item.period, item.part)) == called_due_on(
            history, item.period, item.part, as_of
        )
