"""What the runner writes: its shortcuts store exactly what rows_of would.

``Page`` writes a PeriodAssessed and a PaymentCollected from the event's strings
instead of building rows (see ``projections/pages.py``); every event of the demo
and of a synthetic year and a half (2022 deferrals included) must come out the
same both ways, in both dialects, byte for byte.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.projections.encoding import (
    copy_text,
    copy_text_fields,
    dumps,
    row_encoder,
    row_reader,
    utc_text,
)
from ledger.projections.journal import Kind, Movement
from ledger.projections.pages import Page
from ledger.projections.schema import TABLE_OF, Dialect
from tests.unit.projections.test_runner import filled_ledger

DIALECTS: list[Dialect] = ["postgres", "sqlite"]


@pytest.fixture(scope="module")
def events() -> list[tuple[int, Any]]:
    ledger = filled_ledger(units=25, months=18)
    decode = ledger.mapper.to_domain_event
    return [(n.id, decode(n)) for n in ledger.recorder.select_notifications(1, 1_000_000)]


def payloads(position: int, event: Any, dialect: Dialect, *, shortcut: bool) -> Any:
    page = Page(dialect, shortcuts=shortcut)
    page.add_event(position, event)
    return [(table.name, payload) for table, payload in page.payloads()]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_shortcuts_write_what_rows_of_writes(
    events: list[tuple[int, Any]], dialect: Dialect
) -> None:
    assessed = [e for _, e in events if isinstance(e, Unit.PeriodAssessed)]
    paid = [e for _, e in events if isinstance(e, Unit.PaymentCollected)]
    kinds = {type(e).__name__ for _, e in events}
    assert len(assessed) > 400
    assert len(paid) > 400
    assert {"AssessmentSplit", "DeferralGranted", "ReductionApplied"} <= kinds

    for position, event in events:
        fast = payloads(position, event, dialect, shortcut=True)
        general = payloads(position, event, dialect, shortcut=False)
        assert fast == general, f"{type(event).__name__} at {position}"


def odd(event: Any, **changes: Any) -> Any:
    """A copy of the event with other values (what no use case would record)."""
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", {**vars(event), **changes})
    return copy


@pytest.mark.parametrize("dialect", DIALECTS)
def test_odd_values_are_stored_as_the_general_path_stores_them(
    events: list[tuple[int, Any]], dialect: Dialect
) -> None:
    assessed = next((p, e) for p, e in events if isinstance(e, Unit.PeriodAssessed))
    paid = next((p, e) for p, e in events if isinstance(e, Unit.PaymentCollected))
    cases = [
        (
            assessed[0],
            odd(assessed[1], lines=[["a\tb\\c\nd", "0.0000001", "1E+2", "100", "-0.50"]]),
        ),
        # plain amounts (the shortcut's own path), a held base, identifiers to quote
        (
            assessed[0],
            odd(
                assessed[1],
                lines=[
                    ["NULL", "4350.00", "261.00", "43.50", "87.00"],
                    ['a"b\\c', "30000.00", "1800.00", "300.00", "600.00", "31250.75"],
                    ["x\ty", "0.01", "0.00", "0.50", "1.00"],
                ],
            ),
        ),
        (paid[0], odd(paid[1], unallocated=Decimal("12.30"))),
        # audit texts to escape (the shortcuts write the audit entry themselves)
        (paid[0], odd(paid[1], reason="a\tb\\c\nd", actor="新\r行", request_id="\0")),
        (assessed[0], odd(assessed[1], caused_by="x\ty", document="\\")),
        (paid[0], odd(paid[1], allocations=[["2022-07", "individual", "1E+1"]])),
    ]

    for position, event in cases:
        fast = dict(payloads(position, event, dialect, shortcut=True))
        general = dict(payloads(position, event, dialect, shortcut=False))

        if dialect == "sqlite":  # TEXT keeps the string: it must be str(Decimal) exactly
            assert fast == general
            continue
        # NUMERIC keeps the number: PostgreSQL reads 0.0000001 and 1E-7 alike
        assert fast.keys() == general.keys()
        for table in fast:
            assert [by_value(line) for line in fast[table].splitlines()] == [
                by_value(line) for line in general[table].splitlines()
            ]


#: person amounts the use cases would not write, each beside ones they would: the
#: views keep whole fen, and the shortcut (which reads an amount's digits as its fen)
#: must store what the general path's rounding stores (``journal.fens``)
PERSON_AMOUNTS = {
    "leading zeros and amounts under a yuan": [["a", "04350.00", "0.05", "0.00", "1.00"]],
    "a held base equal to the base but for a leading zero": [
        ["a", "4350.00", "261.00", "43.50", "87.00", "04350.00"],
        ["b", "3000.00", "1.00", "1.00", "1.00"],
    ],
    "a held base with a leading zero": [["a", "4350.00", "261.00", "43.50", "87.00", "03000.00"]],
    "below the fen, half-up, and a negative zero": [["a", "4350.005", "3.144", "0.005", "-0.00"]],
    "negative amounts": [["a", "-1.00", "-0.50", "-0.005", "-3.145"]],
    "16 digits of yuan": [["a", "9999999999999999.99", "1.00", "1.00", "1.00"]],
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("form", PERSON_AMOUNTS)
def test_person_amounts_in_any_form_are_kept_in_fen_as_the_general_path_keeps_them(
    events: list[tuple[int, Any]], dialect: Dialect, form: str
) -> None:
    position, event = next((p, e) for p, e in events if isinstance(e, Unit.PeriodAssessed))
    event = odd(event, lines=PERSON_AMOUNTS[form])

    fast = payloads(position, event, dialect, shortcut=True)

    assert fast == payloads(position, event, dialect, shortcut=False)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_person_amount_past_the_views_range_is_left_by_the_shortcut_and_refused(
    events: list[tuple[int, Any]], dialect: Dialect
) -> None:
    position, event = next((p, e) for p, e in events if isinstance(e, Unit.PeriodAssessed))
    # 17 digits of yuan: 10^18 fen and more (16 are kept, above)
    event = odd(event, lines=[["a", "10000000000000000.00", "1.00", "1.00", "1.00"]])

    for shortcut in (True, False):
        with pytest.raises(ValueError, match="the views' range"):
            payloads(position, event, dialect, shortcut=shortcut)


def by_value(line: bytes) -> list[Any]:
    """A COPY line's fields, numbers (and arrays of numbers) as Decimal."""
    found: list[Any] = []
    for field in line.decode().split("\t"):
        try:
            if field.startswith("{") and not field.startswith('{"'):
                found.append([Decimal(a) for a in field[1:-1].split(",")])
            else:
                found.append(Decimal(field))
        except ArithmeticError:
            found.append(field)
    return found


