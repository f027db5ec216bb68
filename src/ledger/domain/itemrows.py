"""Item amounts as events store them: ``[period, part, amount]`` rows of JSON-native
strings (``["2022-09", "unit_medical", "1234.56"]``).

One codec for both sides: the measures write these rows into decisions, the unit's
``apply`` and the views' journal read them back. A reversal stores the same rows as
the decision it reverses; readers negate them (``decode(rows, sign=-1)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from ledger.domain.period import Period
from ledger.domain.terms import Part

ItemRows = list[list[str]]


def encode(items: Iterable[tuple[Period, Part, Decimal]]) -> ItemRows:
    """Rows in the order given, zero amounts left out."""
    return [[str(p), part.value, str(a)] for p, part, a in items if a]


def encode_amounts(amounts: Mapping[tuple[Period, Part], Decimal]) -> ItemRows:
    """Rows in item order (period, then part), zero amounts left out."""
    return encode((p, part, a) for (p, part), a in sorted(amounts.items()))


def decode(rows: Iterable[list[str]], sign: int = 1) -> list[tuple[Period, Part, Decimal]]:
    """``sign=-1``: the amounts negated, as a reversal's movements are."""
    if sign == 1:
        return [(Period.parse(p), Part(part), Decimal(a)) for p, part, a in rows]
    return [(Period.parse(p), Part(part), -Decimal(a)) for p, part, a in rows]
