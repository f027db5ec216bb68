"""The reduction detail table (减征明细表): per unit and in total, by hand from the seeds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ledger.clocks import ReadClocks
from ledger.domain.period import Period
from ledger.projections.reductions import ReductionTable, reduction_table
from tests.unit.projections import seeds


def chifeng(as_of: date, month: Period | None = None) -> ReductionTable:
    store = seeds.store_for(seeds.chifeng_ledger)
    return reduction_table(store, clocks=ReadClocks(as_of), region="150400", month=month)


def figures(table: ReductionTable) -> list[tuple[str, int, str, str, str, str]]:
    return [
        (
            line.uscc,
            line.persons,
            str(line.before),
            str(line.reduction),
            str(line.after),
            f"{line.period_from}..{line.period_to}",
        )
        for line in table.lines
    ]


def test_chifeng_halves_the_six_percent_share_and_leaves_maternity_whole() -> None:
    table = chifeng(date(2020, 7, 1))

    # CHIFENG_UNIT, bases 15,000.00: unit part 900.00 (6%) + 150.00 (1%) = 1,050.00 a
    # month for 2020-02..04 = 3,150.00; half of the 6% share, 450.00 a month = 1,350.00;
    # after 1,800.00. May is outside the window and not in the table.
    # CHIFENG_SMALL: February 3,000.00 -> 180.00 + 30.00 = 210.00, 90.00 off; March
    # re-assessed at 2,000.00 -> 120.00 + 20.00 = 140.00, 60.00 off (the revoked 3,000.00
    # assessment of March does not count): 350.00, 150.00, 200.00.
    # The government organ is not eligible and not in the table.
    assert figures(table) == [
        (seeds.CHIFENG_UNIT, 3, "3150.00", "1350.00", "1800.00", "2020-02..2020-04"),
        (seeds.CHIFENG_SMALL, 1, "350.00", "150.00", "200.00", "2020-02..2020-03"),
    ]
    assert (table.units, table.persons) == (2, 4)
    assert (table.before, table.reduction, table.after) == (
        Decimal("3500.00"),
        Decimal("1500.00"),
        Decimal("2000.00"),
    )


def test_the_table_of_one_month() -> None:
    table = chifeng(date(2020, 7, 1), month=Period(2020, 3))

    assert figures(table) == [
        (seeds.CHIFENG_UNIT, 3, "1050.00", "450.00", "600.00", "2020-03..2020-03"),
        (seeds.CHIFENG_SMALL, 1, "140.00", "60.00", "80.00", "2020-03..2020-03"),
    ]


def test_the_retroactive_reduction_counts_from_the_enactment_day() -> None:
    before = chifeng(date(2020, 3, 12))
    enacted = chifeng(date(2020, 3, 13))

    # 赤医保发〔2020〕3号 enacted 2020-03-13 for February, already assessed and paid
    assert before.lines == []
    assert figures(enacted) == [
        (seeds.CHIFENG_UNIT, 3, "1050.00", "450.00", "600.00", "2020-02..2020-02"),
    ]


def test_lincang_halves_the_whole_unit_part() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    table = reduction_table(store, clocks=ReadClocks(date(2020, 12, 1)))

    # bases 10,000.00 x 8% = 800.00 a month for 2020-02..04 = 2,400.00, half 1,200.00
    assert figures(table) == [
        (seeds.LINCANG_UNIT, 2, "2400.00", "1200.00", "1200.00", "2020-02..2020-04"),
    ]
    assert table.lines[0].document == "lincang-2020-14"


def test_known_at_before_the_enactment_shows_no_reduction() -> None:
    store = seeds.store_for(seeds.lincang_ledger)
    enacted_at = min(
        e.recorded_at for e in store.audit(types=["ReductionApplied"], originator_id=None)
    )

    table = reduction_table(
        store, clocks=ReadClocks(date(2020, 12, 1), enacted_at - timedelta(microseconds=1))
    )

    assert table.lines == []
