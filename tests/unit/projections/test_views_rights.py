"""The personal rights record: per person per month, across units, on both clocks."""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ledger.catalogue.loader import load_catalogue_dir, load_default_catalogue
from ledger.catalogue.policyset import PolicySet
from ledger.clocks import ReadClocks
from ledger.domain.period import Period
from ledger.projections.rights import (
    CreditState,
    PartState,
    RightsMonth,
    RightsRecord,
    rights_record,
)
from ledger.projections.store import MemoryViewStore
from tests.unit.projections import seeds
from tests.unit.projections.conftest import LEAVER, rid, uscc

NOTICES = Path(__file__).resolve().parents[3] / "examples" / "notices"


def record(
    store: MemoryViewStore,
    resident_id: str,
    as_of: date,
    known_at: datetime | None = None,
    policies: PolicySet = seeds.POLICIES,
) -> RightsRecord:
    return rights_record(store, resident_id, clocks=ReadClocks(as_of, known_at), policies=policies)


def month(rec: RightsRecord, period: str) -> RightsMonth:
    (found,) = [m for m in rec.months if m.period == Period.parse(period)]
    return found


# ------------------------------------------------------------ 2022 deferral (Wuhai)


def test_a_deferred_unit_part_counts_as_paid_and_the_account_is_credited(
    wuhai_events: list[Any],
) -> None:
    rec = record(seeds.store_of(wuhai_events), LEAVER, date(2022, 10, 1))

    july = month(rec, "2022-07")
    # base 6,000.00: individual 2% = 120.00 paid 2022-08-10; unit part 7% = 420.00 deferred
    assert (july.base, july.individual, july.individual_state) == (
        Decimal("6000.00"),
        Decimal("120.00"),
        PartState.paid,
    )
    assert (july.unit_part, july.unit_state) == (Decimal("420.00"), PartState.deferred)
    # since the reform the account gets the individual part in full (operator example), on
    # the day it is paid; the deferral does not hold it back (内医保办发〔2022〕19号 三(四)2)
    assert (july.credit, july.credit_state, july.credited_on) == (
        Decimal("120.00"),
        CreditState.credited,
        date(2022, 8, 10),
    )
    # September's individual part is due 10-15 and not yet paid: credit pending, insured
    september = month(rec, "2022-09")
    assert (september.credit_state, september.in_arrears) == (CreditState.pending, False)
    assert rec.continuous_months == 3


def test_a_resignation_shows_the_part_called_due_then_paid(wuhai_events: list[Any]) -> None:
    store = seeds.store_of(wuhai_events)

    called = record(store, LEAVER, date(2022, 10, 21))
    paid = record(store, LEAVER, date(2022, 10, 26))

    # called due on 2022-10-20 (420.00 a month), paid on 10-25
    assert [m.unit_state for m in called.months] == [PartState.called_due] * 3
    assert [m.unit_state for m in paid.months] == [PartState.paid] * 3
    # called due and unpaid the day after is arrears: the run is broken until it is paid
    assert (called.continuous_months, paid.continuous_months) == (0, 3)


def test_deferred_months_unpaid_after_the_deadline_break_continuity_until_repaid(
    wuhai_events: list[Any],
) -> None:
    store = seeds.store_of(wuhai_events)
    stayer = rid("15030219900101001")

    late = record(store, stayer, date(2023, 7, 15))
    repaid = record(store, stayer, date(2023, 8, 1))

    assert [m.unit_state for m in late.months] == [PartState.unpaid] * 3
    assert late.continuous_months == 0
    assert [m.unit_state for m in repaid.months] == [PartState.paid] * 3
    assert repaid.continuous_months == 3


# ---------------------------------------------------------- 2020 measures (Lincang)


def test_during_a_lincang_deferral_the_account_credit_is_withheld() -> None:
    rec = record(seeds.store_for(seeds.lincang_ledger), seeds.LINCANG_P1, date(2020, 7, 20))

    may = month(rec, "2020-05")
    # the whole contribution deferred (视同缴费), no personal-account credit meanwhile
    assert (may.individual_state, may.unit_state) == (PartState.deferred, PartState.deferred)
    assert (may.credit_state, may.credited_on) == (CreditState.withheld, None)
    # Feb..Jun all insured: deferred months are not arrears
    assert [m.continuous_months for m in rec.months] == [1, 2, 3, 4, 5]


