"""The invariants where the random machine rarely goes: a retroactive reduction of months
already paid (refund in 临沧, credit carried forward in 赤峰), and a 2022 deferral with
payments on any day (乌海). Each example builds its scenario from drawn bases, shares
paid and days, then checks the same invariants as the machine (invariants.py)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.money import ZERO, round_fen
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import unit_balance
from ledger.projections.journal import Movement, rows_of
from tests.properties.invariants import (
    DAILY_RATE,
    END_OF_TIME,
    check_conservation,
    check_late_fees,
    check_read_side_agrees,
)

ACTOR = Actor("case-worker:properties", "property test", "req-properties")
CATALOGUE = {f.document.id: f for f in load_default_catalogue()}
HOLIDAYS = tuple(d for d in CATALOGUE if d.startswith("holidays-"))
STANDING = ("locality", *HOLIDAYS, "national-late-fee")
SETTINGS = settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "15")),
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
bases = st.lists(
    st.decimals(min_value=Decimal("1000"), max_value=Decimal("40000"), places=2),
    min_size=1,
    max_size=3,
)
shares = st.sampled_from(["0", "0.3", "0.5", "1", "1.2"]).map(Decimal)


def ledger_with(*documents: str) -> Ledger:
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    for document in (*STANDING, *documents):
        ledger.enact_policy(CATALOGUE[document], ACTOR)
    return ledger


def unit_with_persons(ledger: Ledger, region: str, name: str, drawn: list[Decimal]) -> str:
    ledger.register_region(region, name, region[:2] + "0000", ACTOR)
    body = f"91{region}MA0000001"
    uscc = body + uscc_check_char(body)
    ledger.register_unit(
        uscc=uscc,
        name=name,
        unit_type="enterprise",
        region=region,
        agency=f"{region}001",
        unit_number="1",
        established_on=date(2015, 3, 1),
        actor=ACTOR,
    )
    for n, base in enumerate(drawn, 1):
        rid = f"{region}19850101{n:03d}"
        ledger.join_person(uscc, rid + resident_id_check_char(rid), base, date(2015, 3, 1), ACTOR)
    return uscc


def movements_of(ledger: Ledger, uscc: str) -> tuple[list[Any], list[Movement]]:
    events = ledger.unit_history(uscc)
    rows = [r for e in events for r in rows_of(e)]
    return events, [r for r in rows if isinstance(r, Movement)]


def owed(ledger: Ledger, uscc: str) -> Decimal:
    return sum((i.outstanding for i in ledger.unit(uscc).items.values()), ZERO)


@SETTINGS
@given(
    region=st.sampled_from(
        [("530900", "临沧市", "lincang-2020-14"), ("150400", "赤峰市", "chifeng-2020-3")]
    ),
    drawn=bases,
    paid=st.lists(shares, min_size=2, max_size=2),
    later=shares,
)
def test_a_retroactive_reduction_of_paid_months_conserves_money(
    region: tuple[str, str, str], drawn: list[Decimal], paid: list[Decimal], later: Decimal
) -> None:
    code, name, document = region
    ledger = ledger_with()
    uscc = unit_with_persons(ledger, code, name, drawn)
    for month, share in zip((2, 3), paid, strict=True):
        ledger.assess(uscc, Period(2020, month), date(2020, month + 1, 2), ACTOR)
        amount = round_fen(owed(ledger, uscc) * share)
        if amount > ZERO:
            ledger.collect_payment(uscc, date(2020, month + 1, 10), amount, ACTOR)

    ledger.enact_policy(CATALOGUE[document], ACTOR)
    ledger.assess(uscc, Period(2020, 4), date(2020, 5, 2), ACTOR)
    amount = round_fen(owed(ledger, uscc) * later)
    if amount > ZERO:
        ledger.collect_payment(uscc, date(2020, 5, 10), amount, ACTOR)

    unit = ledger.unit(uscc)
    events, movements = movements_of(ledger, uscc)
    balance = unit_balance(movements, END_OF_TIME, DAILY_RATE)
    check_conservation(unit, events, balance)
    check_read_side_agrees(unit, balance)
    assert all(i.reduced > ZERO for i in unit.items.values() if i.part is Part.unit_medical)
    ledger.close()


@SETTINGS
@given(
    drawn=bases,
    individual_paid_after=st.lists(
        st.integers(min_value=-20, max_value=60), min_size=3, max_size=3
    ),
    repaid=st.integers(min_value=-200, max_value=120),
    leaves=st.booleans(),
)
def test_no_late_fee_accrues_on_the_deferred_unit_part(
    drawn: list[Decimal], individual_paid_after: list[int], repaid: int, leaves: bool
) -> None:
    """乌海 2022: the unit part of 07..09 is deferred to 2023-06-30; the individual part is
    paid some days before or after its due date; the unit part repaid around the deadline."""
    ledger = ledger_with("national-2022-21", "inner-mongolia-2022-19")
    uscc = unit_with_persons(ledger, "150300", "乌海市", drawn)
    ledger.declare_fund_months("150300", 10, date(2022, 7, 1), ACTOR)
    ledger.classify_unit(
        uscc, industry="retail", size_class="small", classified_on=date(2022, 7, 20), actor=ACTOR
    )
    for month, days in zip((7, 8, 9), individual_paid_after, strict=True):
        period = Period(2022, month)
        ledger.assess(uscc, period, date(2022, month, 25), ACTOR)
        item = ledger.unit(uscc).items[(period, Part.individual)]
        ledger.collect_payment(
            uscc,
            item.due_date + timedelta(days=days),
            item.outstanding,
            ACTOR,
            items=[(period, "individual", item.outstanding)],
        )
    if leaves:
        rid = next(iter(ledger.unit(uscc).members))
        ledger.person_left(uscc, rid, "resignation", date(2022, 11, 20), ACTOR)
    deadline = date(2023, 6, 30)
    ledger.collect_payment(uscc, deadline + timedelta(days=repaid), owed(ledger, uscc), ACTOR)

    _, movements = movements_of(ledger, uscc)
    check_late_fees(movements, deadline + timedelta(days=repaid))
    deferred = [i for i in ledger.unit(uscc).items.values() if i.deferred_until is not None]
    assert deferred, "the unit part was not deferred"
    if not leaves and repaid <= 0:
        on_time = unit_balance(movements, deadline, DAILY_RATE)
        unit_parts = [i for i in on_time.items if i.part is not Part.individual]
        assert all(i.late_fee == ZERO for i in unit_parts), [str(i.late_fee) for i in unit_parts]
    ledger.close()
