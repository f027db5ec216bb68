"""The decider (ledger.decisions) on in-memory units and the packaged catalogue: no storage.

Facts are triggered on a Unit aggregate the way the application records them; the
figures in each fact are worked out by hand in the test. Rates (locality.toml):
Lincang 530900 unit 8%, individual 2%; Chifeng 150400 unit 6% + 1%, individual 2%;
Wuhai 150300 unit 7%, individual 2%; Jinan 370100 unit 8% + 1%, individual 2%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import RuleViolation
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.period import Period, PeriodRange
from ledger.domain.region import unit_id
from ledger.domain.terms import Part, Trigger
from ledger.domain.unit import Unit
from ledger.measures import (
    allocation,
    application_deferral,
    automatic_deferral,
    deferral,
    reduction,
    triggers,
)
from ledger.measures.context import Context

META = {"actor": "unit-test", "reason": "", "request_id": ""}
LINCANG, CHIFENG, WUHAI, JINAN = "530900", "150400", "150300", "370100"
POLICIES = PolicySet(load_default_catalogue())


def p(text: str) -> Period:
    return Period.parse(text)


def ctx(on: date = date(2022, 8, 1), caused_by: str = "unit test") -> Context:
    return Context("unit-test", "", "", on, caused_by)


def person(n: int) -> str:
    body = f"15030019900101{n:03d}"
    return body + resident_id_check_char(body)


A, B = person(1), person(2)


def new_unit(
    region: str, unit_type: str = "enterprise", established_on: date = date(2010, 5, 1)
) -> Unit:
    body = f"91{region}MA0000001"
    uscc = body + uscc_check_char(body)
    return Unit.register(
        unit_id(uscc),
        uscc=uscc,
        uscc_check_overridden=False,
        name="测试单位",
        unit_type=unit_type,
        region=region,
        agency=f"{region}001",
        unit_number="U1",
        established_on=established_on,
        **META,
    )


def assessed(unit: Unit, period: str, *lines: tuple[str, str, str, str, str]) -> None:
    """PeriodAssessed with [resident, base, unit medical, unit maternity, individual] lines."""
    totals = {
        part: sum((Decimal(line[n]) for line in lines), Decimal("0.00"))
        for n, part in enumerate(Part, start=2)
    }
    due = (p(period) + 1).first_day.replace(day=15)
    unit.trigger_event(
        Unit.PeriodAssessed,
        period=period,
        lines=[list(line) for line in lines],
        totals=[[period, part.value, str(t)] for part, t in totals.items() if t],
        due_date=due,
        assessed_on=due,
        rates="unit test",
        **META,
    )


def paid(unit: Unit, on: date, *allocations: tuple[str, str, str]) -> None:
    total = sum((Decimal(a) for _, _, a in allocations), Decimal("0.00"))
    unit.trigger_event(
        Unit.PaymentCollected,
        paid_on=on,
        amount=total,
        allocations=[list(a) for a in allocations],
        unallocated=Decimal("0.00"),
        **META,
    )


def classified(unit: Unit, size_class: str) -> None:
    unit.trigger_event(
        Unit.Classified,
        size_class=size_class,
        industry="other",
        source="data",
        classified_on=date(2022, 7, 20),
        **META,
    )


def decided(unit: Unit) -> list[str]:
    """The decisions triggered in memory since the unit was registered."""
    return [type(e).__name__ for e in unit.pending_events if isinstance(e, Unit.Decision)]


# ---------------------------------------------------------------- reduction


def test_reduction_halves_lincangs_unit_part_rounding_per_person() -> None:
    unit = new_unit(LINCANG)
    # 3333.33 x 0.08 = 266.6664 -> 266.67; 4444.44 x 0.08 = 355.5552 -> 355.56
    assessed(
        unit,
        "2020-02",
        (A, "3333.33", "266.67", "0.00", "66.67"),
        (B, "4444.44", "355.56", "0.00", "88.89"),
    )

    reduction.apply_reduction(unit, p("2020-02"), POLICIES, ctx())

    # 3333.33 x 0.04 = 133.33332 -> 133.33; 4444.44 x 0.04 = 177.7776 -> 177.78; 311.11
    reductions = unit.reductions[p("2020-02")]
    assert reductions.by_person == {
        (A, Part.unit_medical): Decimal("133.33"),
        (B, Part.unit_medical): Decimal("177.78"),
    }
    assert unit.items[(p("2020-02"), Part.unit_medical)].reduced == Decimal("311.11")
    assert unit.items[(p("2020-02"), Part.individual)].reduced == Decimal("0.00")


def test_reduction_in_chifeng_touches_the_medical_share_only() -> None:
    unit = new_unit(CHIFENG)
    # 4321.09: 259.2654 -> 259.27 medical, 43.2109 -> 43.21 maternity, 86.4218 -> 86.42
    assessed(unit, "2020-03", (A, "4321.09", "259.27", "43.21", "86.42"))

    reduction.apply_reduction(unit, p("2020-03"), POLICIES, ctx())

    # 4321.09 x 0.06 x 0.5 = 129.6327 -> 129.63
    assert unit.reductions[p("2020-03")].by_person == {(A, Part.unit_medical): Decimal("129.63")}
    assert unit.items[(p("2020-03"), Part.unit_maternity)].net == Decimal("43.21")


@pytest.mark.parametrize(
    ("region", "unit_type", "period"),
    [
        (LINCANG, "enterprise", "2020-01"),
        (LINCANG, "enterprise", "2020-05"),
        (LINCANG, "public_institution", "2020-02"),
        (CHIFENG, "government_organ", "2020-02"),
        (WUHAI, "enterprise", "2022-07"),  # no reduction enacted for 2022
    ],
)
def test_reduction_skips_other_periods_ineligible_units_and_other_regions(
    region: str, unit_type: str, period: str
) -> None:
    unit = new_unit(region, unit_type)
    assessed(unit, period, (A, "5000.00", "400.00", "0.00", "100.00"))

    reduction.apply_reduction(unit, p(period), POLICIES, ctx())

    assert decided(unit) == []


def test_reduction_is_decided_once_per_period() -> None:
    unit = new_unit(LINCANG)
    assessed(unit, "2020-02", (A, "5000.00", "400.00", "0.00", "100.00"))
    reduction.apply_reduction(unit, p("2020-02"), POLICIES, ctx())

    reduction.apply_reduction(unit, p("2020-02"), POLICIES, ctx())

    assert decided(unit) == ["ReductionApplied"]
    assert unit.items[(p("2020-02"), Part.unit_medical)].reduced == Decimal("200.00")


def test_reduction_of_an_unassessed_period_decides_nothing() -> None:
    unit = new_unit(LINCANG)

    reduction.apply_reduction(unit, p("2020-02"), POLICIES, ctx())

    assert decided(unit) == []


def test_lincang_refunds_what_a_reduced_period_was_overpaid() -> None:
    unit = new_unit(LINCANG)
    assessed(unit, "2020-02", (A, "5000.00", "400.00", "0.00", "100.00"))
    paid(unit, date(2020, 3, 10), ("2020-02", "unit_medical", "300.00"))

    reduction.apply_reduction(unit, p("2020-02"), POLICIES, ctx())

    # net 400.00 - 200.00 = 200.00; paid 300.00: 100.00 refunded
    assert decided(unit) == ["ReductionApplied", "RefundOwed"]
    assert unit.items[(p("2020-02"), Part.unit_medical)].refunded == Decimal("100.00")
    assert unit.credit == Decimal("0.00")


def test_chifeng_carries_what_a_reduced_period_was_overpaid_forward_as_credit() -> None:
    unit = new_unit(CHIFENG)
    assessed(unit, "2020-02", (A, "5000.00", "300.00", "50.00", "100.00"))
    paid(
        unit,
        date(2020, 3, 10),
        ("2020-02", "unit_medical", "300.00"),
        ("2020-02", "unit_maternity", "50.00"),
    )

    reduction.apply_reduction(unit, p("2020-02"), POLICIES, ctx())

    # 5000 x 0.03 = 150.00 reduced; paid 300.00 for a net 150.00: 150.00 credit
    assert decided(unit) == ["ReductionApplied", "CreditCarriedForward"]
    assert unit.credit == Decimal("150.00")
    assert unit.items[(p("2020-02"), Part.unit_medical)].outstanding == Decimal("0.00")


# ------------------------------------------------------------------- credit


def test_credit_offsets_the_oldest_open_items_individual_part_first() -> None:
    unit = new_unit(CHIFENG)
    unit.credit = Decimal("180.00")
    assessed(unit, "2020-05", (A, "5000.00", "300.00", "50.00", "100.00"))
    assessed(unit, "2020-06", (A, "5000.00", "300.00", "50.00", "100.00"))

    allocation.apply_credit(unit, ctx())

    # 180.00: May individual 100.00, then May medical 80.00; June untouched
    (applied,) = [e for e in unit.pending_events if isinstance(e, Unit.CreditApplied)]
    assert applied.items == [
        ["2020-05", "individual", "100.00"],
        ["2020-05", "unit_medical", "80.00"],
    ]
    assert unit.credit == Decimal("0.00")


def test_credit_is_not_offset_against_deferred_items() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "small")
    assessed(unit, "2022-07", (A, "5000.00", "350.00", "0.00", "100.00"))
    automatic_deferral.consider(unit, POLICIES, 9, ctx())
    unit.credit = Decimal("500.00")

    allocation.apply_credit(unit, ctx())

    # only July's individual 100.00 is due; the deferred 350.00 is not offset
    applied = [e for e in unit.pending_events if isinstance(e, Unit.CreditApplied)]
    assert [e.items for e in applied] == [[["2022-07", "individual", "100.00"]]]
    assert unit.credit == Decimal("400.00")


def test_no_credit_decides_nothing() -> None:
    unit = new_unit(CHIFENG)
    assessed(unit, "2020-05", (A, "5000.00", "300.00", "50.00", "100.00"))

    allocation.apply_credit(unit, ctx())

    assert decided(unit) == []


# --------------------------------------------------------- 2022 deferral


def test_automatic_deferral_waits_for_a_size_class() -> None:
    unit = new_unit(WUHAI)

    outcome = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert outcome == "not decided: unit not yet classified (data or written commitment)"
    assert decided(unit) == []


def test_automatic_deferral_waits_for_the_fund_months() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "micro")

    outcome = automatic_deferral.consider(unit, POLICIES, None, ctx())

    assert outcome == "not decided: the region's fund payable months are not declared"


@pytest.mark.parametrize(
    ("unit_type", "size_class", "fund_months", "outcome"),
    [
        ("government_organ", "small", 9, "refused: unit type"),
        ("public_institution", "small", 9, "refused: unit type"),
        ("enterprise", "large", 9, "refused: size class"),
        ("enterprise", "small", 6, "refused: fund months"),
        ("enterprise", "small", 7, "granted 2022-07..2022-09"),
        ("individual_business", "micro", 7, "granted 2022-07..2022-09"),
        ("social_organisation", "medium", 7, "granted 2022-07..2022-09"),
    ],
)
def test_automatic_deferral_by_unit_type_size_class_and_fund_months(
    unit_type: str, size_class: str, fund_months: int, outcome: str
) -> None:
    unit = new_unit(WUHAI, unit_type)
    classified(unit, size_class)

    result = automatic_deferral.consider(unit, POLICIES, fund_months, ctx())

    assert result == outcome
    expected = "DeferralGranted" if outcome.startswith("granted") else "DeferralRefused"
    assert decided(unit) == [expected]


def test_automatic_deferral_is_decided_once() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "small")
    automatic_deferral.consider(unit, POLICIES, 9, ctx())

    again = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert again == ""
    assert decided(unit) == ["DeferralGranted"]


def test_a_refused_deferral_is_not_reconsidered() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "small")
    automatic_deferral.consider(unit, POLICIES, 6, ctx())

    again = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert again == ""
    assert decided(unit) == ["DeferralRefused"]


def test_a_region_whose_deadline_is_left_to_the_locality_is_not_decided() -> None:
    """医保发〔2022〕21号 leaves the deadline local; Lincang has none in locality.toml."""
    unit = new_unit(LINCANG)
    classified(unit, "small")

    outcome = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert outcome.startswith("not decided: 医保发〔2022〕21号 leaves automatic_deferral.")
    assert decided(unit) == []


def test_a_deregistering_unit_is_not_granted_a_deferral() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "small")
    unit.trigger_event(Unit.DeregistrationRequested, requested_on=date(2022, 8, 1), **META)

    outcome = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert outcome == "not decided: the unit has requested deregistration"
    assert decided(unit) == []


def test_a_unit_that_paid_july_has_its_window_shifted_by_a_month() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "small")
    assessed(unit, "2022-07", (A, "5000.00", "350.00", "0.00", "100.00"))
    paid(
        unit,
        date(2022, 7, 25),
        ("2022-07", "unit_medical", "350.00"),
        ("2022-07", "individual", "100.00"),
    )

    outcome = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert outcome == "granted 2022-08..2022-10"
    assert decided(unit) == ["DeferralGranted", "DeferralShifted"]


@pytest.mark.parametrize(
    ("established_on", "outcome"),
    [
        (date(2022, 6, 30), "granted 2022-07..2022-09"),
        (date(2022, 8, 1), "granted 2022-08..2022-09"),
        (date(2022, 10, 1), "not decided: unit established after the deferral window"),
    ],
)
def test_a_new_sme_defers_from_the_month_it_was_set_up(established_on: date, outcome: str) -> None:
    unit = new_unit(WUHAI, established_on=established_on)
    classified(unit, "micro")

    assert automatic_deferral.consider(unit, POLICIES, 9, ctx()) == outcome


def test_a_new_sme_that_paid_its_first_month_is_not_shifted_past_september() -> None:
    unit = new_unit(WUHAI, established_on=date(2022, 8, 3))
    classified(unit, "micro")
    assessed(unit, "2022-08", (A, "5000.00", "350.00", "0.00", "100.00"))
    paid(
        unit,
        date(2022, 8, 25),
        ("2022-08", "unit_medical", "350.00"),
        ("2022-08", "individual", "100.00"),
    )

    outcome = automatic_deferral.consider(unit, POLICIES, 9, ctx())

    assert outcome == "granted 2022-08..2022-09"
    assert decided(unit) == ["DeferralGranted"]


def test_a_committed_unit_defers_the_months_it_chose() -> None:
    unit = new_unit(JINAN)
    unit.trigger_event(
        Unit.CommitmentFiled,
        periods="2022-09..2022-10",
        filed_on=date(2022, 8, 5),
        review_by=date(2022, 8, 10),
        document="jinan-2022-12",
        **META,
    )
    unit.trigger_event(
        Unit.Classified,
        size_class=automatic_deferral.COMMITTED_SME,
        industry="",
        source="commitment",
        classified_on=date(2022, 8, 8),
        **META,
    )

    outcome = automatic_deferral.consider(unit, POLICIES, 12, ctx())

    assert outcome == "granted 2022-09..2022-10"
    (deferral,) = unit.deferrals
    assert (deferral.kind.value, deferral.deadline) == ("commitment", date(2022, 12, 31))


# ------------------------------------------------------------ split periods


def test_split_defers_the_unpaid_unit_part_and_leaves_the_individual_part_due() -> None:
    unit = new_unit(JINAN)
    classified(unit, "small")
    # 5000 x 0.08 = 400.00, x 0.01 = 50.00, x 0.02 = 100.00
    assessed(unit, "2022-08", (A, "5000.00", "400.00", "50.00", "100.00"))

    automatic_deferral.consider(unit, POLICIES, 12, ctx())

    (split,) = [e for e in unit.pending_events if isinstance(e, Unit.AssessmentSplit)]
    assert split.deferred_parts == ["unit_medical", "unit_maternity"]
    assert unit.items[(p("2022-08"), Part.individual)].deferred_until is None
    assert unit.items[(p("2022-08"), Part.unit_maternity)].deferred_until == date(2022, 12, 31)


def test_split_leaves_a_part_already_paid_alone() -> None:
    """Prepayments are not deferrable (内医保办发〔2022〕19号 二)."""
    unit = new_unit(JINAN)
    classified(unit, "small")
    assessed(unit, "2022-08", (A, "5000.00", "400.00", "50.00", "100.00"))
    paid(unit, date(2022, 8, 20), ("2022-08", "unit_maternity", "50.00"))

    automatic_deferral.consider(unit, POLICIES, 12, ctx())

    (split,) = [e for e in unit.pending_events if isinstance(e, Unit.AssessmentSplit)]
    assert split.deferred_parts == ["unit_medical"]


def test_split_of_a_period_with_nothing_open_decides_nothing() -> None:
    unit = new_unit(WUHAI)
    classified(unit, "small")
    automatic_deferral.consider(unit, POLICIES, 9, ctx())
    assessed(unit, "2022-07", (A, "5000.00", "350.00", "0.00", "100.00"))
    deferral.split_period(unit, p("2022-07"), unit.deferrals[0], ctx())
    before = len(unit.pending_events)

    deferral.split_period(unit, p("2022-07"), unit.deferrals[0], ctx())

    assert len(unit.pending_events) == before


# ------------------------------------------------------- 2020 applications


@pytest.mark.parametrize(
    ("periods", "deadline"),
    [
        ("2020-05..2020-10", date(2020, 11, 30)),
        ("2020-06..2020-11", date(2020, 12, 31)),
        ("2020-12..2020-12", date(2021, 1, 31)),
        ("2020-01..2020-01", date(2020, 2, 29)),  # 2020 is a leap year
    ],
)
def test_an_application_deferral_is_repaid_by_the_end_of_the_month_after_its_last_period(
    periods: str, deadline: date
) -> None:
    assert application_deferral.application_deadline(PeriodRange.parse(periods)) == deadline


def test_a_refused_application_names_the_approver() -> None:
    unit = new_unit(CHIFENG)
    unit.trigger_event(
        Unit.DeferralApplied,
        periods="2020-05..2020-07",
        applied_on=date(2020, 4, 20),
        document="chifeng-2020-3",
        attachments=[],
        **META,
    )

    application_deferral.grant(unit, POLICIES, ctx(), approved=False, approver="市医保局")

    (refusal,) = [e for e in unit.pending_events if isinstance(e, Unit.DeferralRefused)]
    assert refusal.refusal == "refused by 市医保局"
    assert unit.application is not None
    assert unit.application.decided


def test_deciding_without_an_application_is_refused() -> None:
    unit = new_unit(CHIFENG)

    with pytest.raises(RuleViolation, match="no pending deferral application"):
        application_deferral.grant(unit, POLICIES, ctx(), approved=True, approver="")


# ------------------------------------------------------------ calling due


def _deferring_with_reduction(unit: Unit) -> None:
    """A reduced period, then a deferral with a resignation trigger, split (hand-made:
    no seed combines them, but the decider must subtract the person's reduction)."""
    assessed(
        unit,
        "2020-04",
        (A, "5000.00", "400.00", "0.00", "100.00"),
        (B, "3333.33", "266.67", "0.00", "66.67"),
    )
    reduction.apply_reduction(unit, p("2020-04"), POLICIES, ctx())
    unit.trigger_event(
        Unit.DeferralGranted,
        document="test",
        policy="test",
        caused_by="test",
        decided_on=date(2020, 5, 1),
        kind="application",
        periods="2020-04..2020-06",
        deadline=date(2020, 7, 31),
        late_fee_from=date(2020, 8, 1),
        parts=["unit_medical", "unit_maternity"],
        triggers=["resignation"],
        **META,
    )
    deferral.split_deferred_periods(unit, unit.deferrals[-1], ctx())


def test_a_persons_call_is_their_own_unit_part_less_their_reduction() -> None:
    unit = new_unit(LINCANG)
    _deferring_with_reduction(unit)

    triggers.call_due_for_person(unit, B, Trigger.resignation, ctx(date(2020, 5, 10)))

    # 266.67 - 133.33 (3333.33 x 0.04 = 133.3332) = 133.34
    (called,) = [e for e in unit.pending_events if isinstance(e, Unit.DeferredAmountCalledDue)]
    assert called.items == [["2020-04", "unit_medical", "133.34"]]
    assert unit.deferrals[-1].ended is False


def test_a_trigger_the_deferral_does_not_name_calls_nothing_due() -> None:
    unit = new_unit(LINCANG)
    _deferring_with_reduction(unit)

    triggers.call_due_for_person(unit, B, Trigger.retirement, ctx(date(2020, 5, 10)))

    assert "DeferredAmountCalledDue" not in decided(unit)


def test_calling_everything_due_ends_the_deferral_and_returns_the_amount() -> None:
    unit = new_unit(LINCANG)
    _deferring_with_reduction(unit)

    total = triggers.call_due_all(unit, Trigger.false_commitment, ctx(date(2020, 5, 10)))

    # 666.67 - 333.33 reduced (200.00 + 133.33) = 333.34
    assert total == Decimal("333.34")
    (called,) = [e for e in unit.pending_events if isinstance(e, Unit.DeferredAmountCalledDue)]
    assert called.from_original_due is True
    assert unit.open_deferrals() == []


def test_calling_everything_due_on_a_unit_without_deferrals_decides_nothing() -> None:
    unit = new_unit(WUHAI)

    assert triggers.call_due_all(unit, Trigger.deregistration, ctx()) == Decimal("0.00")
    assert decided(unit) == []


# ---------------------------------------------------------------- payments


def _wuhai_july_and_october() -> Unit:
    """July deferred (350.00 unit part), October not; individual 100.00 each."""
    unit = new_unit(WUHAI)
    classified(unit, "small")
    assessed(unit, "2022-07", (A, "5000.00", "350.00", "0.00", "100.00"))
    assessed(unit, "2022-10", (A, "5000.00", "350.00", "0.00", "100.00"))
    automatic_deferral.consider(unit, POLICIES, 9, ctx())
    return unit


def test_allocation_settles_due_items_then_called_due_then_deferred() -> None:
    unit = _wuhai_july_and_october()
    unit.trigger_event(
        Unit.DeferredAmountCalledDue,
        document="t",
        policy="t",
        caused_by="t",
        decided_on=date(2022, 11, 1),
        trigger="resignation",
        resident_id=A,
        due_on=date(2022, 11, 1),
        from_original_due=False,
        items=[["2022-07", "unit_medical", "120.00"]],
        **META,
    )

    allocations, left = allocation.allocate_payment(unit, Decimal("700.00"), None)

    # due: July individual 100.00, October individual 100.00 + unit 350.00 = 550.00;
    # then July's called-due 120.00; then 30.00 of July's still-deferred 230.00
    assert allocations == [
        ["2022-07", "individual", "100.00"],
        ["2022-07", "unit_medical", "150.00"],
        ["2022-10", "individual", "100.00"],
        ["2022-10", "unit_medical", "350.00"],
    ]
    assert left == Decimal("0.00")


def test_allocation_leaves_the_excess_unallocated() -> None:
    unit = _wuhai_july_and_october()

    allocations, left = allocation.allocate_payment(unit, Decimal("1000.00"), None)

    # everything open: 2 x 100.00 + 2 x 350.00 = 900.00; 100.00 left over
    assert sum(Decimal(a) for _, _, a in allocations) == Decimal("900.00")
    assert left == Decimal("100.00")


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        ([("2022-09", Part.individual, "10.00")], "has no assessment item 2022-09 individual"),
        ([("2022-10", Part.individual, "100.01")], "payment of 100.01 for 2022-10 individual"),
        (
            [("2022-10", Part.individual, "60.00"), ("2022-10", Part.individual, "60.00")],
            "payment of 120.00 for 2022-10 individual exceeds the outstanding 100.00",
        ),
        ([("2022-10", Part.individual, "-1.00")], "it must be positive"),
        (
            [("2022-10", Part.individual, "100.00"), ("2022-10", Part.unit_medical, "350.00")],
            "items add up to 450.00, more than the payment of 400.00",
        ),
    ],
)
def test_a_named_allocation_that_does_not_fit_is_refused(
    requested: list[tuple[str, Part, str]], message: str
) -> None:
    unit = _wuhai_july_and_october()
    named = [(p(period), part, Decimal(share)) for period, part, share in requested]

    with pytest.raises(RuleViolation, match=message):
        allocation.allocate_payment(unit, Decimal("400.00"), named)


