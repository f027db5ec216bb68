"""Checking import rows, without a store: grouping by unit, row rules, payment keys."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import Decimal

import pytest

from ledger.domain.errors import InvalidValue
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.importing import assessments, payments
from ledger.importing.common import Lookups
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import UnitOutcome

COLUMNS = {"uscc": 0, "period": 1, "resident_id": 2, "base": 3}
ON = date(2024, 6, 5)


def uscc(n: int) -> str:
    body = f"91150402MA{n:07d}"
    return body + uscc_check_char(body)


def person(n: int) -> str:
    body = f"15040219800101{n:03d}"
    return body + resident_id_check_char(body)


def group(code: str, *rows: str, first_line: int = 2) -> UnitRecords:
    return UnitRecords(code, first_line, "\n".join(rows), count=len(rows))


def check(unit: UnitRecords, columns: dict[str, int] = COLUMNS) -> object:
    return assessments.parse(unit, columns, len(columns), ON, Lookups())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5000.00", "5000.00"), ("5000", "5000.00"), ("4350.5", "4350.50"), (" 12.30 ", "12.30")],
)
def test_a_base_is_read_as_yuan_to_the_fen(text: str, expected: str) -> None:
    assert assessments.parse_base(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["0.00", "-1.00", "1e3", "5000.001", "五千", ""])
def test_a_base_that_is_not_a_positive_amount_of_fen_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        assessments.parse_base(text)


def test_a_units_lines_are_split_into_fields_with_their_numbers() -> None:
    unit = UnitRecords("A", 7, 'A,1\n\nA,"2,5"\nA,\xff', {10: "is not UTF-8 text"}, count=3)

    records = list(unit.records())

    assert records == [
        (7, ["A", "1"], ""),
        (9, ["A", "2,5"], ""),
        (10, ["A", "\xff"], "is not UTF-8 text"),
    ]
    assert (unit.last_line, unit.lines) == (10, "lines 7-10")


def test_a_units_lines_reach_a_worker_process_unchanged() -> None:
    unit = UnitRecords("A", 7, "A,1\n\nA,\xff", {9: "is not UTF-8 text"}, first_seen_on=3, count=2)

    handed = pickle.loads(pickle.dumps(unit, pickle.HIGHEST_PROTOCOL))

    assert handed == unit
    assert list(handed.records()) == list(unit.records())


def test_a_unit_with_a_bad_uscc_is_rejected_once_for_all_its_lines() -> None:
    bad = uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1")
    unit = group(bad, f"{bad},2024-05,{person(1)},5000", f"{bad},2024-05,{person(2)},5000")

    outcome = check(unit)

    assert isinstance(outcome, UnitOutcome)
    (rejection,) = outcome.rejections
    assert rejection.line == 2
    assert "check character" in rejection.reason
    assert "(lines 2-3 not imported)" in rejection.reason


def test_every_bad_row_of_a_unit_is_named() -> None:
    code = uscc(1)
    unit = group(
        code,
        f"{code},2024-05,{person(1)},5000",
        f"{code},2024-5,{person(2)},5000",
        f"{code},2024-05,{person(1)},5000",
        f"{code},2024-05,{person(3)},0",
    )

    outcome = check(unit)

    assert isinstance(outcome, UnitOutcome)
    assert [(r.line, r.reason.split(" ")[0]) for r in outcome.rejections] == [
        (3, "period"),
        (4, "person"),
        (5, "contribution"),
    ]
    assert "first on line 2" in outcome.rejections[1].reason
    assert outcome.lines == 4


def test_rows_of_one_period_must_share_their_assessment_date() -> None:
    code = uscc(1)
    columns = {**COLUMNS, "assessed_on": 4}
    unit = group(
        code,
        f"{code},2024-05,{person(1)},5000,2024-06-01",
        f"{code},2024-05,{person(2)},5000,2024-06-02",
        f"{code},2024-06,{person(1)},5000,",
    )

    outcome = check(unit, columns)

    assert isinstance(outcome, UnitOutcome)
    (rejection,) = outcome.rejections
    assert rejection.line == 3
    assert "assessed_on 2024-06-02 differs from 2024-06-01 on line 2" in rejection.reason


def test_a_units_valid_rows_become_its_lines_by_period() -> None:
    code = uscc(1)
    unit = group(
        code,
        f"{code},2024-05,{person(1)},5000",
        f"{code},202406,{person(1)},5100.50",
        f"{code},2024-05,{person(2)},4350.00",
    )

    plan = check(unit)

    assert isinstance(plan, assessments.AssessmentPlan)
    may, june = Period(2024, 5), Period(2024, 6)
    assert plan.periods[may].lines == [
        (person(1), Decimal("5000.00")),
        (person(2), Decimal("4350.00")),
    ]
    assert plan.periods[june].lines == [(person(1), Decimal("5100.50"))]
    assert plan.periods[june].assessed_on == ON


def test_a_payments_key_depends_on_its_content_not_on_the_order_of_its_rows() -> None:
    may = Period(2024, 5)
    first = payments.Payment(2, [(may, Part.individual, Decimal("100.00"))])
    first.items.append((may, Part.unit_medical, Decimal("300.00")))
    reordered = payments.Payment(7, list(reversed(first.items)))
    other = payments.Payment(2, [(may, Part.individual, Decimal("100.01"))])
    paid_on = date(2024, 6, 10)

    assert first.key(uscc(1), paid_on) == reordered.key(uscc(1), paid_on)
    assert first.key(uscc(1), paid_on) != other.key(uscc(1), paid_on)
    assert first.key(uscc(1), paid_on) != first.key(uscc(2), paid_on)
    assert first.key(uscc(1), paid_on) != first.key(uscc(1), date(2024, 6, 11))
    assert first.total == Decimal("400.00")
