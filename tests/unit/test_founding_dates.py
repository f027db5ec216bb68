"""A unit's founding date is history: wider than the ledger's business years."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.cli.app import founded
from ledger.domain.errors import InvalidValue
from ledger.domain.years import check_day, check_founded


def test_a_founding_in_1958_is_a_date_the_ledger_takes_though_no_business_date_is() -> None:
    assert check_founded(date(1958, 10, 1), "established_on") == date(1958, 10, 1)
    with pytest.raises(InvalidValue, match="outside the ledger's years"):
        check_day(date(1958, 10, 1), "paid_on")


def test_a_founding_before_1800_or_after_the_ledgers_last_day_is_refused() -> None:
    for day in (date(1799, 12, 31), date(2100, 1, 1)):
        with pytest.raises(InvalidValue, match="a unit's founding"):
            check_founded(day, "established_on")


def test_the_cli_reads_established_with_the_same_rule() -> None:
    assert founded("1958-10-01") == date(1958, 10, 1)
    with pytest.raises(InvalidValue, match="not a date"):
        founded("1958-10")
    with pytest.raises(InvalidValue, match="a unit's founding"):
        founded("1700-01-01")
