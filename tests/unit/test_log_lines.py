"""Log lines as JSON (``ledger.logs``): one object a line, whatever the values."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import structlog

from ledger.logs import configure_logging, get_logger


def logged(tmp_path: Path, **values: object) -> dict[str, object]:
    file = tmp_path / "ledger.log"
    before = structlog.get_config()
    configure_logging("json", file=file)
    try:
        get_logger().info("assess", **values)
    finally:
        structlog.configure(**before)
    (line,) = file.read_text(encoding="utf-8").splitlines()
    parsed: dict[str, object] = json.loads(line)
    return parsed


def test_a_log_line_writes_dates_instants_and_ids_as_their_text_and_chinese_as_is(
    tmp_path: Path,
) -> None:
    line = logged(
        tmp_path,
        period_start=date(2022, 9, 1),
        at=datetime(2022, 9, 1, 8, 30, tzinfo=UTC),
        unit_id=uuid.UUID(int=5),
        region_name="赤峰市",
        counts={2022: 3},
    )

    assert line["period_start"] == "2022-09-01"
    assert line["at"] == "2022-09-01T08:30:00+00:00"
    assert line["unit_id"] == "00000000-0000-0000-0000-000000000005"
    assert line["region_name"] == "赤峰市"
    assert line["counts"] == {"2022": 3}
    assert (line["event"], line["level"]) == ("assess", "info")


def test_a_value_orjson_cannot_write_is_still_logged(tmp_path: Path) -> None:
    line = logged(tmp_path, amount=Decimal("1350.00"), huge=2**70)

    assert line["huge"] == 2**70
    assert line["amount"] == "Decimal('1350.00')"
