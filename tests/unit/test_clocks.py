"""The read clocks as users write them (``ledger.clocks``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.clocks import instant
from ledger.domain.errors import InvalidValue


def test_a_known_at_date_is_the_end_of_that_day_in_china_standard_time() -> None:
    known = instant("2020-07-01")

    assert known is not None
    assert known.isoformat() == "2020-07-01T23:59:59.999999+08:00"


def test_summer_time_of_1986_to_1991_is_kept() -> None:
    known = instant("1988-07-01T10:00")

    assert known is not None
    assert known.utcoffset() == timedelta(hours=9)


@pytest.mark.parametrize("text", ["0310-02-11", "1900-12-31T10:00", "2020-01-01T00:00+00:00:30"])
def test_an_instant_whose_offset_has_seconds_is_refused(text: str) -> None:
    # It could not be answered back as an RFC 3339 date-time (the API's known_at).
    with pytest.raises(InvalidValue, match="offset with seconds"):
        instant(text, "known_at")
