"""Amendments and revocations: compensating decisions, on SQLite and PostgreSQL.

Chifeng (赤医保发〔2020〕3号, enacted 2020-03-13) halves the 6% medical share of
2020-02..04 and carries a paid month's overpayment forward as credit (待转基金). An
amended version (v2) is enacted with a 40% cut instead of half: every decision v1 made
is reversed (naming v1 and v2) and v2 decides again, in the audit trail and the
balance. Chifeng rates (locality.toml): unit 6% medical + 1% maternity, individual 2%.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from ledger.bootstrap import open_view_store
from ledger.catalogue.model import CatalogueFile
from ledger.clocks import ReadClocks
from ledger.domain.errors import Conflict, InvalidValue, RuleViolation
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.projections import runner
from ledger.projections.audit import unit_trail
from ledger.projections.balance_view import unit_balance_view
from ledger.projections.reductions import reduction_table
from ledger.projections.sql import SqlViewStore
from ledger.settings import Settings
from tests.acceptance.conftest import (
    ACTOR,
    CHIFENG,
    WUHAI,
    Agency,
    amounts,
    catalogue,
    event_types,
    period,
)
from tests.conftest import StoreConfig

CHIFENG_DOC = "chifeng-2020-3"
INNER_MONGOLIA_DOC = "inner-mongolia-2022-19"
V1 = "赤医保发〔2020〕3号 v1"
V2 = "赤医保发〔2020〕3号 v2"
AMENDED = "PolicyAmended 赤医保发〔2020〕3号 v1 -> v2"


def amended(
    document_id: str, version: int, enacted_on: str, rule: str, **changes: str
) -> CatalogueFile:
    """A packaged file as a later version with one rule's fields changed, validated as
    the loader validates a file (values as a TOML file writes them)."""
    content = catalogue()[document_id].content()
    content["document"] |= {"version": version, "enacted_on": enacted_on}
    content[rule] |= changes
    return CatalogueFile.model_validate(content)


def chifeng(version: int, enacted_on: str, **reduction: str) -> CatalogueFile:
    return amended(CHIFENG_DOC, version, enacted_on, "reduction", **reduction)


V2_FILE = chifeng(2, "2020-04-01", fraction="0.4")


@pytest.fixture
def views(store: StoreConfig) -> Iterator[SqlViewStore]:
    settings = Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or ""
    )
    view_store = open_view_store(settings, None)
    yield view_store
    view_store.close()


def _paid_february_unpaid_march(agency: Agency) -> str:
    """Two persons, 4321.09 and 5000.00. A month: medical 259.27 (4321.09 x 0.06 =
    259.2654) + 300.00 = 559.27; maternity 43.21 + 50.00 = 93.21; individual 86.42 +
    100.00 = 186.42; together 838.90. February paid, March assessed, then v1 enacted:

    v1 per month: 4321.09 x 0.03 = 129.6327 -> 129.63, + 5000 x 0.03 = 150.00: 279.63.
    February (paid) carries 279.63 forward; it offsets March: individual 186.42 first,
    then 93.21 of the medical part.
    """
    agency.enact_catalogue(but=[CHIFENG_DOC])
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "4321.09")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2020-02", date(2020, 3, 1))
    agency.pay(uscc, "838.90", date(2020, 3, 10))
    agency.assess(uscc, "2020-03", date(2020, 3, 12))
    agency.enact(CHIFENG_DOC)
    return uscc


def test_an_amendment_reverses_what_v1_decided_and_decides_again_under_v2(
    bare_agency: Agency,
) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)

    result = bare_agency.ledger.enact_policy(V2_FILE, ACTOR)

    # Credit offsets first (they follow from February's credit), then February's credit
    # and reduction, then March's reduction; then v2 decides both months again.
    assert event_types(result) == [
        "Amended",
        "PolicyIndexed",
        "CreditAppliedReversed",
        "CreditCarriedForwardReversed",
        "ReductionReversed",  # February
        "ReductionReversed",  # March
        "ReductionApplied",  # February under v2
        "CreditCarriedForward",
        "ReductionApplied",  # March under v2
        "CreditApplied",
    ]
    reversed_ = bare_agency.decisions(uscc, Unit.Reversal)
    # each reversal carries exactly what v1 recorded, citing v1 and naming v2
    assert [(type(r).__name__, r.superseded_by) for r in reversed_] == [
        ("CreditAppliedReversed", V2),
        ("CreditCarriedForwardReversed", V2),
        ("ReductionReversed", V2),
        ("ReductionReversed", V2),
    ]
    assert all(r.policy.startswith(f"{V1}: ") and r.caused_by == AMENDED for r in reversed_)
    credit_back, carry_back, february_back, march_back = reversed_
    assert isinstance(credit_back, Unit.CreditAppliedReversed)
    assert amounts(credit_back.items) == {
        ("2020-03", "individual"): Decimal("186.42"),
        ("2020-03", "unit_medical"): Decimal("93.21"),
    }
    assert isinstance(carry_back, Unit.CreditCarriedForwardReversed)
    assert amounts(carry_back.items) == {("2020-02", "unit_medical"): Decimal("279.63")}
    assert isinstance(february_back, Unit.ReductionReversed)
    assert isinstance(march_back, Unit.ReductionReversed)
    assert [amounts(r.totals) for r in (february_back, march_back)] == [
        {("2020-02", "unit_medical"): Decimal("279.63")},
        {("2020-03", "unit_medical"): Decimal("279.63")},
    ]


def test_the_new_decisions_cite_v2_and_the_balance_nets_to_v2s_figures(
    bare_agency: Agency,
) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)

    bare_agency.ledger.enact_policy(V2_FILE, ACTOR)

    # v2 per month: 4321.09 x 0.024 = 103.70616 -> 103.71, + 5000 x 0.024 = 120.00: 223.71
    applied = [
        r for r in bare_agency.decisions(uscc, Unit.ReductionApplied) if r.caused_by == AMENDED
    ]
    assert [(r.period, amounts(r.totals)) for r in applied] == [
        ("2020-02", {("2020-02", "unit_medical"): Decimal("223.71")}),
        ("2020-03", {("2020-03", "unit_medical"): Decimal("223.71")}),
    ]
    assert all(r.policy.startswith(f"{V2}: ") for r in applied)
    unit = bare_agency.state(uscc)
    # February: paid 559.27, net 559.27 - 223.71 = 335.56: 223.71 carried forward, settled.
    assert sum(i.outstanding for i in unit.items_of(period("2020-02"))) == Decimal("0.00")
    # March: 838.90 - 223.71 reduced - 223.71 credit = 391.48 (v1 left 279.64: the 40%
    # cut is 55.92 a month smaller, 279.64 + 2 x 55.92 = 391.48).
    assert sum(i.outstanding for i in unit.items_of(period("2020-03"))) == Decimal("391.48")
    assert unit.credit == Decimal("0.00")


def test_the_audit_view_shows_the_reversals_and_new_decisions_naming_both_versions(
    bare_agency: Agency, views: SqlViewStore
) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)
    bare_agency.ledger.enact_policy(V2_FILE, ACTOR)

    runner.catch_up(bare_agency.ledger, views)
    trail = unit_trail(views, uscc, as_of=None, known_at=None)

    compensating = [line.entry for line in trail if line.entry.caused_by == AMENDED]
    assert [(e.type, e.policy.split(":")[0]) for e in compensating] == [
        ("CreditAppliedReversed", V1),
        ("CreditCarriedForwardReversed", V1),
        ("ReductionReversed", V1),
        ("ReductionReversed", V1),
        ("ReductionApplied", V2),
        ("CreditCarriedForward", V2),
        ("ReductionApplied", V2),
        ("CreditApplied", V2),
    ]
    assert {e.detail["superseded_by"] for e in compensating[:4]} == {V2}


def test_the_balance_view_nets_reversals_out_with_no_late_fee_before_the_amendment(
    bare_agency: Agency, views: SqlViewStore
) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)
    bare_agency.ledger.enact_policy(V2_FILE, ACTOR)
    runner.catch_up(bare_agency.ledger, views)
    policies = bare_agency.ledger.policies()

    before_due = unit_balance_view(
        views, uscc, clocks=ReadClocks(date(2020, 4, 10)), policies=policies
    )
    late = unit_balance_view(views, uscc, clocks=ReadClocks(date(2020, 4, 25)), policies=policies)

    march = {i.part: i for i in before_due.items if i.period == period("2020-03")}
    # medical 559.27 - 223.71 reduced - 37.29 credit (223.71 - 186.42) = 298.27
    assert (march[Part.unit_medical].reduced, march[Part.unit_medical].outstanding) == (
        Decimal("223.71"),
        Decimal("298.27"),
    )
    assert march[Part.individual].outstanding == Decimal("0.00")
    assert before_due.outstanding == Decimal("391.48")
    assert before_due.credit_held == Decimal("0.00")
    assert before_due.late_fee == Decimal("0.00")
    # March is due 2020-04-15; on 04-25, 10 days late, per item rounded:
    # 298.27 x 0.0005 x 10 = 1.49135 -> 1.49; maternity 93.21 x 0.005 = 0.46605 -> 0.47
    assert late.late_fee == Decimal("1.96")


def test_the_reduction_table_shows_the_net_reduction(
    bare_agency: Agency, views: SqlViewStore
) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)
    bare_agency.ledger.enact_policy(V2_FILE, ACTOR)
    runner.catch_up(bare_agency.ledger, views)

    table = reduction_table(views, clocks=ReadClocks(date(2020, 4, 30)), region=CHIFENG)

    (line,) = table.lines
    # two months of 223.71 (v1's 279.63 reversed); before: 2 x (559.27 + 93.21) = 1304.96
    assert (line.uscc, line.persons, line.reduction, line.before) == (
        uscc,
        2,
        Decimal("447.42"),
        Decimal("1304.96"),
    )


def test_enacting_the_same_amendment_twice_changes_nothing(bare_agency: Agency) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)
    bare_agency.ledger.enact_policy(V2_FILE, ACTOR)
    events = len(bare_agency.ledger.unit_history(uscc))
    high_water = bare_agency.high_water()

    again = bare_agency.ledger.enact_policy(V2_FILE, ACTOR)

    assert again["events"] == []
    assert len(bare_agency.ledger.unit_history(uscc)) == events
    assert bare_agency.high_water() == high_water


def test_an_amendment_that_decides_the_same_records_nothing_on_the_unit(
    bare_agency: Agency,
) -> None:
    uscc = _paid_february_unpaid_march(bare_agency)
    file = catalogue()[CHIFENG_DOC]
    assert file.reduction is not None
    reworded = chifeng(2, "2020-04-01", source=file.reduction.source + " (修订)")

    result = bare_agency.ledger.enact_policy(reworded, ACTOR)

    assert event_types(result) == ["Amended", "PolicyIndexed"]
    assert bare_agency.decisions(uscc, Unit.Reversal) == []


def test_an_amendment_touches_only_the_periods_it_changes(bare_agency: Agency) -> None:
    """v2 ends the reduction in March: April's reduction is reversed, nothing else."""
    uscc = _paid_february_unpaid_march(bare_agency)
    bare_agency.assess(uscc, "2020-04", date(2020, 4, 1))
    shorter = chifeng(2, "2020-04-20", periods="2020-02..2020-03")

    result = bare_agency.ledger.enact_policy(shorter, ACTOR)

    assert event_types(result)[2:] == ["ReductionReversed"]
    (april,) = bare_agency.decisions(uscc, Unit.ReductionReversed)
    assert april.period == "2020-04"
    # April in full again: 838.90 (its reduction of 279.63 reversed; no credit was left)
    april_items = bare_agency.state(uscc).items_of(period("2020-04"))
    assert sum(i.outstanding for i in april_items) == Decimal("838.90")


