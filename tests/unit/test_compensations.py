"""Compensating decisions (ledger.compensations) on in-memory units: no storage.

Lincang (530900): unit 8%, individual 2%; its reduction halves the unit part of
2020-02..04 and refunds what was overpaid. Amended versions are the packaged file with
one field changed, validated like a loaded file.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import RuleViolation
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.measures import automatic_deferral, deferral, reduction, triggers
from ledger.measures.context import Change
from tests.unit.test_decisions import (
    LINCANG,
    WUHAI,
    A,
    B,
    assessed,
    classified,
    ctx,
    decided,
    new_unit,
    p,
    paid,
)

LINCANG_DOC = "lincang-2020-14"
CATALOGUE = {f.document.id: f for f in load_default_catalogue()}
V1 = PolicySet(list(CATALOGUE.values()))
AMENDED = Change(LINCANG_DOC, "临医保联发〔2020〕14号 v2")


def lincang_v2(**reduction: str) -> PolicySet:
    content = CATALOGUE[LINCANG_DOC].content()
    content["document"]["version"] = 2
    content["reduction"] |= reduction
    files = [f for f in CATALOGUE.values() if f.document.id != LINCANG_DOC]
    return PolicySet([*files, CatalogueFile.model_validate(content)])


def lincang_unit_paid_february() -> Unit:
    """A 5000.00, B 3333.33: unit 400.00 + 266.67 (266.6664), individual 100.00 + 66.67.
    February paid in full, then v1 reduces it: 200.00 + 133.33 (133.3332) = 333.33,
    refunded."""
    unit = new_unit(LINCANG)
    assessed(
        unit,
        "2020-02",
        (A, "5000.00", "400.00", "0.00", "100.00"),
        (B, "3333.33", "266.67", "0.00", "66.67"),
    )
    paid(
        unit,
        date(2020, 3, 10),
        ("2020-02", "unit_medical", "666.67"),
        ("2020-02", "individual", "166.67"),
    )
    reduction.apply_reduction(unit, p("2020-02"), V1, ctx(date(2020, 3, 14)))
    return unit


def compensating(unit: Unit, since: int) -> list[Unit.Decision]:
    return [e for e in unit.pending_events[since:] if isinstance(e, Unit.Decision)]


def test_a_lowered_reduction_reverses_the_refund_and_refunds_the_smaller_overpayment() -> None:
    unit = lincang_unit_paid_february()
    before = len(unit.pending_events)

    reduction.compensate(
        unit, lincang_v2(fraction="0.4"), AMENDED, ctx(date(2020, 4, 1), "amended")
    )

    # v2: 5000 x 0.032 = 160.00 + 3333.33 x 0.032 = 106.66656 -> 106.67 = 266.67
    events = compensating(unit, before)
    assert [type(e).__name__ for e in events] == [
        "RefundReversed",
        "ReductionReversed",
        "ReductionApplied",
        "RefundOwed",
    ]
    refund_back, reduction_back, reapplied, refund = events
    assert isinstance(refund_back, Unit.RefundReversed)
    assert isinstance(reduction_back, Unit.ReductionReversed)
    assert isinstance(reapplied, Unit.ReductionApplied)
    assert isinstance(refund, Unit.RefundOwed)
    assert refund_back.items == [["2020-02", "unit_medical", "333.33"]]
    assert reduction_back.by_person == [
        [A, "unit_medical", "200.00"],
        [B, "unit_medical", "133.33"],
    ]
    assert refund.items == [["2020-02", "unit_medical", "266.67"]]
    item = unit.items[(p("2020-02"), Part.unit_medical)]
    # paid 666.67, net 666.67 - 266.67 = 400.00, refunded 266.67: nothing owed either way
    assert (item.reduced, item.refunded, item.outstanding) == (
        Decimal("266.67"),
        Decimal("266.67"),
        Decimal("0.00"),
    )


def test_reversals_cite_the_replaced_version_and_name_the_new_one() -> None:
    unit = lincang_unit_paid_february()
    before = len(unit.pending_events)

    reduction.compensate(
        unit, lincang_v2(fraction="0.4"), AMENDED, ctx(date(2020, 4, 1), "amended")
    )

    reversals = [e for e in compensating(unit, before) if isinstance(e, Unit.Reversal)]
    assert {(e.document, e.superseded_by, e.caused_by) for e in reversals} == {
        (LINCANG_DOC, "临医保联发〔2020〕14号 v2", "amended")
    }
    assert all(e.policy.startswith("临医保联发〔2020〕14号 v1: ") for e in reversals)


def test_the_same_decision_under_the_new_version_records_nothing() -> None:
    unit = lincang_unit_paid_february()
    before = len(unit.pending_events)

    reduction.compensate(unit, lincang_v2(), AMENDED, ctx(date(2020, 4, 1), "amended"))

    assert compensating(unit, before) == []


def test_changing_refund_to_credit_reverses_the_refund_even_with_the_same_amounts() -> None:
    unit = lincang_unit_paid_february()
    before = len(unit.pending_events)

    reduction.compensate(
        unit, lincang_v2(overpaid="carry_forward"), AMENDED, ctx(date(2020, 4, 1), "amended")
    )

    assert [type(e).__name__ for e in compensating(unit, before)] == [
        "RefundReversed",
        "ReductionReversed",
        "ReductionApplied",
        "CreditCarriedForward",
    ]
    assert unit.credit == Decimal("333.33")


def test_a_revocation_reverses_only_periods_from_its_first_period_on() -> None:
    unit = lincang_unit_paid_february()
    assessed(unit, "2020-04", (A, "5000.00", "400.00", "0.00", "100.00"))
    reduction.apply_reduction(unit, p("2020-04"), V1, ctx(date(2020, 5, 1)))
    before = len(unit.pending_events)
    revoked = Change(LINCANG_DOC, "revoked", since=Period.first_from(date(2020, 4, 1)))

    reduction.compensate(unit, None, revoked, ctx(date(2020, 4, 1), "revoked"))

    events = compensating(unit, before)
    assert [(type(e).__name__, getattr(e, "period", "")) for e in events] == [
        ("ReductionReversed", "2020-04")
    ]
    assert sorted(str(period) for period in unit.reductions) == ["2020-02"]
    # April whole again: 400.00 + 100.00
    assert sum(i.outstanding for i in unit.items_of(p("2020-04"))) == Decimal("500.00")


@pytest.mark.parametrize(
    ("day", "first"),
    [(date(2020, 4, 1), "2020-04"), (date(2020, 4, 2), "2020-05"), (date(2020, 3, 31), "2020-04")],
)
def test_a_revocation_touches_periods_that_start_on_or_after_its_date(
    day: date, first: str
) -> None:
    assert str(Period.first_from(day)) == first


# ---------------------------------------------------------------- deferral


def wuhai_unit_deferred_for_july() -> Unit:
    """5000.00: unit 350.00 (7%), individual 100.00; July split under v1."""
    unit = new_unit(WUHAI)
    classified(unit, "small")
    assessed(unit, "2022-07", (A, "5000.00", "350.00", "0.00", "100.00"))
    automatic_deferral.consider(unit, V1, 9, ctx(date(2022, 8, 1)))
    assert decided(unit)[-2:] == ["DeferralGranted", "AssessmentSplit"]
    return unit


def inner_mongolia_v2(**deferral: str) -> PolicySet:
    document = "inner-mongolia-2022-19"
    content = CATALOGUE[document].content()
    content["document"]["version"] = 2
    content["automatic_deferral"] |= deferral
    files = [f for f in CATALOGUE.values() if f.document.id != document]
    return PolicySet([*files, CatalogueFile.model_validate(content)])


IM_CHANGE = Change("inner-mongolia-2022-19", "内医保办发〔2022〕19号 v2")


def test_a_shorter_window_withdraws_the_deferral_and_grants_the_new_one() -> None:
    unit = wuhai_unit_deferred_for_july()
    before = len(unit.pending_events)

    automatic_deferral.compensate(
        unit, inner_mongolia_v2(periods="2022-08..2022-09"), 9, IM_CHANGE, ctx(date(2022, 8, 15))
    )

    events = compensating(unit, before)
    assert [type(e).__name__ for e in events] == ["DeferralWithdrawn", "DeferralGranted"]
    july = unit.items[(p("2022-07"), Part.unit_medical)]
    # July is no longer deferred: 350.00 due on its own date again
    assert (july.deferred_until, july.outstanding) == (None, Decimal("350.00"))
    assert [str(d.periods) for d in unit.deferrals] == ["2022-08..2022-09"]


def test_the_same_deferral_under_the_new_version_records_nothing() -> None:
    unit = wuhai_unit_deferred_for_july()
    before = len(unit.pending_events)

    automatic_deferral.compensate(unit, inner_mongolia_v2(), 9, IM_CHANGE, ctx(date(2022, 8, 15)))

    assert compensating(unit, before) == []


def test_a_revocation_cuts_the_deferral_window_short() -> None:
    unit = wuhai_unit_deferred_for_july()
    assessed(unit, "2022-08", (A, "5000.00", "350.00", "0.00", "100.00"))
    deferral.split_period(unit, p("2022-08"), unit.deferrals[-1], ctx(date(2022, 9, 1)))
    before = len(unit.pending_events)
    revoked = Change(IM_CHANGE.document, "revoked", since=p("2022-08"))

    automatic_deferral.compensate(unit, None, 9, revoked, ctx(date(2022, 8, 1)))

    (withdrawn,) = compensating(unit, before)
    assert isinstance(withdrawn, Unit.DeferralWithdrawn)
    assert (withdrawn.periods, withdrawn.remaining, withdrawn.undeferred) == (
        "2022-08..2022-09",
        "2022-07..2022-07",
        [["2022-08", "unit_medical"]],
    )
    assert unit.items[(p("2022-07"), Part.unit_medical)].deferred_until == date(2023, 6, 30)
    assert unit.items[(p("2022-08"), Part.unit_medical)].deferred_until is None


def test_a_deferral_with_amounts_called_due_is_not_re_decided() -> None:
    unit = wuhai_unit_deferred_for_july()
    triggers.call_due_for_person(unit, A, unit.deferrals[-1].triggers[0], ctx(date(2022, 8, 20)))
    before = len(unit.pending_events)

    with pytest.raises(RuleViolation, match="called due"):
        automatic_deferral.compensate(
            unit, inner_mongolia_v2(repayment_deadline="2023-09-30"), 9, IM_CHANGE, ctx()
        )

    assert compensating(unit, before) == []
