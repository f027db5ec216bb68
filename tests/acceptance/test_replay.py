"""Policy replay (issue 5): the example policy sets against small recorded histories.

Each scenario is recorded under the packaged catalogue, then replayed under an
example of ``examples/``; the differences are computed by hand in the comments.
Payments are facts: the replay keeps their amounts and days, so what a reform
forgives the unit ends as credit held, and cash collected never changes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.catalogue.loader import default_catalogue_dir
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import CatalogueError, NotFound
from ledger.domain.period import Period
from ledger.replay import ReplayReport, load_policy_set, render, run_replay
from ledger.replay.figures import Figures
from tests.acceptance.conftest import ACTOR, CHIFENG, WUHAI, Agency

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> PolicySet:
    return load_policy_set(EXAMPLES / name)


def recorded_policies() -> PolicySet:
    return load_policy_set(default_catalogue_dir())


def only_unit(report: ReplayReport) -> Any:
    assert len(report.units) == 1
    return report.units[0]


def flows(report: ReplayReport, month: str) -> tuple[Any, Any]:
    line = next(m for m in report.months if m.month == Period.parse(month))
    return line.baseline, line.reform


# ---------------------------------------------------------------- histories


def chifeng_2020(agency: Agency) -> str:
    """Two persons of 25,000.00 (50,000.00 of bases, 9% = 4,500.00 a month); February
    paid in full before 赤医保发〔2020〕3号 is enacted on 2020-03-13, which halves the 6%
    share retroactively (1,500.00 carried forward as credit); March and April paid as
    assessed after it: 4,500.00 - 1,500.00 reduced - 1,500.00 credit = 1,500.00, then
    4,500.00 - 1,500.00 = 3,000.00."""
    agency.enact("locality", "national-late-fee")
    agency.enact_holidays()
    agency.region(CHIFENG)
    uscc = agency.unit(CHIFENG)
    agency.person(uscc, "25000.00")
    agency.person(uscc, "25000.00")
    agency.assess(uscc, "2020-02", date(2020, 3, 5))
    agency.pay(uscc, "4500.00", date(2020, 3, 10))
    agency.enact("chifeng-2020-3")
    agency.assess(uscc, "2020-03", date(2020, 4, 5))
    agency.pay(uscc, "1500.00", date(2020, 4, 10))
    agency.assess(uscc, "2020-04", date(2020, 5, 5))
    agency.pay(uscc, "3000.00", date(2020, 5, 10))
    return uscc


def wuhai_2022(agency: Agency, fund_months: int) -> str:
    """A small enterprise, one person of 10,000.00 (unit part 7% = 700.00, individual 2%
    = 200.00): July to September assessed, the individual part paid on the 10th of the
    next month (named: unnamed money would settle the oldest unit part first), the
    2,100.00 of unit part paid on 2023-07-31."""
    agency.region(WUHAI, fund_months=fund_months)
    uscc = agency.unit(WUHAI, size_class="small")
    agency.person(uscc, "10000.00")
    for month in (7, 8, 9):
        agency.assess(uscc, f"2022-{month:02d}", date(2022, month + 1, 5))
        # The tax bureau reports the individual part it collected (代扣代缴).
        individual = [(Period(2022, month), "individual", "200.00")]
        agency.ledger.collect_payment(
            uscc, date(2022, month + 1, 10), "200.00", ACTOR, items=individual
        )
    agency.pay(uscc, "2100.00", date(2023, 7, 31))
    return uscc


# ---------------------------------------------------------------- identity


def test_replaying_the_recorded_policy_set_reproduces_the_record(bare_agency: Agency) -> None:
    chifeng_2020(bare_agency)
    bare_agency.enact_catalogue()
    wuhai_2022(bare_agency, fund_months=10)

    # Every unit replayed whole: the use cases run again make the record's decisions (the
    # scoped replay carries both units over, nothing differing: test_replay_scope.py).
    report = run_replay(bare_agency.ledger, recorded_policies(), as_of=date(2023, 8, 31), full=True)

    assert report.units_compared == 2
    assert report.units == ()
    assert not report.total.difference
    # The record itself: Chifeng reduced 3 x 1,500.00; Wuhai deferred 3 x 700.00.
    assert report.total.baseline.reduced == Decimal("4500.00")
    assert report.total.baseline.deferred == Decimal("2100.00")


# ---------------------------------------------------------------- examples


def test_the_whole_7_percent_halved_reduces_250_more_a_month_for_50000_of_bases(
    bare_agency: Agency,
) -> None:
    uscc = chifeng_2020(bare_agency)

    report = run_replay(
        bare_agency.ledger,
        example("chifeng-whole-7-percent"),
        region=CHIFENG,
        as_of=date(2020, 6, 30),
    )

    line = only_unit(report)
    assert line.uscc == uscc
    base, reform = line.comparison.baseline, line.comparison.reform
    # Record: 50,000.00 x 6% x 0.5 = 1,500.00 a month; reform: x 7% x 0.5 = 1,750.00.
    assert (base.reduced, reform.reduced) == (Decimal("4500.00"), Decimal("5250.00"))
    assert line.comparison.difference.reduced == 3 * Decimal("250.00")
    # February was paid before the enactment: 1,750.00 instead of 1,500.00 carried forward.
    assert (base.carried_forward, reform.carried_forward) == (
        Decimal("1500.00"),
        Decimal("1750.00"),
    )
    # The payments are facts: 9,000.00 paid against 3 x 4,500.00 - 5,250.00 = 8,250.00
    # owed leaves 750.00 of credit held (待转基金); nothing outstanding, no late fee.
    assert (base.credit_held, reform.credit_held) == (Decimal("0.00"), Decimal("750.00"))
    assert base.outstanding == reform.outstanding == Decimal("0.00")
    assert base.late_fee == reform.late_fee == Decimal("0.00")
    # Each month falls due 250.00 lighter (February's item on 2020-03-15, and so on).
    for month in ("2020-03", "2020-04", "2020-05"):
        record, replayed = flows(report, month)
        assert replayed.due - record.due == Decimal("-250.00")
        assert replayed.collected == record.collected
    assert report.regions[0].comparison.difference.reduced == Decimal("750.00")


def test_the_deadline_moved_to_2022_12_31_charges_212_days_of_late_fee_instead_of_31(
    agency: Agency,
) -> None:
    wuhai_2022(agency, fund_months=10)

    report = run_replay(
        agency.ledger, example("deadline-2022-12-31"), region=WUHAI, as_of=date(2023, 8, 31)
    )

    c = only_unit(report).comparison
    assert c.baseline.deferred == c.reform.deferred == Decimal("2100.00")
    # Record: late fee from 2023-07-01, paid 2023-07-31: 700.00 x 0.05% x 31 = 10.85 a month.
    # Reform: from 2023-01-01 through 2023-07-31 = 212 days: 700.00 x 0.05% x 212 = 74.20.
    assert c.baseline.late_fee == 3 * Decimal("10.85")
    assert c.reform.late_fee == 3 * Decimal("74.20")
    assert c.difference.late_fee == Decimal("190.05")
    # The deferred 2,100.00 falls due in December 2022 instead of June 2023.
    assert [m.due for m in flows(report, "2022-12")] == [Decimal("0.00"), Decimal("2100.00")]
    assert [m.due for m in flows(report, "2023-06")] == [Decimal("2100.00"), Decimal("0.00")]


def test_the_fund_months_threshold_lowered_to_3_defers_where_the_fund_pays_5_months(
    agency: Agency,
) -> None:
    wuhai_2022(agency, fund_months=5)

    report = run_replay(
        agency.ledger, example("fund-months-above-3"), region=WUHAI, as_of=date(2023, 8, 31)
    )

    c = only_unit(report).comparison
    # Record: 5 months is not more than 6, refused; the unit part is arrears from its due
    # dates: July due 2022-08-15, 350 days to 2023-07-31: 700.00 x 0.05% x 350 = 122.50;
    # August due 2022-09-15, 319 days: 111.65; September due 2022-10-15, 289 days: 101.15.
    assert c.baseline.deferred == Decimal("0.00")
    assert c.baseline.late_fee == Decimal("122.50") + Decimal("111.65") + Decimal("101.15")
    # Reform: 5 > 3, deferred to 2023-06-30, 31 days late: 3 x 10.85.
    assert c.reform.deferred == Decimal("2100.00")
    assert c.reform.late_fee == Decimal("32.55")
    assert c.difference.late_fee == Decimal("-302.75")
    assert report.total.difference == Figures(
        deferred=Decimal("2100.00"), late_fee=Decimal("-302.75")
    )


# ---------------------------------------------------------------- properties


def test_the_same_facts_and_policy_set_give_byte_identical_reports(bare_agency: Agency) -> None:
    chifeng_2020(bare_agency)
    policies = example("chifeng-whole-7-percent")

    first = run_replay(bare_agency.ledger, policies, as_of=date(2020, 6, 30))
    second = run_replay(
        bare_agency.ledger, example("chifeng-whole-7-percent"), as_of=date(2020, 6, 30)
    )

    for fmt in ("json", "csv", "html"):
        assert render(first, fmt) == render(second, fmt)
    assert b"<svg" in render(first, "html")
    assert render(first, "csv").startswith(b"section,key,name,measure,baseline,reform,difference\n")


def test_a_replay_writes_nothing_to_the_ledger(agency: Agency) -> None:
    wuhai_2022(agency, fund_months=5)
    before = agency.high_water()

    run_replay(agency.ledger, example("fund-months-above-3"), as_of=date(2023, 8, 31))

    assert agency.high_water() == before


def test_facts_recorded_after_known_at_are_left_out_on_both_sides(agency: Agency) -> None:
    uscc = wuhai_2022(agency, fund_months=5)
    cut = agency.ledger.unit_history(uscc)[-2].timestamp  # before the 2,100.00 repayment

    report = run_replay(
        agency.ledger, example("fund-months-above-3"), as_of=date(2023, 8, 31), known_at=cut
    )

    c = only_unit(report).comparison
    # Nothing repaid: the record's arrears run to 2023-08-31 (381 + 350 + 320 days, 700.00
    # x 0.05% each: 133.35 + 122.50 + 112.00); the reform's deferral ran out on
    # 2023-06-30: 62 days x 3 = 3 x 21.70.
    assert c.baseline.outstanding == c.reform.outstanding == Decimal("2100.00")
    assert c.baseline.late_fee == Decimal("133.35") + Decimal("122.50") + Decimal("112.00")
    assert c.reform.late_fee == 3 * Decimal("21.70")


def test_an_unknown_region_or_a_malformed_policy_set_is_refused(
    agency: Agency, tmp_path: Path
) -> None:
    (tmp_path / "bad.toml").write_text('[document]\nid = "x"\n', encoding="utf-8")

    with pytest.raises(NotFound):
        run_replay(agency.ledger, recorded_policies(), region="440300", as_of=date(2023, 1, 1))
    with pytest.raises(CatalogueError, match=r"bad\.toml"):
        load_policy_set(tmp_path)
