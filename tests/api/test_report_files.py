"""Reports as files over HTTP: CSV with a byte-order mark, xlsx read back with openpyxl
and compared with the JSON figures, on the demo's history in SQLite and PostgreSQL.

Round trip: each report is fetched as JSON and as xlsx; every cell of the workbook is
read back and compared with the JSON document's value for its column (amounts as
exact decimals to the fen, counts as integers, identifiers and codes as the same text,
dates as dates).
"""

from __future__ import annotations

import csv
import io
import uuid
import warnings
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import psycopg
import pytest
from openpyxl import load_workbook
from psycopg import sql

from ledger.api.app import create_app
from ledger.application import Actor
from ledger.bootstrap import build_ledger
from ledger.demo import Demo, Story, make_uscc
from ledger.reports import REPORTS, Kind, Report
from tests.api.conftest import settings_for
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SETUP = Actor("test:setup", "report files", "req-setup")
WUHAI = make_uscc("91150302MA0Q1WH00")
#: (report, path, parameters, where the JSON keeps its rows)
CASES = [
    ("deferral-list", "/reports/deferral-list", {"month": "2022-09"}, "rows"),
    ("statistics", "/reports/statistics", {"month": "2022-09"}, "lines"),
    ("reductions", "/reports/reductions", {"as_of": "2020-12-31"}, "lines"),
    ("reminders", "/reports/reminders", {"as_of": "2023-06-01"}, "reminders"),
    ("balance", f"/units/{WUHAI}/balance", {"as_of": "2023-08-01"}, "items"),
]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def http(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """An inspector's client of the API over the demo's history."""
    schema = ""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("files") / "ledger.db"
        store = StoreConfig("sqlite", f"sqlite:///{path}", None)
    else:
        url: str = request.getfixturevalue("postgres_url")
        schema = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        store = StoreConfig("postgres", url, schema)
    ledger = build_ledger(settings_for(store), configure_logs=False)
    Demo(ledger, Story(say=lambda _: None, show=lambda _: None)).run()
    issued = ledger.issue_token(role="inspector", agency="", name="inspector", actor=SETUP)
    ledger.close()
    app = create_app(settings_for(store))
    client = TestClient(app, base_url="http://ledger.test")
    client.headers["Authorization"] = f"Bearer {issued.secret}"
    yield client
    client.close()
    app.state.close()
    if schema:
        with psycopg.connect(store.database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def cell_matches(kind: Kind, cell: Any, given: Any) -> bool:
    """A workbook cell against the JSON document's value for its column."""
    if given is None or given == "":
        return cell is None
    if kind is Kind.MONEY:
        # read back as the nearest double; the file holds the decimal's own digits
        return isinstance(cell, int | float) and Decimal(repr(cell)) == Decimal(given)
    if kind is Kind.COUNT:
        return isinstance(cell, int) and cell == given
    if kind is Kind.DATE:
        return isinstance(cell, datetime) and cell.date().isoformat() == given
    if isinstance(given, list):  # periods: "2022-07 2022-08"
        given = " ".join(given)
    # codes are text: the same, or in the exchange file's compact form (YYYYMM, YYYYMMDD)
    return isinstance(cell, str) and cell in (str(given), str(given).replace("-", ""))


@pytest.mark.parametrize(("name", "path", "params", "rows"), CASES, ids=[c[0] for c in CASES])
def test_the_workbook_reads_back_as_the_json_figures(
    http: httpx.Client, name: str, path: str, params: dict[str, str], rows: str
) -> None:
    report: Report = REPORTS[name]

    document = http.get(path, params=params).json()
    response = http.get(path, params={**params, "format": "xlsx"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == [c.zh for c in report.columns]
    lines = document[rows]
    assert lines, "the demo's report should not be empty"
    for given, read in zip(lines, table[1:], strict=False):
        for column, cell in zip(report.columns, read, strict=True):
            if column.key in given:
                assert cell_matches(column.kind, cell, given[column.key]), (column.key, cell)
    assert len(table) - 1 - len(lines) in (0, 1)  # a 合计 row where the report totals


def test_the_deferral_lists_workbook_holds_the_demos_figures(http: httpx.Client) -> None:
    response = http.get("/reports/deferral-list", params={"month": "2022-09", "format": "xlsx"})

    sheet = load_workbook(io.BytesIO(response.content))["缓缴清单"]
    wuhai = [c.value for c in sheet[2]]

    # as of 2022-10-01: 21 persons, bases 106,000.00 x 7% = 7,420.00 deferred to 2023-06-30
    assert wuhai[:11] == [
        WUHAI, "乌海市示例零售有限公司", "66", "150301", "1WH00Y", "310", 21, "202207", "202209",
        7420, "20230630",
    ]  # fmt: skip
    assert sheet["J2"].number_format == "0.00"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("name", "path", "params", "rows"), CASES, ids=[c[0] for c in CASES])
def test_a_file_comes_as_an_attachment_named_after_the_report(
    http: httpx.Client, fmt: str, name: str, path: str, params: dict[str, str], rows: str
) -> None:
    response = http.get(path, params={**params, "format": fmt})

    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{name}')
    assert f'.{fmt}"; ' in disposition
    chinese = unquote(disposition.split("filename*=UTF-8''")[1])
    assert chinese.startswith(REPORTS[name].zh)
    assert chinese.endswith(f".{fmt}")


@pytest.mark.parametrize(("name", "path", "params", "rows"), CASES, ids=[c[0] for c in CASES])
def test_csv_has_a_byte_order_mark_and_the_chinese_headers(
    http: httpx.Client, name: str, path: str, params: dict[str, str], rows: str
) -> None:
    response = http.get(path, params={**params, "format": "csv"})

    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == [c.zh for c in REPORTS[name].columns]


def test_english_headers_on_request(http: httpx.Client) -> None:
    response = http.get(
        "/reports/statistics", params={"month": "2022-09", "format": "csv", "headers": "en"}
    )

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-1] == {
        "level": "total",
        "code": "",
        "region": "",
        "units deferring": "1",
        "persons deferred": "21",
        "amount deferred": "7420.00",
    }


def test_a_persons_rights_record_as_a_workbook(http: httpx.Client) -> None:
    from ledger.demo import make_resident_id

    leaver = make_resident_id("150302", "19920202", 99)
    response = http.post(
        "/persons/rights-record",
        params={"format": "xlsx"},
        json={"resident_id": leaver, "as_of": "2022-10-21"},
    )

    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    # 6,000.00 x 7% = 420.00 a month, called due on 2022-10-20 and unpaid the day after
    assert [(r[0], r[7], r[9]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("2022-07", 420, "called_due"),
        ("2022-08", 420, "called_due"),
        ("2022-09", 420, "called_due"),
    ]
    assert "rights-" in response.headers["content-disposition"]
    assert leaver not in response.headers["content-disposition"]  # no resident ID in names


def test_a_persons_trail_as_csv_names_no_resident_id_in_its_file_name(
    http: httpx.Client,
) -> None:
    from ledger.demo import make_resident_id

    leaver = make_resident_id("150302", "19920202", 99)
    response = http.post(
        "/persons/audit-trail", params={"format": "csv"}, json={"resident_id": leaver}
    )

    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="audit-')
    assert leaver not in disposition
    assert "PersonLeft" in response.content.decode("utf-8-sig")


def test_an_unknown_format_names_the_field(http: httpx.Client) -> None:
    response = http.get("/reports/reductions", params={"format": "xls"})

    assert response.status_code == 422
    assert response.json()["field"] == "format"
