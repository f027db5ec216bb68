"""A unit's balance kept ready in the views (issue 11.1), over HTTP on SQLite and
PostgreSQL: a read after each payment (kept, carried on through the payment, or folded
again for one dated back) answers exactly what the fold of every movement answers (a
read with ``known_at``, which always folds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.conftest import CHIFENG, Desk, Prepared, ok, prepare
from tests.conftest import StoreConfig


@pytest.fixture
def prepared(store: StoreConfig) -> Prepared:
    return Prepared(store, prepare(store))


def _reads(desk: Desk, uscc: str, as_of: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The balance as kept, and as folded (``known_at`` a minute from now)."""
    headers = {"Authorization": f"Bearer {desk.tokens.case_worker}"}
    path = f"/units/{uscc}/balance"
    kept = ok(desk.http.get(path, params={"as_of": as_of}, headers=headers))
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    folded = ok(desk.http.get(path, params={"as_of": as_of, "known_at": later}, headers=headers))
    return kept, {**folded, "known_at": kept["known_at"]}


def test_reads_between_payments_answer_as_the_fold_of_every_movement(desk: Desk) -> None:
    desk.region(CHIFENG)
    uscc = desk.unit(CHIFENG)
    desk.person(uscc, "5000.00")
    for period, on in (("2020-05", "2020-06-01"), ("2020-06", "2020-07-01")):
        ok(desk.post(f"/units/{uscc}/assessments", {"period": period, "assessed_on": on}))
    payments = [
        ("100.00", "2020-06-10"),  # on time: carried on from the state kept
        ("250.00", "2020-08-20"),  # late: a late fee from the due day
        ("30.00", "2020-06-12"),  # dated before the last one: folded again
    ]
    seen = []

    for amount, paid_on in [("", ""), *payments]:
        if amount:
            body = {"amount": amount, "paid_on": paid_on}
            ok(desk.post(f"/units/{uscc}/payments", body), 201)
        kept, folded = _reads(desk, uscc, "2020-09-30")
        again, _ = _reads(desk, uscc, "2020-09-30")  # from the state the first read kept
        seen.append(kept["totals"]["paid"])

        assert kept == folded
        assert again == kept
    assert seen == ["0.00", "100.00", "350.00", "380.00"]
    assert kept["totals"]["late_fee"] != "0.00"