def test_after_repayment_the_account_is_back_credited_on_the_repayment_day() -> None:
    rec = record(seeds.store_for(seeds.lincang_ledger), seeds.LINCANG_P1, date(2020, 12, 1))

    # base 4,000.00: individual 80.00 + 30% of the unit's 8% (320.00) = 96.00 -> 176.00
    # (operator example before the reform), withheld in May and June, 补划 on 2020-11-20
    assert [(str(m.period), m.credit, m.credit_state, m.credited_on) for m in rec.months] == [
        ("2020-02", Decimal("176.00"), CreditState.credited, date(2020, 3, 5)),
        ("2020-03", Decimal("176.00"), CreditState.credited, date(2020, 4, 10)),
        ("2020-04", Decimal("176.00"), CreditState.credited, date(2020, 5, 10)),
        ("2020-05", Decimal("176.00"), CreditState.back_credited, date(2020, 11, 20)),
        ("2020-06", Decimal("176.00"), CreditState.back_credited, date(2020, 11, 20)),
    ]


def test_reduced_months_show_the_persons_reduction_and_the_unchanged_credit() -> None:
    rec = record(seeds.store_for(seeds.lincang_ledger), seeds.LINCANG_P1, date(2020, 12, 1))

    feb = month(rec, "2020-02")
    # 320.00 unit part halved: 160.00, refunded; the credit ratio is unchanged (一(三))
    assert (feb.unit_part, feb.unit_reduction, feb.unit_state) == (
        Decimal("320.00"),
        Decimal("160.00"),
        PartState.reduced_paid,
    )
    assert feb.credit == Decimal("176.00")


def test_known_at_before_the_repayment_shows_the_deferred_months_in_arrears() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    rec = record(store, seeds.LINCANG_P1, date(2020, 12, 15), seeds.just_before_last_event(store))

    # deadline 2020-11-30 passed unpaid: May and June are arrears, credit still withheld
    assert [m.in_arrears for m in rec.months] == [False, False, False, True, True]
    assert [m.continuous_months for m in rec.months] == [1, 2, 3, 0, 0]
    assert month(rec, "2020-06").credit_state is CreditState.withheld


# ----------------------------------------------------------------- Chifeng 2020


def test_chifeng_halves_the_medical_share_only_and_arrears_show() -> None:
    rec = record(seeds.store_for(seeds.chifeng_ledger), seeds.CHIFENG_P1, date(2020, 7, 1))

    feb = month(rec, "2020-02")
    # base 5,000.00: medical 300.00 + maternity 50.00 = 350.00; 300.00 x 50% = 150.00 off
    assert (feb.unit_part, feb.unit_reduction, feb.unit_state) == (
        Decimal("350.00"),
        Decimal("150.00"),
        PartState.reduced_paid,
    )
    # 100.00 individual + 30% of 300.00 = 190.00, credited when February was paid
    assert (feb.credit, feb.credited_on) == (Decimal("190.00"), date(2020, 3, 10))
    # May assessed in full and unpaid past 2020-06-15: arrears, no credit yet
    may = month(rec, "2020-05")
    assert (may.unit_state, may.in_arrears, may.credit_state) == (
        PartState.unpaid,
        True,
        CreditState.pending,
    )
    assert [m.continuous_months for m in rec.months] == [1, 2, 3, 0]


def test_a_revoked_assessment_gives_way_to_the_re_assessment() -> None:
    rec = record(seeds.store_for(seeds.chifeng_ledger), seeds.CHIFENG_P4, date(2020, 7, 1))

    # March assessed at 3,000.00, revoked, re-assessed at 2,000.00: one March, at 2,000.00,
    # 120.00 medical halved = 60.00 off, 40.00 individual
    assert [(str(m.period), m.base, m.unit_reduction) for m in rec.months] == [
        ("2020-02", Decimal("3000.00"), Decimal("90.00")),
        ("2020-03", Decimal("2000.00"), Decimal("60.00")),
    ]
    # 2,000.00 x 2% = 40.00 + 30% of 120.00 = 36.00 -> 76.00, credited when paid (04-12)
    assert (rec.months[1].credit, rec.months[1].credited_on) == (
        Decimal("76.00"),
        date(2020, 4, 12),
    )


def test_without_an_allocation_rule_no_credit_is_guessed() -> None:
    locality = seeds.CATALOGUE["locality"].model_copy(update={"personal_account": ()})
    others = [f for f in seeds.CATALOGUE.values() if f.document.id != "locality"]
    policies = PolicySet([*others, locality])

    rec = record(
        seeds.store_for(seeds.chifeng_ledger), seeds.CHIFENG_P1, date(2020, 7, 1), None, policies
    )

    assert {(m.credit, m.credit_state) for m in rec.months} == {
        (Decimal("0.00"), CreditState.no_rule)
    }


