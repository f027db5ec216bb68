"""Assessments and payments mapped from their stored JSON store what their decoded
events store (``projections/stored.py``): every event of the demo and of a synthetic
year and a half, in both dialects, byte for byte; and a state the use cases would not
write is left to the decoded path, which refuses, upcasts or sets it aside as before."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from typing import Any, cast
from uuid import UUID

import pytest
from eventsourcing.persistence import Notification

from ledger.application import Ledger
from ledger.domain.unit import Unit
from ledger.projections import stored
from ledger.projections.journal import AUDIT_TEXTS
from ledger.projections.pages import Page
from ledger.projections.reading import Stored
from ledger.projections.schema import Dialect
from tests.unit.projections.test_runner import filled_ledger

DIALECTS: list[Dialect] = ["postgres", "sqlite"]


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return filled_ledger(units=25, months=18)


@pytest.fixture(scope="module")
def notifications(ledger: Ledger) -> list[Notification]:
    return list(ledger.recorder.select_notifications(1, 1_000_000))


def decoded(ledger: Ledger, n: Notification, dialect: Dialect) -> Any:
    """What the runner's general path makes of ``n``: its page, or the refusal."""
    page = Page(dialect)
    try:
        page.add_event(n.id, ledger.mapper.to_domain_event(n))
    except Exception as exc:
        return f"refused: {type(exc).__name__}"
    return page.payloads(), page.events, page.person_lines


def from_json(ledger: Ledger, n: Notification, dialect: Dialect) -> tuple[bool, Any]:
    """Whether the stored path took ``n``, and what the runner makes of it then."""
    add = stored.reader(ledger.mapper)
    assert add is not None
    page = Page(dialect)
    mark = page.mark()
    try:
        taken = add(page, n)
    except Exception:
        page.undo(mark)
        taken = False
    if not taken:
        assert page.payloads() == []
        assert page.events == 0
        return False, decoded(ledger, n, dialect)
    return True, (page.payloads(), page.events, page.person_lines)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_assessments_and_payments_from_their_json_are_stored_as_decoded_events_are(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect
) -> None:
    taken: Counter[str] = Counter()
    for n in notifications:
        took, outcome = from_json(ledger, n, dialect)
        assert outcome == decoded(ledger, n, dialect), f"{n.topic} at {n.id}"
        taken[n.topic] += took

    assessed, paid = Unit.PeriodAssessed.TOPIC, Unit.PaymentCollected.TOPIC
    counts = Counter(n.topic for n in notifications)
    assert taken[assessed] == counts[assessed] > 400
    assert taken[paid] == counts[paid] > 400
    assert sum(taken.values()) == taken[assessed] + taken[paid]  # nothing else


def rows_by_table(ledger: Ledger, n: Notification, dialect: Dialect, *, details: bool) -> Any:
    add = stored.reader(ledger.mapper, details=details)
    assert add is not None
    page = Page(dialect)
    assert add(page, n)
    return {
        t.name: list(rows.decode().splitlines() if dialect == "postgres" else rows)
        for t, rows in page.payloads()
    }


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_assessments_or_payments_audit_detail_left_to_its_event_changes_nothing_else(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect
) -> None:
    bulk = {Unit.PeriodAssessed.TOPIC, Unit.PaymentCollected.TOPIC}
    checked = 0
    for n in (n for n in notifications if n.topic in bulk):
        kept = rows_by_table(ledger, n, dialect, details=True)
        left = rows_by_table(ledger, n, dialect, details=False)

        (entry,), (written,) = left.pop("view_audit"), kept.pop("view_audit")
        if dialect == "postgres":
            entry, written = entry.split("\t"), written.split("\t")
        assert entry[-1] == stored.FROM_EVENT == "null"
        assert json.loads(written[-1])  # the detail the entry would have held
        assert list(entry[:-1]) == list(written[:-1])
        assert left == kept  # the event's other rows
        checked += 1
    assert checked > 800


def with_state(n: Notification, change: Any) -> Notification:
    state = json.loads(n.state)
    change(state)
    return replace(n, state=json.dumps(state, ensure_ascii=False).encode())


def transcoded(kind: str, data: Any) -> dict[str, Any]:
    return {"_type_": kind, "_data_": data}


def _set(key: str, value: Any) -> Any:
    return lambda state: state.__setitem__(key, value)


