"""A province over two pooling regions held in two PostgreSQL clusters, rolled up by
PostgreSQL itself (postgres_fdw), through the command line.

Two private throw-away clusters (never the server on 5432): Chifeng's ledger (150400)
in the first, Wuhai's (150300) in the second, each in its own schema; the province's
reporting database in the first cluster reaches both through postgres_fdw.

Per unit the deferred amount of 2022-08 is its unit part (内医保办发〔2022〕19号 二):
- Chifeng (6% + 1%): 5000.00 x 7% = 350.00; 4000.00 x 7% = 280.00;
- Wuhai (7%): 5000.00 x 7% = 350.00 + 4567.89 x 7% = 319.75 (319.7523) -> 669.75;
so the province: 3 units, 4 persons, 1,299.75.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from ledger.bootstrap import build_ledger
from ledger.settings import Settings
from tests.acceptance.conftest import Agency
from tests.reliability.private_postgres import Cluster, private_cluster

PROVINCE = "150000"
CHIFENG, WUHAI = "150400", "150300"


@dataclass(frozen=True)
class Region:
    code: str
    url: str
    schema: str


def _ledger_of(region: Region, bases: list[list[str]]) -> None:
    """The region's ledger: the catalogue, the fund's months, one small enterprise per
    entry of ``bases`` with those persons, July and August 2022 assessed."""
    settings = Settings(database_url=region.url, postgres_schema=region.schema)
    ledger = build_ledger(settings, configure_logs=False)
    try:
        desk = Agency(ledger)
        desk.enact_catalogue()
        desk.region(region.code, fund_months=9)
        for persons in bases:
            uscc = desk.unit(region.code, size_class="small")
            for base in persons:
                desk.person(uscc, base)
            desk.assess(uscc, "2022-07", date(2022, 8, 1))
            desk.assess(uscc, "2022-08", date(2022, 9, 1))
        # a large enterprise defers nothing and is on no list
        large = desk.unit(region.code, size_class="large")
        desk.person(large, "9000.00")
        desk.assess(large, "2022-08", date(2022, 9, 1))
    finally:
        ledger.close()


def ledger_cli(*args: str, url: str, schema: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LOG_LEVEL": "WARNING"}
    env.pop("LEDGER_POSTGRES_SCHEMA", None)
    if schema:
        env["LEDGER_POSTGRES_SCHEMA"] = schema
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args], env=env, capture_output=True, text=True
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    with private_cluster() as first, private_cluster() as second:
        yield first, second


@pytest.fixture(scope="module")
def province(clusters: tuple[Cluster, Cluster]) -> tuple[str, Region, Region]:
    first, second = clusters
    chifeng = Region(CHIFENG, first.url, "r150400")
    wuhai = Region(WUHAI, second.url, "r150300")
    _ledger_of(chifeng, [["5000.00"], ["4000.00"]])
    _ledger_of(wuhai, [["5000.00", "4567.89"]])
    with psycopg.connect(first.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE reporting")
    reporting = first.url.rsplit("/", 1)[0] + "/reporting"
    for region in (chifeng, wuhai):
        ok(
            ledger_cli(
                *("province", "link", PROVINCE, "--region", region.code),
                *("--url", region.url, "--schema", region.schema),
                url=reporting,
            )
        )
    return reporting, chifeng, wuhai


def statistics(url: str, *where: str, schema: str = "") -> dict[tuple[str, str], Any]:
    shown = ok(
        ledger_cli(
            *("report", "statistics", "--month", "2022-08", "--format", "json", *where),
            url=url,
            schema=schema,
        )
    )
    return {(line["level"], line["code"]): line for line in json.loads(shown)["lines"]}


def figures(line: dict[str, Any]) -> tuple[int, int, Decimal]:
    return line["units"], line["persons"], Decimal(line["amount"])


def test_the_provinces_statistics_sum_its_regions_held_in_two_clusters(
    province: tuple[str, Region, Region],
) -> None:
    reporting, chifeng, wuhai = province

    rolled = statistics(reporting, "--province", PROVINCE)

    assert figures(rolled[("province", PROVINCE)]) == (3, 4, Decimal("1299.75"))
    assert figures(rolled[("total", "")]) == (3, 4, Decimal("1299.75"))
    assert figures(rolled[("prefecture", CHIFENG)]) == (2, 2, Decimal("630.00"))
    assert figures(rolled[("prefecture", WUHAI)]) == (1, 2, Decimal("669.75"))
    # each region's lines are what the region reports on its own server
    for region in (chifeng, wuhai):
        own = statistics(region.url, "--region", region.code, schema=region.schema)
        assert figures(rolled[("prefecture", region.code)]) == figures(
            own[("prefecture", region.code)]
        )
        agency = (("agency", f"{region.code}001"),)
        assert [figures(rolled[k]) for k in agency] == [figures(own[k]) for k in agency]


def test_the_provinces_deferral_list_holds_every_regions_units(
    province: tuple[str, Region, Region],
) -> None:
    reporting, _, _ = province

    shown = ok(
        ledger_cli(
            *("report", "deferral-list", "--province", PROVINCE, "--month", "2022-08"),
            *("--format", "csv"),
            url=reporting,
        )
    )

    rows = list(csv.DictReader(io.StringIO(shown.lstrip("\ufeff"))))
    assert sorted((r["医保经办机构代码"], r["缓缴金额"]) for r in rows) == [
        ("150300001", "669.75"),
        ("150400001", "280.00"),
        ("150400001", "350.00"),
    ]
    assert {r["缓缴期限"] for r in rows} == {"20230630"}


def test_the_reporting_database_reads_the_regions_through_postgres_fdw(
    province: tuple[str, Region, Region],
) -> None:
    reporting, _, _ = province

    shown = ok(ledger_cli("province", "show", PROVINCE, url=reporting))
    with psycopg.connect(reporting, autocommit=True) as conn:
        units = conn.execute(
            "SELECT region, count(*) FROM province_150000.view_units GROUP BY region "
            "ORDER BY region"
        ).fetchall()
        wrappers = conn.execute(
            "SELECT srvname FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w "
            "ON s.srvfdw = w.oid WHERE w.fdwname = 'postgres_fdw' ORDER BY srvname"
        ).fetchall()

    assert "150300" in shown
    assert "150400" in shown
    assert units == [(WUHAI, 2), (CHIFENG, 3)]
    assert wrappers == [("province_150000_150300",), ("province_150000_150400",)]


def test_an_unlinked_region_leaves_the_province_and_keeps_its_ledger(
    province: tuple[str, Region, Region],
) -> None:
    reporting, _, wuhai = province

    ok(ledger_cli("province", "unlink", PROVINCE, "--region", WUHAI, url=reporting))
    try:
        rolled = statistics(reporting, "--province", PROVINCE)
    finally:
        ok(
            ledger_cli(
                *("province", "link", PROVINCE, "--region", WUHAI),
                *("--url", wuhai.url, "--schema", wuhai.schema),
                url=reporting,
            )
        )

    assert figures(rolled[("province", PROVINCE)]) == (2, 2, Decimal("630.00"))
    assert ("prefecture", WUHAI) not in rolled
    with psycopg.connect(wuhai.url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM r150300.view_units").fetchone()
    assert row == (2,)


EARLIER_LINKS = {
    # person lines by assessment came later
    "view_assessed_lines": "DROP FOREIGN TABLE {}.view_assessed_lines CASCADE",
    # person lines' amounts in fen came later: a link of amounts in yuan must not read fen
    "bases_fen": "ALTER FOREIGN TABLE {}.view_assessed_lines RENAME COLUMN bases_fen TO bases",
}


@pytest.mark.parametrize("missing", EARLIER_LINKS)
def test_a_region_linked_before_its_views_had_a_table_or_column_is_refused_naming_it(
    province: tuple[str, Region, Region], missing: str
) -> None:
    """A link imports the region's view tables as they were then: the report asks for
    the link again, naming what is missing."""
    reporting, _, wuhai = province
    with psycopg.connect(reporting, autocommit=True) as conn:
        conn.execute(EARLIER_LINKS[missing].format(f"province_{PROVINCE}_{WUHAI}"))
    try:
        refused = ledger_cli(
            *("report", "deferral-list", "--province", PROVINCE, "--month", "2022-08"),
            url=reporting,
        )
    finally:
        ok(ledger_cli("province", "unlink", PROVINCE, "--region", WUHAI, url=reporting))
        ok(
            ledger_cli(
                *("province", "link", PROVINCE, "--region", WUHAI),
                *("--url", wuhai.url, "--schema", wuhai.schema),
                url=reporting,
            )
        )

    assert refused.returncode == 2
    message = " ".join(refused.stderr.split())
    assert missing in message
    assert f"link it again (ledger province link {PROVINCE} --region {WUHAI}" in message


def test_regions_all_linked_before_a_column_was_renamed_can_each_be_linked_again(
    province: tuple[str, Region, Region],
) -> None:
    """Both links of the yuan layout: linking one again is not stood in the way of by
    the other (the province's views leave a stale link out), whose reports are refused
    naming it until it is linked again too."""
    reporting, chifeng, wuhai = province
    with psycopg.connect(reporting, autocommit=True) as conn:
        for code in (CHIFENG, WUHAI):
            conn.execute(EARLIER_LINKS["bases_fen"].format(f"province_{PROVINCE}_{code}"))
    deferrals = ("report", "deferral-list", "--province", PROVINCE, "--month", "2022-08")
    ok(ledger_cli("project", "--once", url=chifeng.url, schema=chifeng.schema))
    try:
        ok(
            ledger_cli(
                *("province", "link", PROVINCE, "--region", CHIFENG),
                *("--url", chifeng.url, "--schema", chifeng.schema),
                url=reporting,
            )
        )
        with psycopg.connect(reporting, autocommit=True) as conn:
            row = conn.execute(
                f"SELECT count(DISTINCT unit_id) FROM province_{PROVINCE}.view_assessed_lines"
            ).fetchone()
        refused = ledger_cli(*deferrals, url=reporting)
    finally:
        ok(
            ledger_cli(
                *("province", "link", PROVINCE, "--region", WUHAI),
                *("--url", wuhai.url, "--schema", wuhai.schema),
                url=reporting,
            )
        )

    assert row == (3,)  # Chifeng's three units alone: Wuhai's stale link left out
    assert refused.returncode == 2
    assert f"region {WUHAI} was linked" in " ".join(refused.stderr.split())
    ok(ledger_cli(*deferrals, url=reporting))


def test_a_region_outside_the_province_a_sqlite_store_or_a_server_away_is_refused(
    province: tuple[str, Region, Region], tmp_path: Any
) -> None:
    reporting, chifeng, _ = province

    outside = ledger_cli(
        *("province", "link", PROVINCE, "--region", "370100"),
        *("--url", chifeng.url, "--schema", chifeng.schema),
        url=reporting,
    )
    on_sqlite = ledger_cli(
        "report", "statistics", "--province", PROVINCE, url=f"sqlite:///{tmp_path}/x.db"
    )
    both = ledger_cli(
        *("report", "statistics", "--province", PROVINCE, "--region", CHIFENG), url=reporting
    )
    nobody_there = ledger_cli(
        *("province", "link", PROVINCE, "--region", "150500"),
        *("--url", "postgresql://postgres@127.0.0.1:1/postgres", "--schema", "r150500"),
        url=reporting,
    )

    assert (outside.returncode, on_sqlite.returncode, both.returncode) == (2, 2, 2)
    assert nobody_there.returncode == 3
    assert "unavailable" in nobody_there.stderr
    assert "not in province 150000" in outside.stderr
    assert "reporting database is PostgreSQL" in on_sqlite.stderr
    assert "not both" in both.stderr


def test_a_regions_damaged_unit_is_left_out_of_the_province_and_named(
    province: tuple[str, Region, Region],
) -> None:
    # last in the module: it damages one Chifeng unit's event, then repairs the event and
    # rebuilds that region's views, so that the province is whole again afterwards
    reporting, chifeng, _ = province
    events = f'"{chifeng.schema}".ledger_events'
    with psycopg.connect(chifeng.url, autocommit=True) as conn:
        row = conn.execute(
            f"SELECT notification_id, state FROM {events} "
            "WHERE topic = 'ledger.unit.period-assessed' ORDER BY notification_id LIMIT 1"
        ).fetchone()
        assert row is not None
        notification, state = row
        conn.execute(
            f"UPDATE {events} SET state = %s WHERE notification_id = %s",
            (b"not an event", notification),
        )
    try:
        # the region's views, built again, find the damage (as after a restore from backup)
        ok(ledger_cli("project", "--rebuild", url=chifeng.url, schema=chifeng.schema))
        shown = ok(
            ledger_cli(
                *("report", "statistics", "--province", PROVINCE, "--month", "2022-08"),
                *("--format", "json"),
                url=reporting,
            )
        )
    finally:
        with psycopg.connect(chifeng.url, autocommit=True) as conn:
            conn.execute(
                f"UPDATE {events} SET state = %s WHERE notification_id = %s", (state, notification)
            )
        ok(ledger_cli("project", "--rebuild", url=chifeng.url, schema=chifeng.schema))

    document = json.loads(shown)
    [uscc] = document["withheld_units"]
    assert uscc.startswith("91150400")
    lines = {(line["level"], line["code"]): line for line in document["lines"]}
    assert figures(lines[("prefecture", CHIFENG)])[0] == 1  # of its two deferring units
