from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ledger.domain.latefee import DailyRates
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.balance_fold import ItemBalance, known_at, unit_balance
from ledger.projections.journal import Movement, rows_of

RATE = DailyRates.flat(Decimal("0.0005"))


def movements(events: list[Any]) -> list[Movement]:
    return [row for e in events for row in rows_of(e) if isinstance(row, Movement)]


def item(balance_items: list[ItemBalance], period: str, part: Part) -> ItemBalance:
    (found,) = [i for i in balance_items if i.period == Period.parse(period) and i.part == part]
    return found


def test_deferred_unit_part_repaid_a_month_late_carries_325_50_of_late_fee(
    wuhai_events: list[Any],
) -> None:
    balance = unit_balance(movements(wuhai_events), date(2023, 8, 1), RATE)

    # 21,000.00 x 0.0005 x 31 days (2023-07-01..07-31) = 325.50, plus the resigned person's
    # 1,260.00 called due on 2022-10-20 and paid on 10-25: x 0.0005 x 5 days = 3.15
    assert balance.late_fee == Decimal("328.65")
    assert balance.outstanding == Decimal("0.00")
    july = item(balance.items, "2022-07", Part.unit_medical)
    # 7,000.00 x 31 x 0.0005 = 108.50 and 420.00 x 5 x 0.0005 = 1.05
    assert july.late_fee == Decimal("109.55")


def test_nothing_accrues_while_deferred(wuhai_events: list[Any]) -> None:
    balance = unit_balance(movements(wuhai_events), date(2023, 6, 30), RATE)

    july = item(balance.items, "2022-07", Part.unit_medical)
    # 7,420.00 - 420.00 called due and paid = 7,000.00 still deferred to 2023-06-30
    assert (july.deferred, july.overdue, july.deadline) == (
        Decimal("7000.00"),
        Decimal("0.00"),
        date(2023, 6, 30),
    )
    assert july.late_fee == Decimal("1.05")


def test_after_the_deadline_the_deferred_principal_is_overdue_and_accrues(
    wuhai_events: list[Any],
) -> None:
    balance = unit_balance(movements(wuhai_events), date(2023, 7, 10), RATE)

    july = item(balance.items, "2022-07", Part.unit_medical)
    # 7,000.00 x 0.0005 x 10 days + the 1.05 already accrued
    assert (july.deferred, july.overdue) == (Decimal("0.00"), Decimal("7000.00"))
    assert july.late_fee == Decimal("36.05")


def test_a_person_leaving_calls_their_part_due_on_the_day(wuhai_events: list[Any]) -> None:
    balance = unit_balance(movements(wuhai_events), date(2022, 10, 21), RATE)

    calls = [item(balance.items, p, Part.unit_medical) for p in ("2022-07", "2022-08", "2022-09")]
    # 6,000.00 x 7% = 420.00 a month, due 2022-10-20, one day late on 10-21
    assert [i.called_due for i in calls] == [Decimal("420.00")] * 3
    assert [i.deferred for i in calls] == [Decimal("7000.00")] * 3
    assert sum(i.late_fee for i in calls) == Decimal("0.63")


def test_the_individual_part_is_due_as_usual_during_a_deferral(wuhai_events: list[Any]) -> None:
    balance = unit_balance(movements(wuhai_events), date(2022, 8, 20), RATE)

    individual = item(balance.items, "2022-07", Part.individual)
    # 2,120.00 due 2022-08-15, paid 2022-08-10: in time, no fee
    assert (individual.due_date, individual.paid, individual.late_fee) == (
        date(2022, 8, 15),
        Decimal("2120.00"),
        Decimal("0.00"),
    )


def test_known_at_sees_only_what_was_recorded_by_then(wuhai_events: list[Any]) -> None:
    all_moves = movements(wuhai_events)
    before_last_payment = max(m.recorded_at for m in all_moves if m.on < date(2023, 1, 1))

    balance = unit_balance(known_at(all_moves, before_last_payment), date(2023, 8, 1), RATE)

    # the 2023-07-31 repayment is not known yet: 21,000.00 outstanding, 32 days overdue
    assert balance.outstanding == Decimal("21000.00")
    assert balance.late_fee == Decimal("339.15")  # 21000 x 0.0005 x 32 + 3.15


def test_as_of_before_an_assessment_shows_nothing(wuhai_events: list[Any]) -> None:
    balance = unit_balance(movements(wuhai_events), date(2022, 7, 1), RATE)

    assert balance.items == []
    assert balance.late_fee == Decimal("0.00")


def test_known_at_before_everything_shows_nothing(wuhai_events: list[Any]) -> None:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)

    balance = unit_balance(known_at(movements(wuhai_events), epoch), date(2030, 1, 1), RATE)

    assert balance.items == []
