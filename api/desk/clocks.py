"""The two clocks as a page's inputs: the business date and the "known at" instant.

Parsed as the API parses them (``ledger.clocks``, the patterns of the read routes); a
value that does not parse is shown beside its input and the page falls back to the
default (today; everything recorded) instead of failing.
"""

from __future__ import annotations

import re

from ledger.api.schemas.types import DATE_PATTERN
from ledger.clocks import ReadClocks, business_date, instant
from ledger.domain.errors import InvalidValue


def page_clocks(as_of: str, known_at: str) -> tuple[ReadClocks, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    on = business_date(None)
    if as_of:
        try:
            if re.fullmatch(DATE_PATTERN, as_of) is None:
                raise InvalidValue(f"as_of {as_of!r} is not a date (YYYY-MM-DD)", field="as_of")
            on = business_date(as_of, "as_of")
        except InvalidValue as exc:
            errors["as_of"] = [f"日期写作 YYYY-MM-DD（{exc.message}），已按今天计算"]
    known = None
    if known_at:
        try:
            known = instant(known_at)
        except InvalidValue as exc:
            errors["known_at"] = [f"写作 YYYY-MM-DD 或 YYYY-MM-DDThh:mm（{exc.message}）"]
    return ReadClocks(on, known), errors
