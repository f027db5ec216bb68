"""The replay's figures from movements (no I/O): where principal falls due, and flows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

from ledger.domain.latefee import DailyRates
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.projections.journal import Kind, Movement
from ledger.replay.figures import Figures, unit_result

UNIT = uuid4()
AT = datetime(2022, 1, 1, tzinfo=UTC)
JULY = Period(2022, 7)
RATE = DailyRates.flat(Decimal("0.0005"))


def move(
    version: int, on: date, kind: Kind, amount: str = "0", due: date | None = None
) -> Movement:
    return Movement(UNIT, version, AT, on, kind, JULY, Part.unit_medical, Decimal(amount), due)


def test_a_deferral_moves_the_unpaid_principal_to_the_deadline_month_and_a_trigger_back() -> None:
    movements = [
        move(1, date(2022, 8, 5), Kind.assessed, "700.00", date(2022, 8, 15)),
        move(2, date(2022, 8, 5), Kind.paid, "100.00"),
        move(3, date(2022, 8, 6), Kind.deferred, due=date(2023, 6, 30)),
        move(4, date(2022, 10, 20), Kind.called_due, "200.00", date(2022, 10, 20)),
    ]

    result = unit_result(movements, date(2022, 12, 31), RATE)

    # 100.00 paid stays due in August; 600.00 deferred to June 2023, 200.00 of it called
    # due in October.
    assert (result.figures.deferred, result.figures.called_due) == (
        Decimal("600.00"),
        Decimal("200.00"),
    )
    due = {str(m): f.due for m, f in result.months.items() if f.due}
    assert due == {
        "2022-08": Decimal("100.00"),
        "2022-10": Decimal("200.00"),
        "2023-06": Decimal("400.00"),
    }
    assert result.months[Period(2022, 8)].collected == Decimal("100.00")


def test_refunds_are_money_out_in_the_month_decided() -> None:
    movements = [
        move(1, date(2020, 3, 5), Kind.assessed, "800.00", date(2020, 3, 15)),
        move(2, date(2020, 3, 10), Kind.paid, "800.00"),
        move(3, date(2020, 3, 14), Kind.reduced, "400.00"),
        move(4, date(2020, 3, 14), Kind.refunded, "400.00"),
    ]

    result = unit_result(movements, date(2020, 12, 31), RATE)

    march = result.months[Period(2020, 3)]
    assert (march.collected, march.refunded, march.net, march.due) == (
        Decimal("800.00"),
        Decimal("400.00"),
        Decimal("400.00"),
        Decimal("400.00"),
    )
    assert result.figures == Figures(
        assessed=Decimal("800.00"), reduced=Decimal("400.00"), refunded=Decimal("400.00")
    )
