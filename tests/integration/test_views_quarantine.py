"""Damage in the event store stays with the unit it damages (issue 13.2).

On SQLite and PostgreSQL: a stored event edited so that it cannot be decoded, or one
deleted from the middle of a unit's history, used to stop the views at that
notification (every read of every unit a 500) or, after a rebuild, to drop the
unit's payment silently. Now the views set the event aside: the damaged unit's
reads refuse with ``HistoryDamaged`` (pointing to ``ledger audit verify``), every
other unit answers, and the views' position goes past the damage.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI

from ledger.api.app import create_app
from ledger.application import Ledger
from ledger.bootstrap import open_view_store
from ledger.clocks import ReadClocks
from ledger.demo import make_uscc
from ledger.domain.errors import HistoryDamaged
from ledger.domain.region import unit_id
from ledger.projections import runner
from ledger.projections.balance_view import unit_balance_view
from ledger.projections.sql import SqlViewStore
from ledger.reports import DEFERRAL_LIST, Query, ViewsAndPolicies
from tests.api.conftest import demo_with_tokens, problem, settings_for
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient
from tests.integration.conftest import settings_of
from tests.integration.test_chain import JINAN_UNIT, execute, jinan_events

JINAN = "91370102MA3C1JN002"
CHIFENG = make_uscc("91150402MA0N1CF00")
AS_OF = date(2023, 6, 30)


@pytest.fixture
def views(store: StoreConfig) -> Iterator[SqlViewStore]:
    opened = open_view_store(settings_of(store), None)
    yield opened
    opened.close()


def balance_of(views: SqlViewStore, ledger: Ledger, uscc: str) -> object:
    return unit_balance_view(views, uscc, clocks=ReadClocks(AS_OF), policies=ledger.policies())


def test_an_event_that_cannot_be_decoded_withholds_only_its_units_figures(
    demo: Ledger, store: StoreConfig, views: SqlViewStore
) -> None:
    notification, version = jinan_events(store)[4]
    execute(store, "UPDATE {events} SET state = ? WHERE {n} = ?", (b"not an event", notification))

    runner.catch_up(demo, views)

    assert views.position() == demo.recorder.max_notification_id()
    with pytest.raises(HistoryDamaged) as refused:
        balance_of(views, demo, JINAN)
    assert f"event version {version}" in refused.value.message
    assert "ledger audit verify" in refused.value.message
    assert balance_of(views, demo, CHIFENG) is not None
    [aside] = views.quarantined([JINAN_UNIT])
    assert aside.reason.startswith("cannot be decoded")


def test_a_deleted_event_found_by_a_rebuild_withholds_the_unit_instead_of_dropping_it(
    demo: Ledger, store: StoreConfig, views: SqlViewStore
) -> None:
    notification, version = jinan_events(store)[4]
    execute(store, "DELETE FROM {events} WHERE {n} = ?", (notification,))

    runner.rebuild(demo, views)

    with pytest.raises(HistoryDamaged) as refused:
        balance_of(views, demo, JINAN)
    assert f"version {version} is missing" in refused.value.message
    assert balance_of(views, demo, CHIFENG) is not None


def edit_jinan_event(store: StoreConfig, topic: str, edit: Callable[[dict[str, Any]], None]) -> int:
    """Edits the stored state of the Jinan unit's first event of ``topic`` as an operator
    with database access could; returns its version."""
    oid = JINAN_UNIT.hex if store.kind == "sqlite" else JINAN_UNIT
    [(notification, version, state), *_] = execute(
        store,
        "SELECT {n}, originator_version, state FROM {events} "
        "WHERE originator_id = ? AND topic = ? ORDER BY {n}",
        (oid, topic),
    )
    decoded = json.loads(bytes(state))
    edit(decoded)
    execute(
        store,
        "UPDATE {events} SET state = ? WHERE {n} = ?",
        (json.dumps(decoded).encode(), notification),
    )
    return int(version)


@pytest.mark.parametrize("amount", ["1.2.3", "1,2"])
@pytest.mark.parametrize(
    ("topic", "field"),
    [
        ("ledger.unit.period-assessed", "lines"),
        ("ledger.unit.period-assessed", "totals"),
        ("ledger.unit.payment-collected", "allocations"),
    ],
)
def test_a_malformed_amount_in_a_stored_event_sets_it_aside_instead_of_stopping_the_views(
    demo: Ledger, store: StoreConfig, views: SqlViewStore, topic: str, field: str, amount: str
) -> None:
    # "1.2.3" has only digits and points: PostgreSQL's COPY refused it, every retry
    # failed the same page and the views stopped there for every unit. "1,2" read as
    # two amounts where the shortcuts join amounts with commas to check them: an item's
    # COPY failed the same way, a person's array came out one element longer.
    def malformed(state: dict[str, Any]) -> None:
        state[field][0][1 if field == "lines" else 2] = amount

    version = edit_jinan_event(store, topic, malformed)

    runner.rebuild(demo, views)

    assert views.position() == demo.recorder.max_notification_id()
    with pytest.raises(HistoryDamaged) as refused:
        balance_of(views, demo, JINAN)
    assert f"event version {version}" in refused.value.message
    [aside] = views.quarantined([JINAN_UNIT])
    assert aside.reason.startswith("cannot be mapped")
    assert balance_of(views, demo, CHIFENG) is not None


def test_an_intact_history_sets_nothing_aside(demo: Ledger, views: SqlViewStore) -> None:
    runner.rebuild(demo, views, page_size=7)  # many pages: versions checked across them

    units = views.units()
    assert views.quarantined(u.unit_id for u in units) == []
    assert balance_of(views, demo, JINAN) is not None


@contextmanager
def damaged_jinan_served(
    store: StoreConfig,
) -> Iterator[tuple[TestClient, FastAPI, dict[str, str]]]:
    """The demo with one of the Jinan unit's events made undecodable, served (no
    lifespan), and the demo readers' tokens."""
    settings = settings_for(store)
    tokens = demo_with_tokens(settings)
    notification, _ = jinan_events(store)[4]
    execute(store, "UPDATE {events} SET state = ? WHERE {n} = ?", (b"not an event", notification))
    app = create_app(settings)
    client = TestClient(app, base_url="http://ledger.test")
    try:
        yield client, app, tokens
    finally:
        client.close()
        app.state.close()


