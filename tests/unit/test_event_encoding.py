"""The ledger's event encoder writes exactly the bytes the library's JSON transcoder
writes (it only leaves out the check for circular containers, which an event's state
cannot be), so events stored before and after read the same."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder

from ledger.application import Ledger

STATE: dict[str, Any] = {
    "period": "2024-05",
    "lines": [["150402198001010012", "4350.00", "348.00", "34.80", "87.00", "4000.00"]] * 3,
    "totals": [["2024-05", "unit_medical", "1044.00"]],
    "due_date": date(2024, 6, 15),
    "amount": Decimal("12.50"),
    "originator_id": UUID("6f1c0d3e-8a7b-4c1d-9e2f-0a1b2c3d4e5f"),
    "note": '单位 "quoted" \\ and a tab\t',
    "nested": {"empty": [], "none": None, "flag": True, "count": 3},
}


def test_an_event_is_encoded_to_the_same_bytes_as_by_the_library() -> None:
    ledger = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    try:
        ours = ledger.mapper.transcoder
        assert isinstance(ours, JSONTranscoder)
        library = JSONTranscoder()
        for transcoding in ours.types.values():
            library.register(transcoding)

        encoded = ours.encode(STATE)

        assert encoded == library.encode(STATE)
        assert ours.decode(encoded) == STATE
    finally:
        ledger.close()