def test_a_lower_version_is_refused_and_nothing_is_written(bare_agency: Agency) -> None:
    _paid_february_unpaid_march(bare_agency)
    bare_agency.ledger.enact_policy(V2_FILE, ACTOR)
    high_water = bare_agency.high_water()

    with pytest.raises(Conflict, match="not newer"):
        bare_agency.ledger.enact_policy(chifeng(1, "2020-05-01"), ACTOR)

    assert bare_agency.high_water() == high_water


# ---------------------------------------------------------------- revocation


def _paid_february_and_march_then_april(agency: Agency) -> str:
    """February and March paid (838.90 each) before v1; v1 carries 279.63 of each
    forward (559.26 held after March); April is assessed on 2020-04-01: reduced by
    279.63 and offset by the credit: individual 186.42, medical 279.64, maternity 93.20
    (559.26 - 466.06), leaving 0.01 to pay."""
    agency.enact_catalogue(but=[CHIFENG_DOC])
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "4321.09")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2020-02", date(2020, 3, 1))
    agency.pay(uscc, "838.90", date(2020, 3, 10))
    agency.assess(uscc, "2020-03", date(2020, 3, 12))
    agency.pay(uscc, "838.90", date(2020, 3, 12))
    agency.enact(CHIFENG_DOC)
    agency.assess(uscc, "2020-04", date(2020, 4, 1))
    return uscc