def test_a_named_allocation_keeps_the_rest_as_credit() -> None:
    unit = _wuhai_july_and_october()

    allocations, left = allocation.allocate_payment(
        unit, Decimal("150.00"), [(p("2022-10"), Part.individual, Decimal("100.00"))]
    )

    assert (allocations, left) == ([["2022-10", "individual", "100.00"]], Decimal("50.00"))


def _chifeng_with_fixed(reduce_fixed: bool) -> tuple[Unit, PolicySet]:
    """Chifeng's reduction with a 10.00 fixed amount per person on the medical share:
    5,000.00 x 6% = 300.00 + 10.00 = 310.00."""
    doc = next(f for f in load_default_catalogue() if f.document.id == "chifeng-2020-3")
    assert doc.reduction is not None
    rule = doc.reduction.model_copy(update={"reduce_fixed_amounts": reduce_fixed})
    policies = POLICIES.with_file(doc.model_copy(update={"reduction": rule}))
    unit = new_unit(CHIFENG)
    unit.trigger_event(
        Unit.PeriodAssessed,
        period="2020-02",
        lines=[[A, "5000.00", "310.00", "50.00", "100.00"]],
        totals=[
            ["2020-02", "unit_medical", "310.00"],
            ["2020-02", "unit_maternity", "50.00"],
            ["2020-02", "individual", "100.00"],
        ],
        due_date=date(2020, 3, 15),
        assessed_on=date(2020, 3, 1),
        rates="unit test",
        fixed=[["unit_medical", "10.00"]],
        **META,
    )
    return unit, policies


@pytest.mark.parametrize(("reduce_fixed", "cut"), [(False, "150.00"), (True, "155.00")])
def test_a_fixed_amount_is_reduced_only_where_the_measure_says_so(
    reduce_fixed: bool, cut: str
) -> None:
    unit, policies = _chifeng_with_fixed(reduce_fixed)

    reduction.apply_reduction(unit, p("2020-02"), policies, ctx(date(2020, 3, 13)))

    assert unit.reductions[p("2020-02")].rows == [[A, "unit_medical", cut]]