ODD_ASSESSMENTS = {
    "an older class version (upcast)": lambda s: (
        s.__setitem__("class_version", 1),
        *(s.pop(k) for k in ("limits", "limits_policy", "fixed", "fixed_policy")),
    ),
    "no class version": lambda s: s.pop("class_version"),
    "a field more": _set("extra", "x"),
    "a field less": lambda s: s.pop("rates"),
    "fields in another order": lambda s: s.update(period=s.pop("period")),
    "a date in the rates": _set("rates", transcoded("date_iso", "2022-01-05")),
    "a date among the limits": _set("limits", [transcoded("date_iso", "2022-01-05")]),
    "limits and a held base": lambda s: (
        s.__setitem__("limits", ["4350.00", "30000.00"]),
        s["lines"][0].append("3000.00"),
    ),
    "a fixed amount transcoded": _set("fixed", [transcoded("decimal_str", "5.00")]),
    "a fixed amount": _set("fixed", [["unit_medical", "5.00"]]),
    "an amount transcoded in a line": lambda s: s["lines"][0].__setitem__(
        1, transcoded("decimal_str", "1.00")
    ),
    "a line transcoded": lambda s: s["lines"].__setitem__(0, transcoded("decimal_str", "1")),
    "a total transcoded": lambda s: s["totals"].__setitem__(0, transcoded("decimal_str", "1")),
    "a period transcoded": _set("period", transcoded("date_iso", "2022-01-01")),
    "a compact period": _set("period", "202201"),
    "a bad period": _set("period", "2022-13"),
    "a compact date": _set("due_date", transcoded("date_iso", "20220215")),
    "a bad date": _set("due_date", transcoded("date_iso", "2022-02-30")),
    "a date under another name": _set("due_date", transcoded("day", "2022-02-15")),
    "a date as plain text": _set("due_date", "2022-02-15"),
    "a date's data not text": _set("due_date", transcoded("date_iso", 20220215)),
    "an instant in Z": _set("timestamp", transcoded("datetime_iso", "2024-01-02T03:04:05Z")),
    # instants whose text is not what isoformat writes again, and some that are
    **{
        f"an instant {text}": _set("timestamp", transcoded("datetime_iso", text))
        for text in (
            "2024-01-02T03:04:05+00:00",
            "2024-01-02T03:04:05.000000+00:00",
            "2024-01-02T03:04:05.120000+08:00",
            "2024-01-02T03:04:05.12+00:00",
            "2024-01-02T03:04:05,123456+00:00",
            "2024-01-02T03:04:05.123456-00:00",
            "2024-01-02T03:04:05.123456-05:30",
            "2024-01-02T03:04:05.123456+05:30:10",
            "2024-01-02 03:04:05.123456+00:00",
            "20240102T030405.123456+00:00",
        )
    },
    "a naive instant": _set("timestamp", transcoded("datetime_iso", "2024-01-02T03:04:05")),
    "an actor not text": _set("actor", 5),
    "an actor transcoded": _set("actor", transcoded("date_iso", "2022-01-05")),
    "texts to escape": _set("reason", "a\tb\\c\nd"),
    "rates to escape": _set("rates", 'a"b\\c\nd\t新\u2028'),
    "policies to escape": lambda s: s.update(limits_policy='"\\', fixed_policy="\x01"),
    "an amount in exponent form": lambda s: s["lines"][0].__setitem__(2, "1E+2"),
    # person lines' amounts are kept as whole fen: only the use cases' form is read as
    # digits, any other is rounded (or refused) by the general path
    "an amount below the fen": lambda s: s["lines"][0].__setitem__(2, "3.145"),
    "an amount of one decimal": lambda s: s["lines"][0].__setitem__(3, "3.5"),
    "an amount without decimals": lambda s: s["lines"][0].__setitem__(1, "4350"),
    "an amount with a leading zero": lambda s: s["lines"][0].__setitem__(1, "04350.00"),
    "a negative amount": lambda s: s["lines"][0].__setitem__(4, "-1.00"),
    "a negative zero": lambda s: s["lines"][0].__setitem__(4, "-0.00"),
    "amounts under a yuan": lambda s: s["lines"][0].__setitem__(
        slice(2, 5), ["0.00", "0.05", "0.50"]
    ),
    "a held base below the fen": lambda s: s["lines"][0].append("3000.005"),
    "a held base equal to the base in another form": lambda s: s["lines"][0].append(
        s["lines"][0][1] + "0"
    ),
    "a held base equal to the base but for a leading zero": lambda s: s["lines"][0].append(
        "0" + s["lines"][0][1]
    ),
    "a held base with a leading zero": lambda s: s["lines"][0].append("03000.00"),
    "an amount of 16 digits": lambda s: s["lines"][0].__setitem__(1, "9" * 16 + ".99"),
    "an amount past the views' range": lambda s: s["lines"][0].__setitem__(1, "1" * 19 + ".00"),
    "no lines": _set("lines", []),
    "a short line": lambda s: s["lines"][0].pop(),
    # where orjson (the stored path's parser) and the standard library's json differ
    "a resident ID a number past 64 bits": lambda s: s["lines"][0].__setitem__(0, 10**30),
    "a resident ID a number": lambda s: s["lines"][0].__setitem__(0, 150402),
    "a class version past 64 bits": _set("class_version", 2 + 2**64),
    "a class version 2.0": _set("class_version", 2.0),
    "an amount NaN": lambda s: s["lines"][0].__setitem__(2, float("nan")),
}
ODD_PAYMENTS = {
    "a field more": _set("extra", 1),
    "an amount as plain text": _set("amount", "12.30"),
    "an amount's data a number": _set("unallocated", transcoded("decimal_str", 12)),
    "an amount not a number": _set("unallocated", transcoded("decimal_str", "x")),
    "credit left": _set("unallocated", transcoded("decimal_str", "12.30")),
    "credit in exponent form": _set("unallocated", transcoded("decimal_str", "1E+1")),
    "an allocation transcoded": lambda s: s["allocations"].__setitem__(
        0, transcoded("decimal_str", "1")
    ),
    "an allocated amount transcoded": lambda s: s["allocations"][0].__setitem__(
        2, transcoded("decimal_str", "1")
    ),
    "an allocated amount malformed": lambda s: s["allocations"][0].__setitem__(2, "1.2.3"),
    "an unknown part": lambda s: s["allocations"][0].__setitem__(1, "dental"),
    "no allocations": _set("allocations", []),
    "a bad instant": _set("timestamp", transcoded("datetime_iso", "yesterday")),
    "an instant at -00:00": _set(
        "timestamp", transcoded("datetime_iso", "2024-01-02T03:04:05.123456-00:00")
    ),
}


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("topic", "name"),
    [(Unit.PeriodAssessed.TOPIC, name) for name in ODD_ASSESSMENTS]
    + [(Unit.PaymentCollected.TOPIC, name) for name in ODD_PAYMENTS],
)
def test_a_state_the_use_cases_would_not_write_ends_as_its_decoded_event_does(
    ledger: Ledger,
    notifications: list[Notification],
    dialect: Dialect,
    topic: str,
    name: str,
) -> None:
    change = {**ODD_ASSESSMENTS, **ODD_PAYMENTS}[name]
    original = next(n for n in notifications if n.topic == topic)
    n = with_state(original, change)

    _, outcome = from_json(ledger, n, dialect)

    assert outcome == decoded(ledger, n, dialect)