def test_a_revocation_reverses_the_decisions_of_periods_from_its_date_on(
    bare_agency: Agency,
) -> None:
    uscc = _paid_february_and_march_then_april(bare_agency)
    april = sum(i.outstanding for i in bare_agency.state(uscc).items_of(period("2020-04")))
    assert april == Decimal("0.01")

    result = bare_agency.ledger.revoke_policy(CHIFENG_DOC, date(2020, 4, 1), ACTOR)

    assert event_types(result) == ["Revoked", "PolicyIndexed", "ReductionReversed"]
    (reversal,) = bare_agency.decisions(uscc, Unit.ReductionReversed)
    assert (reversal.period, reversal.superseded_by) == (
        "2020-04",
        f"{V1} revoked from 2020-04-01",
    )
    assert reversal.policy.startswith(f"{V1}: ")
    assert amounts(reversal.totals) == {("2020-04", "unit_medical"): Decimal("279.63")}
    unit = bare_agency.state(uscc)
    # February and March keep their reductions (a revocation is not an annulment);
    # April owes its 279.63 again: 0.01 + 279.63 = 279.64
    assert sorted(str(p) for p in unit.reductions) == ["2020-02", "2020-03"]
    assert sum(i.outstanding for i in unit.items_of(period("2020-04"))) == Decimal("279.64")
    assert CHIFENG_DOC not in bare_agency.ledger.policies()


