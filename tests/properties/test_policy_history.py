"""Rules over time, as properties: a document whose periods do not meet a unit's history
changes none of that history's decisions, whatever the kind of rule and the history.

Each example records a drawn history (months assessed and paid, in 2020 or 2022, under
the packaged catalogue) in an in-memory ledger, then enacts a drawn document of a drawn
kind whose periods lie entirely before or after the history. The dry run must list no
decision on the unit's recorded periods, and after the enactment every recorded item,
reduction and deferral of those periods is exactly as it was.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
from hypothesis import given

from ledger.catalogue.model import CatalogueFile
from ledger.domain.money import ZERO, round_fen
from ledger.domain.period import Period, PeriodRange
from ledger.domain.unit import Unit
from tests.properties.test_measures import (
    ACTOR,
    SETTINGS,
    bases,
    ledger_with,
    owed,
    unit_with_persons,
)

#: (region, name, the history's first month, its documents)
HISTORIES = [
    ("150400", "赤峰市", Period(2020, 1), ("chifeng-2020-3",)),
    ("530900", "临沧市", Period(2020, 1), ("lincang-2020-14",)),
    ("150300", "乌海市", Period(2022, 6), ("national-2022-21", "inner-mongolia-2022-19")),
]
KINDS = ("reduction", "automatic_deferral", "rates", "base_limits", "fixed_amounts")


def distant_document(kind: str, region: str, periods: PeriodRange) -> CatalogueFile:
    """A document of ``kind`` ruling on ``periods`` in ``region`` (its prefix of 4)."""
    prefix = region[:4]
    rules: dict[str, Any] = {}
    series = {"source": "s", "region": prefix, "since": str(periods.start)}
    if kind == "reduction":
        rules["reduction"] = {
            "source": "s",
            "periods": str(periods),
            "eligible_unit_types": ["enterprise"],
            "shares": ["unit_medical"],
            "fraction": "0.5",
            "overpaid": "refund",
        }
    elif kind == "automatic_deferral":
        deadline = (periods.end + 3).last_day.isoformat()
        rules["automatic_deferral"] = {
            "source": "s",
            "fund_months_above": 0,
            "eligible_unit_types": ["enterprise"],
            "eligible_size_classes": ["medium", "small", "micro"],
            "periods": str(periods),
            "parts": ["unit_medical", "unit_maternity"],
            "repayment_deadline": deadline,
            "late_fee_from": deadline,
        }
    elif kind == "rates":
        rates = {"unit_medical": "0.05", "unit_maternity": "0.00", "individual": "0.03"}
        rules["rates"] = [series | rates]
    elif kind == "base_limits":
        rules["base_limits"] = [series | {"floor": "30000.00", "ceiling": "60000.00"}]
    else:
        rules["fixed_amounts"] = [series | {"part": "individual", "amount": "9.00"}]
    return CatalogueFile.model_validate(
        {
            "document": {
                "id": "distant",
                "number": "D",
                "title": "t",
                "issuer": "i",
                "issued_on": periods.start.first_day.isoformat(),
                "enacted_on": periods.start.first_day.isoformat(),
                "version": 1,
                "regions": [prefix],
            },
            **rules,
        }
    )


def recorded(unit: Unit, history: PeriodRange) -> tuple[object, ...]:
    """What the unit's recorded periods hold: items, reductions, deferral windows."""
    items = sorted(
        (str(i.period), i.part.value, repr(i)) for i in unit.items.values() if i.period in history
    )
    reductions = sorted((str(p), r.rows) for p, r in unit.reductions.items() if p in history)
    windows = sorted(
        (d.document, str(d.periods), d.deadline)
        for d in unit.deferrals
        if d.periods.overlaps(history)
    )
    return (items, reductions, windows)


@SETTINGS
@given(
    history=st.sampled_from(HISTORIES),
    drawn=bases,
    months=st.integers(min_value=1, max_value=6),
    paid=st.lists(st.sampled_from(["0", "0.5", "1"]).map(Decimal), min_size=6, max_size=6),
    kind=st.sampled_from(KINDS),
    after=st.booleans(),
    gap=st.integers(min_value=1, max_value=30),
    length=st.integers(min_value=1, max_value=6),
)
def test_a_document_whose_periods_miss_a_units_history_changes_none_of_its_decisions(
    history: tuple[str, str, Period, tuple[str, ...]],
    drawn: list[Decimal],
    months: int,
    paid: list[Decimal],
    kind: str,
    after: bool,
    gap: int,
    length: int,
) -> None:
    code, name, first, documents = history
    ledger = ledger_with(*documents)
    uscc = unit_with_persons(ledger, code, name, drawn)
    if code == "150300":
        ledger.declare_fund_months(code, 9, date(2022, 7, 1), ACTOR)
        ledger.classify_unit(
            uscc, industry="other", size_class="small", classified_on=first.first_day, actor=ACTOR
        )
    span = PeriodRange(first, first + (months - 1))
    for period, share in zip(span, paid, strict=False):
        ledger.assess(uscc, period, (period + 1).first_day, ACTOR)
        amount = round_fen(owed(ledger, uscc) * share)
        if amount > ZERO:
            ledger.collect_payment(uscc, (period + 1).first_day.replace(day=10), amount, ACTOR)
    start = span.end + gap if after else span.start - (gap + length)
    document = distant_document(kind, code, PeriodRange(start, start + (length - 1)))
    before = recorded(ledger.unit(uscc), span)

    (preview,) = ledger.check_policies([document], ACTOR)
    ledger.enact_policy(document, ACTOR)

    touched = [e for unit in preview.units for e in unit.events if _periods_of(e) & set(span)]
    assert touched == []
    assert recorded(ledger.unit(uscc), span) == before
    ledger.close()


def _periods_of(event: Unit.Event) -> set[Period]:
    """The periods a decision event names (its period, its window, its item rows)."""
    found: set[Period] = set()
    if isinstance(getattr(event, "period", None), str):
        found.add(Period.parse(event.period))  # type: ignore[attr-defined]
    if isinstance(getattr(event, "periods", None), str) and event.periods:  # type: ignore[attr-defined]
        found.update(PeriodRange.parse(event.periods))  # type: ignore[attr-defined]
    for name in ("items", "totals"):
        for row in getattr(event, name, ()):
            found.add(Period.parse(row[0]))
    return found
