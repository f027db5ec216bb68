"""A person's parts remembered per base (``ledger.usecases.personparts``) are what the
line's arithmetic gives: the base held within the limits, each part ``apply_rate`` plus
the fixed amount, the texts as an assessment stores them, whether the table already
knew the base or not, and an assessment recorded through it stores exactly those lines."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import BaseLimitRule, RateRule
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.money import ZERO, apply_rate
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.usecases import personparts

SETTINGS = settings(
    max_examples=int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "15")) * 10,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
)
ACTOR = Actor("case-worker:properties", "property test", "req-properties")

fen = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
#: a base as a file or a member's record may write it: "4350", "4350.0" or "4350.00"
written_bases = st.tuples(fen, st.sampled_from([0, 1, 2])).map(
    lambda drawn: (
        drawn[0].quantize(Decimal(1).scaleb(-drawn[1]))
        if drawn[0] == drawn[0].quantize(Decimal(1).scaleb(-drawn[1]))
        else drawn[0]
    )
)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.2"), places=4)
#: zero written to the fen, coarser and finer too: the table skips adding a zero that
#: cannot change a part, and must not skip one that would ("0.000" adds a digit)
fixed = st.sampled_from(
    [ZERO, Decimal("0"), Decimal("0.000"), Decimal("-0.00"), Decimal("3.00"), Decimal("12.50")]
)


def reference(
    declared: Decimal, rule: RateRule, limits: BaseLimitRule | None, extra: tuple[Decimal, ...]
) -> tuple[list[str], tuple[Decimal, Decimal, Decimal]]:
    """The line as record_assessment computed it per person before the table."""
    base = declared if limits is None else limits.hold(declared)
    um = apply_rate(base, rule.unit_medical) + extra[0]
    mat = apply_rate(base, rule.unit_maternity) + extra[1]
    ind = apply_rate(base, rule.individual) + extra[2]
    row = [str(base), str(um), str(mat), str(ind)]
    if base != declared:
        row.append(str(declared))
    return row, (um, mat, ind)


@SETTINGS
@given(
    declared=st.lists(written_bases, min_size=1, max_size=8),
    um=rates,
    mat=rates,
    ind=rates,
    limited=st.booleans(),
    floor=fen,
    span=fen,
    extra=st.tuples(fixed, fixed, fixed),
)
def test_a_remembered_base_gives_the_parts_the_arithmetic_gives(
    declared: list[Decimal],
    um: Decimal,
    mat: Decimal,
    ind: Decimal,
    limited: bool,
    floor: Decimal,
    span: Decimal,
    extra: tuple[Decimal, Decimal, Decimal],
) -> None:
    rule = RateRule(
        source="test", region="150400", since="2024-01", unit_medical=um,
        unit_maternity=mat, individual=ind,
    )  # fmt: skip
    limits = (
        BaseLimitRule(source="test", region="150400", since="2024-01", floor=floor,
                      ceiling=floor + span)
        if limited
        else None
    )  # fmt: skip
    for _ in range(2):  # the second time round every base is known
        table = personparts.table_for(rule, limits, extra)
        for base in declared:
            text = str(base)
            texts, *amounts = table.known.get(text) or table.compute(base, text)
            row, expected = reference(base, rule, limits, extra)
            assert (list(texts), tuple(amounts)) == (row, expected)
            assert [str(a) for a in amounts] == row[1:4]


def test_equal_bases_written_differently_are_remembered_apart() -> None:
    rule = RateRule(
        source="test", region="150400", since="2024-01", unit_medical=Decimal("0.06"),
        unit_maternity=Decimal("0.01"), individual=Decimal("0.02"),
    )  # fmt: skip
    table = personparts.table_for(rule, None, (ZERO, ZERO, ZERO))
    plain = table.compute(Decimal("4350"), "4350")
    fen_text = table.known.get("4350.00") or table.compute(Decimal("4350.00"), "4350.00")
    assert (plain[0][0], fen_text[0][0]) == ("4350", "4350.00")
    assert plain[1:] == fen_text[1:]


def _ledger_with_unit() -> tuple[Ledger, str]:
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    for file in load_default_catalogue():
        ledger.enact_policy(file, ACTOR)
    ledger.register_region("150400", "赤峰市", "150000", ACTOR)
    body = "91150400MA0000001"
    uscc = body + uscc_check_char(body)
    ledger.register_unit(
        uscc=uscc,
        name="赤峰测试单位",
        unit_type="enterprise",
        region="150400",
        agency="150400001",
        unit_number="U1",
        established_on=date(2015, 1, 1),
        actor=ACTOR,
    )
    return ledger, uscc


@SETTINGS
@given(bases=st.lists(written_bases, min_size=1, max_size=12))
def test_an_assessment_stores_each_persons_line_as_the_arithmetic_gives_it(
    bases: list[Decimal],
) -> None:
    ledger, uscc = _ledger_with_unit()
    period = Period(2024, 5)
    rule = ledger.policies().rates("150400", period).rule
    lines = []
    for n, base in enumerate(bases):
        body = f"15040219900101{n:03d}"
        lines.append((body + resident_id_check_char(body), base))
    unit = ledger.unit(uscc)
    ledger.record_assessment(unit, period, lines, date(2024, 6, 5), ACTOR)
    recorded = unit.assessments[period]
    expected = [[rid, *reference(base, rule, None, (ZERO, ZERO, ZERO))[0]] for rid, base in lines]
    assert recorded.rows == expected
    for part, index in ((Part.unit_medical, 2), (Part.unit_maternity, 3), (Part.individual, 4)):
        item = unit.items.get((period, part))  # an item of nothing is left out
        assert (item.assessed if item else ZERO) == sum(
            (Decimal(row[index]) for row in expected), ZERO
        )