def test_text_fields_joined_are_escaped_as_each_field_alone() -> None:
    cases = [
        ("", "", ""),
        ("plain", "文本", ""),
        ("a\tb", "c"),
        ("a\\b", "c\nd", "e\rf", "g\0h"),
        ("only",),
    ]
    for values in cases:
        assert copy_text_fields(values) == "\t".join(map(copy_text, values)), values


def test_an_audit_text_that_is_not_text_is_refused_by_both_paths() -> None:
    with pytest.raises(TypeError):
        copy_text_fields(("actor", 5))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        copy_text(5)  # type: ignore[arg-type]


def test_copy_text_escapes_what_copy_would_read_as_separators() -> None:
    assert copy_text("plain 文本") == "plain 文本"
    assert copy_text("a\tb\nc\rd\\e") == "a\\tb\\nc\\rd\\\\e"


def test_instants_are_written_in_utc_text_that_sorts_in_time_order() -> None:
    beijing = timezone(timedelta(hours=8))
    earlier = datetime(2024, 1, 1, 8, 0, tzinfo=beijing)  # 00:00 UTC
    later = datetime(2024, 1, 1, 0, 0, 0, 1, tzinfo=UTC)

    assert utc_text(earlier) == "2024-01-01T00:00:00.000000+00:00"
    assert utc_text(earlier) < utc_text(later)
    with pytest.raises(TypeError, match="no time zone"):
        utc_text(datetime(2024, 1, 1))  # noqa: DTZ001  (the point: a naive instant)


def test_a_row_read_back_from_sqlite_values_equals_the_row() -> None:
    row = Movement(
        uuid4(),
        3,
        datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        date(2024, 5, 6),
        Kind.called_due,
        Period(2022, 7),
        Part.unit_medical,
        Decimal("420.00"),
        None,
        "150302199202020990",
        "内医保办发〔2022〕19号",
    )
    table = TABLE_OF[Movement]

    values = row_encoder(table, "sqlite")(1, 0, row)
    back = row_reader(Movement, "sqlite")(values[2:])

    assert back == row
    assert back.kind is Kind.called_due  # balance_fold.py compares kinds by identity
    assert str(back.amount) == "420.00"


def test_json_is_written_compact_with_non_ascii_as_is() -> None:
    # the stores' JSON (audit details, SQLite's arrays) made by a C encoder kept once
    value = {"rates": "缴费比例7%", "lines": 27, "totals": [["2022-01", "a\tb", "1.00"]], "n": None}

    assert dumps(value) == (
        '{"rates":"缴费比例7%","lines":27,"totals":[["2022-01","a\\tb","1.00"]],"n":null}'
    )
    assert dumps("x") == '"x"'
    assert dumps({"at": date(2024, 1, 2)}) == '{"at":"2024-01-02"}'  # str() as the fallback