def test_over_http_the_damaged_unit_answers_503_history_damaged_and_the_rest_200(
    store: StoreConfig,
) -> None:
    with damaged_jinan_served(store) as (client, _, tokens):
        inspector = {"Authorization": f"Bearer {tokens['inspector']}"}
        damaged = client.get(f"/units/{JINAN}/balance", headers=inspector)
        intact = client.get(f"/units/{CHIFENG}/balance", headers=inspector)
        health = client.get("/healthz")
        metrics = client.get("/metrics")

    body = problem(damaged, 503)
    assert body["code"] == "history-damaged"
    assert "Retry-After" not in damaged.headers  # retrying does not repair it
    assert intact.status_code == 200, intact.text
    # the probe stays healthy (every other unit answers) and counts what was set aside
    assert health.status_code == 200, health.text
    assert health.json()["views_set_aside"] == 1
    assert "ledger_views_set_aside_events 1.0" in metrics.text


def test_another_agencys_damaged_unit_is_403_and_does_not_block_a_persons_record(
    store: StoreConfig,
) -> None:
    with damaged_jinan_served(store) as (client, app, tokens):
        chifeng = {"Authorization": f"Bearer {tokens['chifeng']}"}
        app.state.views.fresh()
        [jinan_person, *_] = {
            line.resident_id for line in app.state.views.store.person_lines(unit_ids=[JINAN_UNIT])
        }
        balance = client.get(f"/units/{JINAN}/balance", headers=chifeng)
        rights = client.post(
            "/persons/rights-record", json={"resident_id": jinan_person}, headers=chifeng
        )

    # the agency boundary first: the damage of a unit a case worker may not read is not
    # theirs to learn, nor does it stop them reading what they may
    assert problem(balance, 403)["code"] != "history-damaged"
    assert problem(rights, 404)["code"] == "not-found"


WUHAI = "91150302MA0Q1WH00Y"  # the demo's unit deferred in 2022


def test_a_region_wide_report_leaves_a_damaged_unit_out_and_names_it(
    demo: Ledger, store: StoreConfig, views: SqlViewStore
) -> None:
    oid = unit_id(WUHAI).hex if store.kind == "sqlite" else unit_id(WUHAI)
    [(last,)] = execute(store, "SELECT MAX({n}) FROM {events} WHERE originator_id = ?", (oid,))
    execute(store, "UPDATE {events} SET state = ? WHERE {n} = ?", (b"not an event", last))
    runner.catch_up(demo, views)
    reads = ViewsAndPolicies(views, lambda at: demo.policies())

    table = DEFERRAL_LIST.run(reads, Query.parse(month="2022-09", region="150000"))

    assert WUHAI not in {row[0] for row in table.rows}
    assert table.document["withheld_units"] == [WUHAI]
    assert any("withheld: 1 unit(s)" in note and WUHAI in note for note in table.notes)
    assert ("withheld_units", WUHAI) in table.context
