"""Bulk import of assessments and payments, on SQLite and on PostgreSQL.

Chifeng (150400) in the packaged catalogue: unit 6% basic medical + 1% maternity,
individual 2%; a base of 5000.00 gives 300.00 / 50.00 / 100.00.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.domain.errors import InvalidValue, NotFound
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.period import Period
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.importer import import_assessments, import_payments
from ledger.importing import batch
from ledger.importing.batch import Batches, Spec
from ledger.importing.csvfile import CsvSource
from ledger.settings import Settings
from tests.conftest import StoreConfig

ACTOR = Actor("case-worker:import-test", "import test", "req-import")
CHIFENG = "150400"
MAY = Period(2024, 5)
ASSESSED_ON = date(2024, 6, 5)
HEADER = "uscc,period,resident_id,base\n"


def uscc(n: int) -> str:
    body = f"91150402MA{n:07d}"
    return body + uscc_check_char(body)


def person(n: int) -> str:
    body = f"15040219800101{n:03d}"
    return body + resident_id_check_char(body)


A, B, C = uscc(1), uscc(2), uscc(3)


def build(store: StoreConfig) -> Ledger:
    settings = Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or ""
    )
    return Ledger(env=settings.eventsourcing_env())


def chifeng_with_units(store: StoreConfig) -> Ledger:
    """Chifeng with the packaged catalogue enacted and units A, B and C registered."""
    ledger = build(store)
    for file in load_default_catalogue():
        ledger.enact_policy(file, ACTOR)
    ledger.register_region(CHIFENG, "赤峰市", "150000", ACTOR)
    for code in (A, B, C):
        ledger.register_unit(
            uscc=code,
            name=f"unit {code}",
            unit_type="enterprise",
            region=CHIFENG,
            agency="150400001",
            unit_number="",
            established_on=date(2015, 1, 1),
            actor=ACTOR,
        )
    return ledger


@pytest.fixture
def ledger(store: StoreConfig) -> Iterator[Ledger]:
    ledger = chifeng_with_units(store)
    yield ledger
    ledger.close()


def csv_file(tmp_path: Path, text: str, name: str = "month.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assess(ledger: Ledger, path: Path, **kwargs: Any) -> Any:
    return import_assessments(ledger, path, actor=ACTOR, assessed_on=ASSESSED_ON, **kwargs)


def unit(ledger: Ledger, code: str) -> Unit:
    return ledger.unit(code)


def parts(ledger: Ledger, code: str, period: Period = MAY) -> dict[Part, Decimal]:
    return {i.part: i.assessed for i in unit(ledger, code).items_of(period)}


# --------------------------------------------------------------- assessments


def test_importing_a_month_assesses_each_unit_at_the_catalogue_rates(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        HEADER
        + f"{A},2024-05,{person(1)},5000.00\n"
        + f"{A},2024-05,{person(2)},3333.33\n"
        + f"{B},2024-05,{person(3)},5000\n",
    )

    summary = assess(ledger, path)

    assert (summary.units_written, summary.lines_written, summary.ok) == (2, 3, True)
    line = unit(ledger, A).assessments[MAY].lines[person(1)]
    assert (line.unit_medical, line.unit_maternity, line.individual) == (
        Decimal("300.00"),
        Decimal("50.00"),
        Decimal("100.00"),
    )
    # 3333.33 x 6% = 199.9998 -> 200.00; x 1% = 33.3333 -> 33.33; x 2% = 66.6666 -> 66.67
    assert parts(ledger, A) == {
        Part.unit_medical: Decimal("500.00"),
        Part.unit_maternity: Decimal("83.33"),
        Part.individual: Decimal("166.67"),
    }
    assert unit(ledger, B).assessments[MAY].assessed_on == ASSESSED_ON


def test_a_row_with_a_wrong_check_character_rejects_its_unit_and_names_its_line(
    ledger: Ledger, tmp_path: Path
) -> None:
    wrong = person(4)[:17] + ("0" if person(4)[17] != "0" else "1")
    path = csv_file(
        tmp_path,
        HEADER
        + f"{A},2024-05,{person(1)},5000.00\n"
        + f"{B},2024-05,{person(3)},5000.00\n"
        + f"{B},2024-05,{wrong},5000.00\n"
        + f"{C},2024-05,{person(5)},5000.00\n",
    )

    summary = assess(ledger, path)

    assert [(r.line, r.uscc) for r in summary.rejections] == [(4, B)]
    assert "check character" in summary.rejections[0].reason
    assert MAY not in unit(ledger, B).assessments
    assert MAY in unit(ledger, A).assessments
    assert MAY in unit(ledger, C).assessments
    assert (summary.units_written, summary.units_rejected, summary.ok) == (2, 1, False)


def test_importing_the_same_file_again_changes_nothing(ledger: Ledger, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        HEADER + f"{A},2024-05,{person(1)},5000.00\n" + f"{B},2024-05,{person(3)},4000.00\n",
    )
    assess(ledger, path)
    before = ledger.recorder.max_notification_id()

    again = assess(ledger, path)

    assert ledger.recorder.max_notification_id() == before
    assert (again.units_unchanged, again.units_written, again.events, again.ok) == (2, 0, 0, True)


def test_a_period_assessed_with_other_lines_is_refused_until_revoked(
    ledger: Ledger, tmp_path: Path
) -> None:
    assess(ledger, csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n"))
    changed = csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5200.00\n", "changed.csv")

    summary = assess(ledger, changed)

    (rejection,) = summary.rejections
    assert rejection.line == 2
    assert "already assessed for 2024-05 with different lines" in rejection.reason
    assert "revoke first" in rejection.reason
    ledger.revoke_assessment(A, MAY, date(2024, 6, 6), ACTOR)
    assert assess(ledger, changed).units_written == 1
    assert unit(ledger, A).assessments[MAY].lines[person(1)].base == Decimal("5200.00")


def test_units_not_registered_or_deregistered_are_rejected(ledger: Ledger, tmp_path: Path) -> None:
    ledger.request_deregistration(C, date(2024, 4, 1), ACTOR)
    ledger.complete_deregistration(C, date(2024, 4, 2), ACTOR)
    stranger = uscc(99)
    path = csv_file(
        tmp_path,
        HEADER + f"{stranger},2024-05,{person(1)},5000.00\n" + f"{C},2024-05,{person(2)},5000.00\n",
    )

    summary = assess(ledger, path)

    reasons = {r.line: r.reason for r in summary.rejections}
    assert f"unit {stranger} is not registered" in reasons[2]
    assert "deregistered" in reasons[3]
    assert summary.units_rejected == 2


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        pytest.param(f"{A},2024-05,{person(2)},-5000.00", "must be positive", id="negative-base"),
        pytest.param(f"{A},2024-05,{person(2)},5000.001", "more than two decimals", id="fen"),
        pytest.param(f"{A},2020-13,{person(2)},5000.00", "month 13 is outside 1..12", id="period"),
        pytest.param(f"{A},2024-05,{person(1)},4000.00", "appears twice", id="duplicate-person"),
        pytest.param(f"{A},2024-05,{person(2)}", "has 3 fields", id="missing-field"),
        pytest.param(f"{A},2024-05,12345,5000.00", "must be 18 characters", id="short-id"),
    ],
)
def test_a_malformed_row_is_reported_with_its_line_not_raised(
    ledger: Ledger, tmp_path: Path, row: str, reason: str
) -> None:
    path = csv_file(
        tmp_path,
        HEADER + f"{A},2024-05,{person(1)},5000.00\n{row}\n{B},2024-05,{person(3)},5000.00\n",
    )

    summary = assess(ledger, path)

    (rejection,) = summary.rejections
    assert (rejection.line, rejection.uscc) == (3, A)
    assert reason in rejection.reason
    assert MAY not in unit(ledger, A).assessments
    assert MAY in unit(ledger, B).assessments


def test_bytes_that_are_not_utf8_are_reported_with_their_line(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + f"{A},2024-05,{person(1)},5000.00\n").encode()
        + f"{A},2024-05,{person(2)},5000.00\xa0\n".encode("latin-1")
        + f"{B},2024-05,{person(3)},5000.00\n".encode()
    )

    summary = assess(ledger, path)

    (rejection,) = summary.rejections
    assert rejection.line == 3
    assert "not UTF-8 text (byte 0xa0" in rejection.reason
    assert MAY in unit(ledger, B).assessments


def test_a_unit_whose_rows_are_not_contiguous_is_rejected_where_it_reappears(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        HEADER
        + f"{A},2024-05,{person(1)},5000.00\n"
        + f"{B},2024-05,{person(3)},5000.00\n"
        + f"{A},2024-05,{person(2)},5000.00\n",
    )

    summary = assess(ledger, path)

    (rejection,) = summary.rejections
    assert rejection.line == 4
    assert "appears again after its rows from line 2" in rejection.reason


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"uscc,period,base\n", id="missing-column"),
        pytest.param(b"", id="empty"),
        pytest.param(b"uscc,p\xe9riod,resident_id,base\n", id="header-not-utf8"),
    ],
)
def test_a_file_without_the_required_header_is_refused(
    ledger: Ledger, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = ledger.recorder.max_notification_id()

    with pytest.raises(InvalidValue):
        assess(ledger, path)

    assert ledger.recorder.max_notification_id() == before


def test_a_missing_file_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        assess(ledger, tmp_path / "nowhere.csv")


def test_a_header_with_a_byte_order_mark_and_crlf_lines_imports(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    text = "RESIDENT_ID,Base,USCC,period,assessed_on\r\n" + f"{person(1)},5000.00,{A},2024-05,"
    path.write_bytes(("\ufeff" + text + "2024-06-01\r\n").encode())

    summary = assess(ledger, path)

    assert summary.units_written == 1
    assert unit(ledger, A).assessments[MAY].assessed_on == date(2024, 6, 1)


def test_importing_in_worker_processes_writes_the_same_assessments(
    ledger: Ledger, tmp_path: Path
) -> None:
    rows = [f"{code},2024-05,{person(n)},{4000 + n}.00\n" for n, code in enumerate((A, B, C))]
    path = csv_file(tmp_path, HEADER + "".join(rows))

    summary = assess(ledger, path, workers=2, batch_units=1)

    assert (summary.units_written, summary.lines_written) == (3, 3)
    assert parts(ledger, C)[Part.individual] == Decimal("80.04")  # 4002.00 x 2%


def test_a_batch_that_meets_a_concurrent_writer_is_redone_from_fresh_state(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n")
    save = batch.save  # what a batch saves its units with
    batch_saves: list[Sequence[Any]] = []

    def save_after_someone_else(writer: Ledger, objs: Sequence[Any]) -> None:
        if any(isinstance(obj, Unit) and obj.pending_events for obj in objs):
            batch_saves.append(objs)
            if len(batch_saves) == 1:
                # Between the batch's load and its save, a case worker records a join on A.
                ledger.join_person(A, person(7), "6000.00", date(2024, 5, 20), ACTOR)
        save(writer, objs)

    monkeypatch.setattr(batch, "save", save_after_someone_else)
    with CsvSource(path, ("uscc", "period", "resident_id", "base")) as source:
        spec = Spec("assessments", source.columns, source.width, ACTOR, ASSESSED_ON)
        groups = list(source.units())

    summary = Batches(ledger, spec).run(groups)

    assert (len(batch_saves), summary.units_written) == (2, 1)
    recorded = unit(ledger, A)
    assert person(7) in recorded.members
    assert list(recorded.assessments[MAY].lines) == [person(1)]


def test_a_batch_runs_with_the_garbage_collector_paused_and_leaves_it_as_it_found_it(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n")
    save = batch.save
    collecting_while_saving: list[bool] = []

    def save_noting_the_collector(writer: Ledger, objs: Sequence[Any]) -> None:
        collecting_while_saving.append(gc.isenabled())
        save(writer, objs)

    monkeypatch.setattr(batch, "save", save_noting_the_collector)
    with CsvSource(path, ("uscc", "period", "resident_id", "base")) as source:
        spec = Spec("assessments", source.columns, source.width, ACTOR, ASSESSED_ON)
        groups = list(source.units())

    summary = Batches(ledger, spec).run(groups)

    assert (summary.units_written, collecting_while_saving, gc.isenabled()) == (1, [False], True)
    assert list(unit(ledger, A).assessments[MAY].lines) == [person(1)]


# ------------------------------------------------------------------ payments

PAYMENTS = "uscc,period,part,amount,paid_on\n"


def test_importing_payments_settles_the_items_they_name(ledger: Ledger, tmp_path: Path) -> None:
    assess(ledger, csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n"))
    path = csv_file(
        tmp_path,
        PAYMENTS
        + f"{A},2024-05,individual,100.00,2024-06-10\n"
        + f"{A},2024-05,unit_medical,300.00,2024-06-10\n"
        + f"{A},2024-05,unit_maternity,20.00,2024-06-12\n",
        "paid.csv",
    )

    summary = import_payments(ledger, path, actor=ACTOR)

    assert (summary.units_written, summary.lines_written, summary.ok) == (1, 3, True)
    items = {i.part: i for i in unit(ledger, A).items_of(MAY)}
    assert items[Part.individual].outstanding == Decimal("0.00")
    assert items[Part.unit_medical].outstanding == Decimal("0.00")
    assert items[Part.unit_maternity].outstanding == Decimal("30.00")
    collected = [e for e in ledger.unit_history(A) if isinstance(e, Unit.PaymentCollected)]
    assert [(e.paid_on, e.amount) for e in collected] == [
        (date(2024, 6, 10), Decimal("400.00")),
        (date(2024, 6, 12), Decimal("20.00")),
    ]


def test_importing_the_same_payments_again_changes_nothing(ledger: Ledger, tmp_path: Path) -> None:
    assess(ledger, csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n"))
    path = csv_file(tmp_path, PAYMENTS + f"{A},2024-05,individual,100.00,2024-06-10\n", "p.csv")
    import_payments(ledger, path, actor=ACTOR)
    before = ledger.recorder.max_notification_id()

    again = import_payments(ledger, path, actor=ACTOR)

    assert ledger.recorder.max_notification_id() == before
    assert (again.units_unchanged, again.events) == (1, 0)
    item = {i.part: i for i in unit(ledger, A).items_of(MAY)}[Part.individual]
    assert item.paid == Decimal("100.00")


def test_a_duplicate_payment_row_rejects_the_units_payments(ledger: Ledger, tmp_path: Path) -> None:
    assess(ledger, csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n"))
    path = csv_file(
        tmp_path,
        PAYMENTS
        + f"{A},2024-05,individual,100.00,2024-06-10\n"
        + f"{A},2024-05,unit_medical,300.00,2024-06-11\n"
        + f"{A},2024-05,unit_medical,300.00,2024-06-11\n",
        "p.csv",
    )

    summary = import_payments(ledger, path, actor=ACTOR)

    (rejection,) = summary.rejections
    assert rejection.line == 4
    assert "duplicate row: 2024-05 unit_medical paid on 2024-06-11" in rejection.reason
    assert all(i.paid == Decimal("0.00") for i in unit(ledger, A).items_of(MAY))


def test_a_payment_beyond_what_is_outstanding_is_rejected_with_its_line(
    ledger: Ledger, tmp_path: Path
) -> None:
    assess(ledger, csv_file(tmp_path, HEADER + f"{A},2024-05,{person(1)},5000.00\n"))
    path = csv_file(tmp_path, PAYMENTS + f"{A},2024-05,unit_medical,999.00,2024-06-11\n", "p.csv")

    summary = import_payments(ledger, path, actor=ACTOR)

    (rejection,) = summary.rejections
    assert rejection.line == 2
    assert "exceeds the outstanding 300.00" in rejection.reason


def test_a_payment_for_an_item_never_assessed_is_rejected(ledger: Ledger, tmp_path: Path) -> None:
    path = csv_file(tmp_path, PAYMENTS + f"{B},2024-04,individual,100.00,2024-06-10\n", "p.csv")

    summary = import_payments(ledger, path, actor=ACTOR)

    (rejection,) = summary.rejections
    assert rejection.line == 2
    assert "no assessment item 2024-04 individual" in rejection.reason
