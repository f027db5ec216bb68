"""The seeds' worked examples as plain lists of events, and view stores filled from them.

Each scenario runs once on an in-memory ledger, enacting each policy on the day it was
issued (so the retroactive decisions of 2020 happen as they did); its events are read
back from the notification log, in order, as the runner reads them. The figures are
chosen to be checked by hand; the tests write the arithmetic next to each assertion.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.policyset import PolicySet
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.period import Period, PeriodRange
from ledger.projections.journal import Quarantined, rows_of
from ledger.projections.store import MemoryViewStore

A = Actor("case-worker:views", "views test", "req-views")
CATALOGUE = {f.document.id: f for f in load_default_catalogue()}
#: documents in force before any scenario starts: the law, the holidays, the locality
HOLIDAYS = tuple(d for d in CATALOGUE if d.startswith("holidays-"))
STANDING = ("locality", "national-late-fee", *HOLIDAYS)


def uscc(body: str) -> str:
    return body + uscc_check_char(body)


def rid(body: str) -> str:
    return body + resident_id_check_char(body)


def ledger_with(*documents: str) -> Ledger:
    led = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    enact(led, *STANDING, *documents)
    return led


def enact(led: Ledger, *documents: str) -> None:
    for document in documents:
        led.enact_policy(CATALOGUE[document], A)


def events_of(led: Ledger) -> list[Any]:
    """Every event recorded, in notification order (what the runner reads)."""
    found: list[Any] = []
    start = 1
    while page := led.recorder.select_notifications(start, 500):
        found.extend(led.mapper.to_domain_event(n) for n in page)
        start = page[-1].id + 1
    return found


def store_of(events: list[Any]) -> MemoryViewStore:
    store = MemoryViewStore()
    store.append([row for e in events for row in rows_of(e)], len(events))
    return store


def register(
    led: Ledger,
    code: str,
    name: str,
    region: str,
    agency: str,
    persons: list[tuple[str, str]],
    established: date,
    unit_type: str = "enterprise",
) -> None:
    led.register_unit(
        uscc=code,
        name=name,
        unit_type=unit_type,
        region=region,
        agency=agency,
        unit_number=f"N{code[-6:]}",
        established_on=established,
        actor=A,
    )
    for person, base in persons:
        led.join_person(code, person, base, established, A)


# ----------------------------------------------------------------- Lincang 2020

LINCANG_UNIT = uscc("91530902MA6K1LC01")
LINCANG_P1 = rid("53090219850615001")  # base 4,000.00
LINCANG_P2 = rid("53090219850615002")  # base 6,000.00


@functools.cache
def lincang_ledger() -> Ledger:
    """临医保联发〔2020〕14号 at rates 8% unit, 2% individual (operator example): bases
    4,000.00 + 6,000.00, so a month is 800.00 unit + 200.00 individual.

    February assessed on 2020-03-02 and paid on 03-05; the notice enacted on 03-14 halves
    February's unit part (400.00) and refunds it; March and April are assessed reduced
    (400.00 unit + 200.00 individual) and paid on 04-10 and 05-10. A deferral on
    application for 2020-05..10 filed 2020-05-06 is granted (备案), deadline 2020-11-30;
    May and June are assessed (06-01, 07-01) and deferred whole; both repaid on
    2020-11-20, in time: no late fee, personal accounts back-credited that day (补划).
    """
    led = ledger_with()
    led.register_region("530900", "临沧市", "530000", A)
    register(
        led,
        LINCANG_UNIT,
        "临沧市临翔区示例茶业有限公司",
        "530900",
        "530901",
        [(LINCANG_P1, "4000.00"), (LINCANG_P2, "6000.00")],
        date(2016, 3, 1),
    )
    led.assess(LINCANG_UNIT, Period(2020, 2), date(2020, 3, 2), A)
    led.collect_payment(LINCANG_UNIT, date(2020, 3, 5), "1000.00", A)
    enact(led, "lincang-2020-14")
    for month in (3, 4):
        led.assess(LINCANG_UNIT, Period(2020, month), date(2020, month + 1, 1), A)
        led.collect_payment(LINCANG_UNIT, date(2020, month + 1, 10), "600.00", A)
    led.apply_for_deferral(
        LINCANG_UNIT,
        PeriodRange.parse("2020-05..2020-10"),
        date(2020, 5, 6),
        ["书面申请", "资产负债表"],
        A,
    )
    for month in (5, 6):
        led.assess(LINCANG_UNIT, Period(2020, month), date(2020, month + 1, 1), A)
    led.collect_payment(LINCANG_UNIT, date(2020, 11, 20), "2000.00", A)
    return led


# ----------------------------------------------------------------- Chifeng 2020

CHIFENG_UNIT = uscc("91150402MA0N1CF01")
CHIFENG_SMALL = uscc("91150402MA0N1CF02")
CHIFENG_ORGAN = uscc("11150402MA0N1CF03")
CHIFENG_P1 = rid("15040219800101001")  # base 5,000.00
CHIFENG_P4 = rid("15040219800101004")  # CHIFENG_SMALL's one person


@functools.cache
def chifeng_ledger() -> Ledger:
    """赤医保发〔2020〕3号 at 6% medical + 1% maternity + 2% individual.

    CHIFENG_UNIT: bases 5,000 + 6,000 + 4,000 = 15,000.00, a month 900.00 + 150.00 +
    300.00. February assessed 2020-03-02, paid 03-10 (1,350.00); enacted 03-13: the 6%
    share of February halved (450.00) and held as credit (待转基金). March assessed
    04-01: 450.00 reduced and the 450.00 credit applied (individual 300.00 first, then
    150.00 of medical); paid 450.00 on 04-10. April assessed 05-01, paid 900.00 on 05-10.
    May (outside 02..04) assessed 06-01 in full, unpaid.

    CHIFENG_SMALL: one person at 3,000.00 (180.00 + 30.00 + 60.00). February assessed
    after the enactment (2020-03-16: 90.00 reduced), paid 180.00 on 03-20. March assessed
    04-03, revoked 04-05 and re-assessed 04-06 at a base of 2,000.00 (120.00 + 20.00 +
    40.00, 60.00 reduced), paid 120.00 on 04-12.
    CHIFENG_ORGAN: a government organ (机关), one person at 5,000.00: never reduced.
    """
    led = ledger_with()
    led.register_region("150400", "赤峰市", "150000", A)
    persons = [
        (CHIFENG_P1, "5000.00"),
        (rid("15040219800101002"), "6000.00"),
        (rid("15040219800101003"), "4000.00"),
    ]
    register(
        led,
        CHIFENG_UNIT,
        "赤峰市红山区示例商贸有限公司",
        "150400",
        "150401",
        persons,
        date(2012, 5, 1),
    )
    register(
        led,
        CHIFENG_SMALL,
        "赤峰市示例小店有限公司",
        "150400",
        "150401",
        [(CHIFENG_P4, "3000.00")],
        date(2015, 1, 1),
    )
    register(
        led,
        CHIFENG_ORGAN,
        "赤峰市示例局",
        "150400",
        "150402",
        [(rid("15040219800101005"), "5000.00")],
        date(2000, 1, 1),
        unit_type="government_organ",
    )
    led.assess(CHIFENG_UNIT, Period(2020, 2), date(2020, 3, 2), A)
    led.collect_payment(CHIFENG_UNIT, date(2020, 3, 10), "1350.00", A)
    enact(led, "chifeng-2020-3")
    led.assess(CHIFENG_UNIT, Period(2020, 3), date(2020, 4, 1), A)
    led.collect_payment(CHIFENG_UNIT, date(2020, 4, 10), "450.00", A)
    led.assess(CHIFENG_UNIT, Period(2020, 4), date(2020, 5, 1), A)
    led.collect_payment(CHIFENG_UNIT, date(2020, 5, 10), "900.00", A)
    led.assess(CHIFENG_UNIT, Period(2020, 5), date(2020, 6, 1), A)
    led.assess(CHIFENG_SMALL, Period(2020, 2), date(2020, 3, 16), A)
    led.collect_payment(CHIFENG_SMALL, date(2020, 3, 20), "180.00", A)
    led.assess(CHIFENG_SMALL, Period(2020, 3), date(2020, 4, 3), A)
    led.revoke_assessment(CHIFENG_SMALL, Period(2020, 3), date(2020, 4, 5), A)
    led.assess(CHIFENG_SMALL, Period(2020, 3), date(2020, 4, 6), A, lines=[(CHIFENG_P4, "2000.00")])
    led.collect_payment(CHIFENG_SMALL, date(2020, 4, 12), "120.00", A)
    led.assess(CHIFENG_ORGAN, Period(2020, 2), date(2020, 3, 2), A)
    return led


# ----------------------------------------------------- a payment before its assessment

EARLY_PAYER = uscc("91530902MA6K1EP01")
EARLY_PERSON = rid("53090219850615009")


@functools.cache
def early_payer_ledger() -> Ledger:
    """Lincang rates (8% unit, 2% individual), one person at 5,000.00: January 2020
    assessed on 2020-02-20 (400.00 + 100.00), the 500.00 collected on 02-10, before the
    assessment's date (as the demo's Lincang March: paid 03-12, assessed 04-01)."""
    led = ledger_with()
    led.register_region("530900", "临沧市", "530000", A)
    register(
        led,
        EARLY_PAYER,
        "早缴单位",
        "530900",
        "530901",
        [(EARLY_PERSON, "5000.00")],
        date(2019, 1, 1),
    )
    led.assess(EARLY_PAYER, Period(2020, 1), date(2020, 2, 20), A)
    led.collect_payment(EARLY_PAYER, date(2020, 2, 10), "500.00", A)
    return led


# ------------------------------------------------------- Inner Mongolia 2022 (two cities)

WUHAI_A = uscc("91150300MA0Q1WH01")  # Wuhai (prefecture pooling region), 2 persons
WUHAI_IDLE = uscc("91150300MA0Q1WH02")  # small, on the list, nothing assessed in August
HONGSHAN_B = uscc("91150402MA0Q1HN01")  # Chifeng's Hongshan district (a county), 1 person
HONGSHAN_LARGE = uscc("91150402MA0Q1HN02")  # large: refused
WUHAI_SHIFTED = uscc("92150300MA0Q1WH03")  # paid July first: window 2022-08..10


@functools.cache
def inner_mongolia_ledger() -> Ledger:
    """内医保办发〔2022〕19号 in two pooling regions, for the list and its statistics.

    WUHAI_A (150300, agency 150301): bases 5,000.00 x 2 at 7%: 350.00 a person, 700.00
    a month deferred. HONGSHAN_B (150402, agency 150421): 4,000.00 at 6% + 1%: 240.00 +
    40.00 = 280.00 deferred. WUHAI_SHIFTED (150300, agency 150301, an individual
    business) paid its July (450.00) before it was classified: window 2022-08..10, 350.00
    of August deferred. WUHAI_IDLE is a small unit on the list with no August assessment;
    HONGSHAN_LARGE is large and refused. August is assessed on 2022-08-05.
    """
    led = ledger_with("national-2022-21", "inner-mongolia-2022-19")
    led.register_region("150300", "乌海市", "150000", A)
    led.register_region("150402", "红山区", "150400", A)
    for code in ("150300", "150402"):
        led.declare_fund_months(code, 10, date(2022, 7, 1), A)
    units = [
        (WUHAI_A, "150300", "150301", ["15030219900101001", "15030219900101002"], "5000.00"),
        (WUHAI_IDLE, "150300", "150301", ["15030219900101003"], "5000.00"),
        (HONGSHAN_B, "150402", "150421", ["15040219900101001"], "4000.00"),
        (HONGSHAN_LARGE, "150402", "150421", ["15040219900101002"], "9000.00"),
    ]
    for code, region, agency, bodies, base in units:
        persons = [(rid(body), base) for body in bodies]
        register(led, code, f"单位{code[-4:]}", region, agency, persons, date(2015, 1, 1))
        size = "large" if code == HONGSHAN_LARGE else "small"
        led.classify_unit(
            code, industry="other", size_class=size, classified_on=date(2022, 7, 29), actor=A
        )
    # paid July before it was classified: its window moves to 2022-08..10 (二)
    register(
        led,
        WUHAI_SHIFTED,
        "单位SHFT",
        "150300",
        "150301",
        [(rid("15030219900101004"), "5000.00")],
        date(2015, 1, 1),
        unit_type="individual_business",
    )
    led.assess(WUHAI_SHIFTED, Period(2022, 7), date(2022, 7, 5), A)
    led.collect_payment(WUHAI_SHIFTED, date(2022, 7, 20), "450.00", A)
    led.classify_unit(
        WUHAI_SHIFTED,
        industry="other",
        size_class="micro",
        classified_on=date(2022, 7, 29),
        actor=A,
    )
    for code in (WUHAI_A, HONGSHAN_B, HONGSHAN_LARGE, WUHAI_SHIFTED):
        led.assess(code, Period(2022, 8), date(2022, 8, 5), A)
    return led


# ------------------------------------------------------------------ Jinan 2022

JINAN_UNIT = uscc("91370102MA3C1JN01")


@functools.cache
def jinan_ledger() -> Ledger:
    """济医保发〔2022〕12号, the written commitment: two persons at 8,000.00, rates 8% +
    1% + 2% (operator example): a month 1,280.00 + 160.00 unit, 320.00 individual. August
    and September assessed (08-05, 09-05), individual parts paid (09-10, 10-10); the
    commitment for 2022-08..10 filed 09-30 and accepted 10-10: the unit parts (1,440.00 a
    month) deferred to the Jinan deadline 2022-12-31 (operator example); October assessed
    10-08 and deferred as assessed."""
    led = ledger_with("jinan-2022-12")
    led.register_region("370100", "济南市", "370000", A)
    led.declare_fund_months("370100", 8, date(2022, 7, 1), A)
    persons = [(rid(f"37010219870303{n:03d}"), "8000.00") for n in (1, 2)]
    register(
        led,
        JINAN_UNIT,
        "济南市历下区示例科技有限公司",
        "370100",
        "370101",
        persons,
        date(2020, 6, 1),
    )
    for month in (8, 9):
        led.assess(JINAN_UNIT, Period(2022, month), date(2022, month, 5), A)
        led.collect_payment(
            JINAN_UNIT,
            date(2022, month + 1, 10),
            "320.00",
            A,
            items=[(Period(2022, month), "individual", "320.00")],
        )
    months = [Period(2022, m) for m in (8, 9, 10)]
    led.file_commitment(JINAN_UNIT, months, date(2022, 9, 30), A)
    led.review_commitment(JINAN_UNIT, True, date(2022, 10, 10), A)
    led.assess(JINAN_UNIT, Period(2022, 10), date(2022, 10, 8), A)
    return led


#: the packaged catalogue, as the views resolve rates, late fees and allocations from it
POLICIES = PolicySet(load_default_catalogue())


@functools.cache
def store_for(scenario: Callable[[], Ledger]) -> MemoryViewStore:
    """The view store of one of the scenarios above, filled once."""
    return store_of(events_of(scenario()))


def just_before_last_event(store: MemoryViewStore) -> datetime:
    """An instant after every event but the last was recorded (the second clock)."""
    return max(r.recorded_at for r in store.rows if not isinstance(r, Quarantined)) - timedelta(
        microseconds=1
    )