def test_a_revoked_document_still_decides_a_late_fact_of_a_period_before_its_revocation(
    bare_agency: Agency,
) -> None:
    """A revocation ends a measure from a date: March, assessed only after the revocation
    from 2020-04-01, is still reduced; April, from the revocation on, is not."""
    agency = bare_agency
    agency.enact("locality", "national-late-fee", CHIFENG_DOC)
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "5000.00")
    agency.ledger.revoke_policy(CHIFENG_DOC, date(2020, 4, 1), ACTOR)

    agency.assess(uscc, "2020-03", date(2020, 4, 20))
    agency.assess(uscc, "2020-04", date(2020, 5, 5))

    # 5000 x 6% x 0.5 = 150.00 of March's basic-medical share
    assert sorted(str(p) for p in agency.state(uscc).reductions) == ["2020-03"]
    assert agency.item(uscc, "2020-03", Part.unit_medical).reduced == Decimal("150.00")


def test_revoking_again_on_the_same_date_changes_nothing(bare_agency: Agency) -> None:
    _paid_february_and_march_then_april(bare_agency)
    bare_agency.ledger.revoke_policy(CHIFENG_DOC, date(2020, 4, 1), ACTOR)
    high_water = bare_agency.high_water()

    again = bare_agency.ledger.revoke_policy(CHIFENG_DOC, date(2020, 4, 1), ACTOR)

    assert again["events"] == []
    assert bare_agency.high_water() == high_water


