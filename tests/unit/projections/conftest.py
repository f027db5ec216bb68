"""Plain lists of events for the folds: scenarios run on an in-memory ledger once,
their events handed to the pure read-side functions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.period import Period

A = Actor("case-worker:fold", "fold test", "req-fold")


def uscc(body: str) -> str:
    return body + uscc_check_char(body)


def rid(body: str) -> str:
    return body + resident_id_check_char(body)


def memory_ledger() -> Ledger:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    for file in load_default_catalogue():
        ledger.enact_policy(file, A)
    return ledger


WUHAI_SME = uscc("91150302MA0Q1WH00")
LEAVER = rid("15030219920202099")


@pytest.fixture(scope="session")
def wuhai_events() -> list[Any]:
    """The demo's Wuhai retailer: 21 persons, 106,000.00 of bases, unit part 7,420.00 a
    month deferred 2022-07..09, a resignation calling 1,260.00 due on 2022-10-20 paid on
    10-25, and the remaining 21,000.00 repaid on 2023-07-31, a month after the deadline."""
    led = memory_ledger()
    led.register_region("150300", "乌海市", "150000", A)
    led.declare_fund_months("150300", 10, date(2022, 7, 1), A)
    led.register_unit(
        uscc=WUHAI_SME,
        name="乌海市示例零售有限公司",
        unit_type="enterprise",
        region="150300",
        agency="150301",
        unit_number="1",
        actor=A,
        established_on=date(2018, 1, 1),
    )
    for n in range(1, 21):
        led.join_person(WUHAI_SME, rid(f"15030219900101{n:03d}"), "5000.00", date(2018, 1, 1), A)
    led.join_person(WUHAI_SME, LEAVER, "6000.00", date(2018, 1, 1), A)
    led.classify_unit(
        WUHAI_SME, industry="retail", size_class="small", classified_on=date(2022, 7, 20), actor=A
    )
    for month in (7, 8, 9):
        led.assess(WUHAI_SME, Period(2022, month), date(2022, month, 5), A)
        led.collect_payment(
            WUHAI_SME,
            date(2022, month + 1, 10),
            "2120.00",
            A,
            items=[(Period(2022, month), "individual", "2120.00")],
        )
    led.person_left(WUHAI_SME, LEAVER, "resignation", date(2022, 10, 20), A)
    led.collect_payment(WUHAI_SME, date(2022, 10, 25), "1260.00", A)
    led.collect_payment(WUHAI_SME, date(2023, 7, 31), "21000.00", A)
    return led.unit_history(WUHAI_SME)