def as_read(n: Notification) -> Notification:
    """``n`` as the runner's reader gives it on PostgreSQL (``reading.Stored``, with the
    originator's UUID as the server writes it)."""
    o = n.originator_id
    uid = o if isinstance(o, UUID) else UUID(o)
    row = Stored(n.id, uid, n.originator_version, n.topic, n.state, str(uid))
    return cast(Notification, row)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_originators_text_from_the_reader_is_written_as_its_uuid_is(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect
) -> None:
    paid = next(n for n in notifications if n.topic == Unit.PaymentCollected.TOPIC)
    for n in [*notifications[:300], paid]:
        assert from_json(ledger, as_read(n), dialect) == from_json(ledger, n, dialect), n.id


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("state", [b" {}", b'{"a":1} ', b"{}{}", b"", b"[1]", b'"x"'])
def test_a_state_that_is_not_one_json_object_alone_is_left_to_the_decoded_path(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect, state: bytes
) -> None:
    assessed = next(n for n in notifications if n.topic == Unit.PeriodAssessed.TOPIC)
    spaced = replace(assessed, state=b" " + assessed.state + b"\n")

    assert from_json(ledger, replace(assessed, state=state), dialect)[0] is False
    taken, outcome = from_json(ledger, spaced, dialect)
    assert not taken
    assert outcome == decoded(ledger, spaced, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_lone_surrogate_the_json_parser_refuses_is_left_to_the_decoded_path(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect
) -> None:
    assessed = next(n for n in notifications if n.topic == Unit.PeriodAssessed.TOPIC)
    state = json.loads(assessed.state)
    state["reason"] = "a\ud800b"
    n = replace(assessed, state=json.dumps(state).encode())  # ASCII: the escape, not UTF-8
    add = stored.reader(ledger.mapper)
    assert add is not None
    page = Page(dialect)

    assert add(page, n) is False
    assert page.events == 0
    assert page.payloads() == []


def test_states_with_nested_values_are_left_to_the_decoded_path(
    ledger: Ledger, notifications: list[Notification]
) -> None:
    assessed = next(n for n in notifications if n.topic == Unit.PeriodAssessed.TOPIC)
    for change in (
        ODD_ASSESSMENTS["a date in the rates"],
        ODD_ASSESSMENTS["a date among the limits"],
        ODD_ASSESSMENTS["a fixed amount transcoded"],
        ODD_ASSESSMENTS["an older class version (upcast)"],
    ):
        taken, _ = from_json(ledger, with_state(assessed, change), "postgres")
        assert not taken


def test_texts_to_escape_and_limits_are_written_from_the_json_too(
    ledger: Ledger, notifications: list[Notification]
) -> None:
    assessed = next(n for n in notifications if n.topic == Unit.PeriodAssessed.TOPIC)
    for name in (
        "texts to escape",
        "rates to escape",
        "policies to escape",
        "limits and a held base",
        "a fixed amount",
        "a compact period",
    ):
        for dialect in DIALECTS:
            n = with_state(assessed, ODD_ASSESSMENTS[name])
            taken, outcome = from_json(ledger, n, dialect)
            assert taken, name
            assert outcome == decoded(ledger, n, dialect), name


def test_the_audit_texts_these_events_lack_are_not_attributes_of_their_classes() -> None:
    # the stored path writes "" for them, as getattr(event, name, "") does
    assert AUDIT_TEXTS[:3] == ("actor", "reason", "request_id")
    for cls in (Unit.PeriodAssessed, Unit.PaymentCollected):
        assert [name for name in AUDIT_TEXTS[3:] if hasattr(cls, name)] == []


def test_a_mapper_that_compresses_has_no_stored_path() -> None:
    ledger = Ledger(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": ":memory:",
            "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        }
    )

    assert stored.reader(ledger.mapper) is None


def lines_row(payloads: Any, dialect: Dialect) -> list[str]:
    """The ``view_assessed_lines`` row of a page as its fields' texts."""
    found = [rows for table, rows in payloads if table.name == "view_assessed_lines"]
    if dialect == "postgres":
        text: str = found[0].decode()
        return text.rstrip("\n").split("\t")
    return [str(value) for value in found[0][0]]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_person_amounts_are_kept_in_whole_fen_rounded_half_up(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect
) -> None:
    original = next(n for n in notifications if n.topic == Unit.PeriodAssessed.TOPIC)
    amounts = ["4350.005", "3.144", "0.005", "0.00"]  # base, the three parts
    n = with_state(original, lambda s: s["lines"][0].__setitem__(slice(1, 5), amounts))

    taken, (payloads, _, _) = from_json(ledger, n, dialect)

    assert not taken  # not the use cases' form: the general path rounds it
    columns = lines_row(payloads, dialect)[9:13]  # bases, the three parts
    assert [column.strip("{}[]").split(",")[0] for column in columns] == [
        "435001",
        "314",
        "1",
        "0",
    ]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_person_amount_past_the_views_range_sets_its_assessment_aside(
    ledger: Ledger, notifications: list[Notification], dialect: Dialect
) -> None:
    original = next(n for n in notifications if n.topic == Unit.PeriodAssessed.TOPIC)
    n = with_state(original, lambda s: s["lines"][0].__setitem__(1, "1" * 19 + ".00"))

    taken, outcome = from_json(ledger, n, dialect)

    assert not taken
    assert outcome == "refused: ValueError"  # the runner sets such an event aside