def test_a_revocation_before_the_document_took_effect_is_refused(bare_agency: Agency) -> None:
    _paid_february_and_march_then_april(bare_agency)
    high_water = bare_agency.high_water()

    with pytest.raises(InvalidValue, match="took effect on 2020-03-13"):
        bare_agency.ledger.revoke_policy(CHIFENG_DOC, date(2020, 2, 1), ACTOR)

    assert bare_agency.high_water() == high_water


def test_a_revoked_document_is_not_amended(bare_agency: Agency) -> None:
    _paid_february_and_march_then_april(bare_agency)
    bare_agency.ledger.revoke_policy(CHIFENG_DOC, date(2020, 4, 1), ACTOR)

    with pytest.raises(Conflict, match="revoked"):
        bare_agency.ledger.enact_policy(V2_FILE, ACTOR)


# ------------------------------------------------------------ 2022 deferral


def inner_mongolia(version: int, enacted_on: str, **deferral: str) -> CatalogueFile:
    return amended(INNER_MONGOLIA_DOC, version, enacted_on, "automatic_deferral", **deferral)


def _wuhai_small_unit_deferred_for_july(agency: Agency) -> str:
    """5000.00 a month: unit 350.00 (7%), individual 100.00; July split and deferred to
    2023-06-30 under v1."""
    agency.region(WUHAI, fund_months=9)
    uscc = agency.unit(WUHAI, size_class="small")
    agency.person(uscc, "5000.00")
    agency.assess(uscc, "2022-07", date(2022, 8, 1))
    return uscc


def test_an_amended_deadline_withdraws_the_deferral_and_grants_it_again(agency: Agency) -> None:
    uscc = _wuhai_small_unit_deferred_for_july(agency)
    later = inner_mongolia(
        2, "2022-08-15", repayment_deadline="2023-09-30", late_fee_from="2023-10-01"
    )

    result = agency.ledger.enact_policy(later, ACTOR)

    assert event_types(result)[2:] == ["DeferralWithdrawn", "DeferralGranted", "AssessmentSplit"]
    (withdrawn,) = agency.decisions(uscc, Unit.DeferralWithdrawn)
    assert (withdrawn.periods, withdrawn.remaining, withdrawn.undeferred) == (
        "2022-07..2022-09",
        "",
        [["2022-07", "unit_medical"]],
    )
    assert withdrawn.superseded_by == "内医保办发〔2022〕19号 v2"
    july = agency.item(uscc, "2022-07", Part.unit_medical)
    assert (july.deferred_until, july.deferred_open) == (date(2023, 9, 30), Decimal("350.00"))


def test_an_amendment_is_refused_once_deferred_amounts_were_called_due(agency: Agency) -> None:
    uscc = _wuhai_small_unit_deferred_for_july(agency)
    (rid,) = agency.state(uscc).members
    agency.ledger.person_left(uscc, rid, "resignation", date(2022, 8, 20), ACTOR)
    high_water = agency.high_water()
    later = inner_mongolia(2, "2022-08-25", repayment_deadline="2023-09-30")

    with pytest.raises(RuleViolation, match="called due"):
        agency.ledger.enact_policy(later, ACTOR)

    assert agency.high_water() == high_water
