"""Reports described once (ledger.reports) and rendered as CSV and xlsx, without I/O:
the seeds' field names and order, amounts to the fen, identifiers as text, free text
that cannot run as a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from ledger.domain.period import Period
from ledger.projections.store import MemoryViewStore
from ledger.reports import (
    DEFERRAL_LIST,
    REDUCTIONS,
    REPORTS,
    Query,
    Report,
    Table,
    ViewsAndPolicies,
    render,
    text_of,
)
from ledger.reports.exchange import deferral_list_cells
from tests.unit.projections import seeds
from tests.unit.projections.conftest import WUHAI_SME

SENT = datetime(2022, 10, 1, 8, 30, 5, tzinfo=ZoneInfo("Asia/Shanghai"))


def run(report: Report, store: MemoryViewStore, **query: Any) -> Table:
    reads = ViewsAndPolicies(store, lambda _: seeds.POLICIES)
    return report.run(reads, Query(now=SENT, **query))


def csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --------------------------------------------------------------- the columns


def test_the_list_row_has_the_notices_fields_and_codes(wuhai_events: list[Any]) -> None:
    table = run(DEFERRAL_LIST, seeds.store_of(wuhai_events), month=Period(2022, 9))
    (row,) = table.rows

    # 21 persons, bases 106,000.00 x 7% = 7,420.00 of September's unit part deferred
    cells = [text_of(c, v) for c, v in zip(DEFERRAL_LIST.columns, row, strict=True)]
    assert dict(zip([c.zh for c in DEFERRAL_LIST.columns], cells, strict=True)) == {
        "统一社会信用代码": WUHAI_SME,
        "单位名称": "乌海市示例零售有限公司",
        "缓缴类型": "66",
        "医保经办机构代码": "150301",
        "医保单位编号": "1",
        "险种类型代码": "310",
        "缓缴人数": "21",
        "缓缴所属期起": "202207",
        "缓缴所属期止": "202209",
        "缓缴金额": "7420.00",
        "缓缴期限": "20230630",
        "传输时间": "20221001083005",
    }


def test_the_headers_are_the_notices_fields_in_its_order() -> None:
    assert [c.zh for c in DEFERRAL_LIST.columns] == [
        "统一社会信用代码",
        "单位名称",
        "缓缴类型",
        "医保经办机构代码",
        "医保单位编号",
        "险种类型代码",
        "缓缴人数",
        "缓缴所属期起",
        "缓缴所属期止",
        "缓缴金额",
        "缓缴期限",
        "传输时间",
    ]


def test_the_reduction_table_follows_the_seeds_order() -> None:
    # 临医保联发〔2020〕14号 四(三): 减征前应征金额、减征金额、减征后应缴金额、减征起止日期
    zh = [c.zh for c in REDUCTIONS.columns]

    assert zh[zh.index("减征人数") :] == [
        "减征人数",
        "减征前应征金额",
        "减征金额",
        "减征后应缴金额",
        "减征起始所属期",
        "减征终止所属期",
        "政策文件",
    ]


@pytest.mark.parametrize("report", REPORTS.values(), ids=list(REPORTS))
def test_every_column_has_a_chinese_and_an_english_header(report: Report) -> None:
    assert all(c.zh and c.en and c.key for c in report.columns)
    assert not any(c.zh.isascii() for c in report.columns)


# ----------------------------------------------------------------------- CSV


def test_csv_has_a_byte_order_mark_and_the_chinese_headers(wuhai_events: list[Any]) -> None:
    table = run(DEFERRAL_LIST, seeds.store_of(wuhai_events), month=Period(2022, 9))

    data = render(table, "csv")

    assert data.startswith("\ufeff统一社会信用代码,单位名称,".encode())
    assert data.count(b"\r\n") == 2  # RFC 4180 line ends: the header and one row
    assert csv_rows(data)[0]["缓缴金额"] == "7420.00"


def test_csv_in_english_headers_on_request(wuhai_events: list[Any]) -> None:
    table = run(DEFERRAL_LIST, seeds.store_of(wuhai_events), month=Period(2022, 9))

    (row,) = csv_rows(render(table, "csv", headers="en"))

    assert (row["USCC"], row["amount deferred"]) == (WUHAI_SME, "7420.00")


def test_a_name_that_reads_as_a_formula_is_defused_in_csv() -> None:
    table = _one_row_table('=HYPERLINK("http://evil.invalid","点此")', Decimal("-5.00"))

    (row,) = csv_rows(render(table, "csv"))

    # the free text is shown, never run; a negative amount is a number, left alone
    assert row["单位名称"] == '\'=HYPERLINK("http://evil.invalid","点此")'
    assert row["缓缴金额"] == "-5.00"


# ---------------------------------------------------------------------- xlsx


def test_xlsx_amounts_are_numbers_to_the_fen_and_identifiers_text(
    wuhai_events: list[Any],
) -> None:
    table = run(DEFERRAL_LIST, seeds.store_of(wuhai_events), month=Period(2022, 9))

    data = render(table, "xlsx")
    sheet = load_workbook(io.BytesIO(data))["缓缴清单"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))

    assert header == [c.zh for c in DEFERRAL_LIST.columns]
    assert (row["缓缴金额"].data_type, row["缓缴金额"].number_format) == ("n", "0.00")
    assert Decimal(str(row["缓缴金额"].value)) == Decimal("7420.00")
    assert (row["缓缴人数"].value, row["缓缴人数"].data_type) == (21, "n")
    for code in ("统一社会信用代码", "缓缴类型", "险种类型代码", "缓缴所属期起", "缓缴期限"):
        assert (row[code].data_type, row[code].number_format) == ("s", "@")
    assert (row["险种类型代码"].value, row["缓缴所属期起"].value) == ("310", "202207")


def test_xlsx_stores_the_amounts_own_digits_never_a_float() -> None:
    # 0.1 + 0.2 in binary floating point is 0.30000000000000004; 12,345,678,901,234.57
    # has 16 significant digits, past what "%.16g" of a float keeps exactly
    table = _one_row_table("某单位", Decimal("12345678901234.57"))

    sheet_xml = _sheet_xml(render(table, "xlsx"))

    assert "<v>12345678901234.57</v>" in sheet_xml
    assert "1.2345678901234" not in sheet_xml


def test_a_name_that_reads_as_a_formula_is_text_in_xlsx() -> None:
    table = _one_row_table("=1+2", Decimal("1.00"))

    data = render(table, "xlsx")
    cell = load_workbook(io.BytesIO(data))["缓缴清单"]["B2"]

    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+2", "s", True)
    assert "<f>" not in _sheet_xml(data)


def test_a_table_with_a_total_row_ends_with_it_in_xlsx() -> None:
    table = run(REDUCTIONS, seeds.store_for(seeds.chifeng_ledger), as_of=date(2020, 7, 1))

    sheet = load_workbook(io.BytesIO(render(table, "xlsx"))).worksheets[0]
    last = [c.value for c in sheet[sheet.max_row]]

    # 3,150.00 + 350.00 before; 1,350.00 + 150.00 off; 4 persons (see test_reports_reductions)
    assert last[:8] == ["合计", None, None, None, 4, 3500, 1500, 2000]
    assert sheet.max_row == 1 + 2 + 1


def test_the_about_sheet_names_the_source_and_every_column() -> None:
    table = _one_row_table("某单位", Decimal("1.00"))

    about = load_workbook(io.BytesIO(render(table, "xlsx")))["说明"]
    text = [[c.value for c in row] for row in about.iter_rows()]

    assert ["依据 source", "内医保办发〔2022〕19号 五", None] in text
    assert ["缓缴金额", "amount deferred", "money"] in text


# ------------------------------------------------------------------- helpers


def _one_row_table(name: str, amount: Decimal) -> Table:
    from ledger.projections.deferrals import DeferralListRow

    row = DeferralListRow(
        WUHAI_SME, name, "150301", "1", "150302", 1, Period(2022, 7), Period(2022, 9),
        amount, date(2023, 6, 30),
    )  # fmt: skip
    return Table(DEFERRAL_LIST, "test", [deferral_list_cells(row, SENT)], {}, "test")


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return book.read("xl/worksheets/sheet1.xml").decode()