# ------------------------------------------------------------ across two units

MOVER = rid("15030219950505001")
FIRST, SECOND = uscc("91150300MA0Q1MW01"), uscc("91150300MA0Q1MW02")


@functools.cache
def mover_store() -> MemoryViewStore:
    """A person at 5,000.00 (Wuhai 2022: 350.00 unit, 100.00 individual) in FIRST for
    2022-01..02, leaving on 03-10; in SECOND from 03-01, assessed 03..04; all paid on the
    10th of the following month. No deferral policy is enacted."""
    led = seeds.ledger_with()
    led.register_region("150300", "乌海市", "150000", seeds.A)
    seeds.register(led, FIRST, "甲", "150300", "150301", [(MOVER, "5000.00")], date(2021, 1, 1))
    seeds.register(led, SECOND, "乙", "150300", "150301", [], date(2021, 1, 1))
    for code, months in ((FIRST, (1, 2)), (SECOND, (3, 4))):
        if code == SECOND:
            led.join_person(SECOND, MOVER, "5000.00", date(2022, 3, 1), seeds.A)
        for m in months:
            led.assess(code, Period(2022, m), date(2022, m, 5), seeds.A)
            led.collect_payment(code, date(2022, m + 1, 10), "450.00", seeds.A)
        if code == FIRST:
            led.person_left(FIRST, MOVER, "transfer", date(2022, 3, 10), seeds.A)
    return seeds.store_of(seeds.events_of(led))


def test_the_record_runs_across_the_units_a_person_belonged_to() -> None:
    rec = record(mover_store(), MOVER, date(2022, 6, 1))

    assert [(str(m.period), m.uscc) for m in rec.months] == [
        ("2022-01", FIRST),
        ("2022-02", FIRST),
        ("2022-03", SECOND),
        ("2022-04", SECOND),
    ]
    assert [m.continuous_months for m in rec.months] == [1, 2, 3, 4]
    assert {m.credit for m in rec.months} == {Decimal("100.00")}


def test_known_at_before_the_move_shows_only_the_first_unit() -> None:
    store = mover_store()
    joined = [
        r.recorded_at
        for r in store.audit(resident_id=MOVER, types=["PersonJoined"])
        if r.detail["joined_on"] == "2022-03-01"
    ]

    rec = record(store, MOVER, date(2022, 6, 1), min(joined))

    assert {m.uscc for m in rec.months} == {FIRST}


def test_an_early_payment_credits_the_account_when_the_month_is_assessed() -> None:
    rec = record(seeds.store_for(seeds.early_payer_ledger), seeds.EARLY_PERSON, date(2020, 6, 1))

    # 100.00 individual + 30% of 400.00 = 220.00, on the assessment's day (paid 02-10)
    (january,) = rec.months
    assert (january.credit, january.credit_state, january.credited_on) == (
        Decimal("220.00"),
        CreditState.credited,
        date(2020, 2, 20),
    )


# ------------------------------------------------ fixed amounts and base limits


def test_a_fixed_amount_goes_with_the_individual_part_but_never_to_the_account() -> None:
    """The example Wuhai 2024 file: 5.00 a person a month on the individual part, base
    limits 4,200.00..21,000.00. A person declared at 3,000.00 is assessed at 4,200.00:
    84.00 + 5.00 = 89.00 individual; the account is credited the 84.00 only."""
    notice = next(f for f in load_catalogue_dir(NOTICES) if f.document.id == "example-wuhai-2024")
    led = seeds.ledger_with("national-2022-21", "inner-mongolia-2022-19")
    led.enact_policy(notice, seeds.A)
    led.register_region("150300", "乌海市", "150000", seeds.A)
    unit, person = uscc("91150302MA0Q9WH00"), rid("15030219850615009")
    seeds.register(
        led, unit, "示例", "150300", "150302001", [(person, "3000.00")], date(2023, 1, 1)
    )
    led.assess(unit, Period(2024, 1), date(2024, 2, 1), seeds.A)
    led.collect_payment(unit, date(2024, 2, 10), "404.00", seeds.A)
    policies = PolicySet([*load_default_catalogue(), notice])

    rec = record(seeds.store_of(seeds.events_of(led)), person, date(2024, 3, 1), policies=policies)

    january = month(rec, "2024-01")
    assert (january.base, january.declared_base) == (Decimal("4200.00"), Decimal("3000.00"))
    assert (january.individual, january.unit_part) == (Decimal("89.00"), Decimal("315.00"))
    assert (january.credit, january.credit_state) == (Decimal("84.00"), CreditState.credited)
