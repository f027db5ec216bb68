"""The read routes over the demo's history: balances, rights, audit trail, reports.

The figures are the demo's (src/ledger/demo.py), checked by hand in tests/e2e; here
they come over HTTP, with both clocks, the agency boundary and bad input.
Agencies: Chifeng's units are 150401's, Wuhai's 150301's, Lincang's 530901's.
"""

from __future__ import annotations

import csv
import io
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledger.api.app import create_app
from ledger.api.readside import ReadSide
from ledger.application import Actor
from ledger.bootstrap import open_view_store
from ledger.demo import make_resident_id, make_uscc
from ledger.domain.errors import Unavailable
from ledger.projections.runner import catch_up as readside_catch_up
from ledger.projections.sql import SqlViewStore
from tests.api.conftest import CHIFENG as CHIFENG_REGION
from tests.api.conftest import Desk, Prepared, demo_with_tokens, ok, problem, settings_for
from tests.conftest import StoreConfig

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CHIFENG = make_uscc("91150402MA0N1CF00")
WUHAI = make_uscc("91150302MA0Q1WH00")
LINCANG = make_uscc("91530902MA6K1LC00")
LEAVER = make_resident_id("150302", "19920202", 99)
CHIFENG_PERSON = make_resident_id("150402", "19800101", 1)
SETUP = Actor("test:setup", "read tests", "req-setup")


class Reader:
    """An HTTP client holding one token per kind of reader."""

    def __init__(self, http: httpx.Client, tokens: dict[str, str], app: FastAPI) -> None:
        self.http = http
        self.tokens = tokens
        self.app = app

    def get(self, path: str, who: str = "wuhai", **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.http.get(path, params=params, headers=headers)

    def person(self, path: str, body: dict[str, Any], who: str = "wuhai") -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.http.post(path, json=body, headers=headers)

    def high_water(self) -> int:
        return self.app.state.ledger.recorder.max_notification_id() or 0


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    """The demo's history in a SQLite file, and a token for each kind of reader."""
    path = tmp_path_factory.mktemp("reads") / "ledger.db"
    store = StoreConfig("sqlite", f"sqlite:///{path}", None)
    tokens = demo_with_tokens(settings_for(store))
    app = create_app(settings_for(store))
    client = TestClient(app, base_url="http://ledger.test")
    yield Reader(client, tokens, app)
    client.close()
    app.state.close()


# ------------------------------------------------------------------ balances


def test_the_balance_shows_the_late_fee_of_the_late_repayment(reader: Reader) -> None:
    body = ok(reader.get(f"/units/{WUHAI}/balance", as_of="2023-08-01"))

    # 21,000.00 x 0.05% x 31 days = 325.50, + 3 x 420.00 x 0.05% x 5 days = 3.15
    assert body["totals"]["late_fee"] == "328.65"
    assert body["totals"]["outstanding"] == "0.00"
    assert body["daily_rate"] == "0.0005"
    assert body["as_of"] == "2023-08-01"
    assert [i["late_fee"] for i in body["items"] if i["part"] == "unit_medical"] == [
        "109.55",
        "109.55",
        "109.55",
    ]


def test_as_of_ten_days_after_the_deadline_accrues_ten_days(reader: Reader) -> None:
    body = ok(reader.get(f"/units/{WUHAI}/balance", as_of="2023-07-10"))

    # 21,000.00 x 0.05% x 10 = 105.00, + 3.15 for the resigned person's part
    assert body["totals"]["late_fee"] == "108.15"


def test_known_at_before_the_unit_was_registered_is_404(reader: Reader) -> None:
    refused = problem(reader.get(f"/units/{WUHAI}/balance", known_at="2000-01-01"), 404)

    # a bare date is the end of that day, China Standard Time
    assert "as known at 2000-01-01T23:59:59+08:00" in refused["detail"]


def test_amounts_are_strings_with_two_decimals(reader: Reader) -> None:
    body = ok(reader.get(f"/units/{CHIFENG}/balance", who="chifeng", as_of="2020-04-30"))

    # Chifeng: February's 900.00 medical share halved at enactment, the 450.00 paid too
    # much held as credit, which settles 450.00 of March's items
    items = {(i["period"], i["part"]): i for i in body["items"]}
    assert items[("2020-02", "unit_medical")]["reduced"] == "450.00"
    assert items[("2020-02", "unit_medical")]["carried_forward"] == "450.00"
    march = [i for (period, _), i in items.items() if period == "2020-03"]
    assert sum(Decimal(i["credit_applied"]) for i in march) == Decimal("450.00")
    assert all(
        isinstance(v, str) and v.count(".") == 1 and len(v.split(".")[1]) == 2
        for v in body["totals"].values()
    )


def test_a_read_sees_a_payment_posted_just_before_it(desk: Desk) -> None:
    desk.region(CHIFENG_REGION)
    uscc = desk.unit(CHIFENG_REGION)
    desk.person(uscc, "5000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2020-02", "assessed_on": "2020-03-02"}))
    unpaid = datetime.now(UTC)
    ok(desk.post(f"/units/{uscc}/payments", {"amount": "300.00", "paid_on": "2020-03-10"}), 201)
    cw = {"Authorization": f"Bearer {desk.tokens.case_worker}"}

    now = ok(desk.http.get(f"/units/{uscc}/balance", params={"as_of": "2020-03-10"}, headers=cw))
    then = ok(
        desk.http.get(
            f"/units/{uscc}/balance",
            params={"as_of": "2020-03-10", "known_at": unpaid.isoformat()},
            headers=cw,
        )
    )

    # 5,000.00: 300.00 medical (150.00 reduced) + 50.00 maternity + 100.00 individual = 300.00
    assert (now["totals"]["assessed"], now["totals"]["reduced"]) == ("450.00", "150.00")
    assert (now["totals"]["paid"], now["totals"]["outstanding"]) == ("300.00", "0.00")
    assert (then["totals"]["paid"], then["totals"]["outstanding"]) == ("0.00", "300.00")


# -------------------------------------------------------------------- rights


def test_the_rights_record_shows_the_called_due_part_and_the_credits(reader: Reader) -> None:
    before = reader.high_water()

    body = ok(
        reader.person("/persons/rights-record", {"resident_id": LEAVER, "as_of": "2022-10-21"})
    )

    months = body["months"]
    assert [m["period"] for m in months] == ["2022-07", "2022-08", "2022-09"]
    # 6,000.00 x 7% = 420.00 called due on 2022-10-20, unpaid the day after: arrears
    assert {(m["unit_part"], m["unit_state"], m["in_arrears"]) for m in months} == {
        ("420.00", "called_due", True)
    }
    # 6,000.00 x 2% = 120.00 a month to the personal account, credited as it was paid
    assert [(m["credit"], m["credited_on"]) for m in months] == [
        ("120.00", "2022-08-10"),
        ("120.00", "2022-09-10"),
        ("120.00", "2022-10-10"),
    ]
    # each month in arrears as of 2022-10-21: the run of insured months is broken
    assert (body["continuous_months"], body["withheld_months"]) == (0, 0)
    assert reader.high_water() == before  # a POST that reads records nothing


def test_a_case_worker_of_another_agency_learns_nothing_of_the_person(
    reader: Reader,
) -> None:
    refused = problem(
        reader.person(
            "/persons/rights-record", {"resident_id": LEAVER, "as_of": "2022-10-21"}, "chifeng"
        ),
        404,
    )

    assert refused["field"] == "resident_id"
    assert LEAVER not in refused["detail"]  # masked


def test_a_resident_id_with_a_wrong_check_character_is_422(reader: Reader) -> None:
    wrong = LEAVER[:-1] + ("0" if LEAVER[-1] != "0" else "1")

    refused = problem(reader.person("/persons/rights-record", {"resident_id": wrong}), 422)

    assert refused["field"] == "resident_id"


# --------------------------------------------------------------------- audit


def test_the_audit_trail_names_the_policy_of_each_decision(reader: Reader) -> None:
    body = ok(reader.get(f"/units/{LINCANG}/audit-trail", who="inspector", kind=["RefundOwed"]))

    # February and March, 400.00 each, refunded when 临医保联发〔2020〕14号 was enacted
    assert [(e["type"], e["on"], e["detail"]["items"]) for e in body["lines"]] == [
        ("RefundOwed", "2020-03-14", [["2020-02", "unit_medical", "400.00"]]),
        ("RefundOwed", "2020-03-14", [["2020-03", "unit_medical", "400.00"]]),
    ]
    assert all(e["policy"].startswith("临医保联发〔2020〕14号 v1: ") for e in body["lines"])
    assert all(e["actor"] == "demo:case-worker" for e in body["lines"])


def test_a_unit_trail_in_recorded_order_with_as_of(reader: Reader) -> None:
    everything = ok(reader.get(f"/units/{WUHAI}/audit-trail"))["lines"]
    until_2022 = ok(reader.get(f"/units/{WUHAI}/audit-trail", as_of="2022-12-31"))["lines"]

    assert everything[0]["type"] == "Registered"
    recorded = [e["recorded_at"] for e in everything]
    assert recorded == sorted(recorded)
    assert all(e["on"] is None or e["on"] <= "2022-12-31" for e in until_2022)
    assert len(until_2022) < len(everything)  # the 2023 repayment is left out


def test_a_persons_trail_shows_their_departure(reader: Reader) -> None:
    body = ok(
        reader.person("/persons/audit-trail", {"resident_id": LEAVER, "kinds": ["PersonLeft"]})
    )

    assert [(e["type"], e["detail"]["trigger"]) for e in body["lines"]] == [
        ("PersonLeft", "resignation")
    ]


def test_a_persons_trail_shows_a_case_worker_only_their_agencys_units(reader: Reader) -> None:
    # The person is insured in Wuhai only: to a Chifeng desk they are unknown, answered
    # as a person never seen is (404), so that no desk learns they are insured elsewhere.
    refused = problem(
        reader.person("/persons/audit-trail", {"resident_id": LEAVER}, "chifeng"), 404
    )

    assert (refused["code"], refused["field"]) == ("not-found", "resident_id")
    assert LEAVER not in refused["detail"]  # masked


def test_a_persons_trail_for_someone_the_ledger_never_saw_is_not_found(reader: Reader) -> None:
    stranger = make_resident_id("150302", "19770707", 707)

    for who in ("inspector", "wuhai"):
        refused = problem(
            reader.person("/persons/audit-trail", {"resident_id": stranger}, who), 404
        )
        assert (refused["code"], refused["field"]) == ("not-found", "resident_id")
        assert stranger not in refused["detail"]  # masked


def test_a_known_persons_trail_filtered_to_nothing_is_an_empty_trail(reader: Reader) -> None:
    body = ok(
        reader.person("/persons/audit-trail", {"resident_id": LEAVER, "kinds": ["CommitmentFiled"]})
    )

    assert body["lines"] == []


# ------------------------------------------------------------------- reports


def test_the_deferral_list_as_csv_with_the_notices_headers(reader: Reader) -> None:
    response = reader.get("/reports/deferral-list", month="2022-09", format="csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    # UTF-8 with a byte-order mark, for Excel (issue 12)
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["统一社会信用代码"], r["缓缴人数"], r["缓缴金额"]) for r in rows] == [
        (WUHAI, "21", "7420.00"),  # as of 2022-10-01, before the resignation
        (make_uscc("92150302MA0Q2WH00"), "0", "0.00"),  # window shifted, 09 not assessed
    ]
    assert {(r["缓缴类型"], r["险种类型代码"], r["缓缴期限"]) for r in rows} == {
        ("66", "310", "20230630")
    }


def test_the_deferral_list_as_json(reader: Reader) -> None:
    body = ok(reader.get("/reports/deferral-list", month="2022-09"))

    assert (body["month"], body["as_of"]) == ("2022-09", "2022-10-01")
    assert body["rows"][0]["amount"] == "7420.00"
    assert body["rows"][0]["deadline"] == "2023-06-30"


def test_statistics_sum_upward(reader: Reader) -> None:
    body = ok(reader.get("/reports/statistics", who="inspector", month="2022-09"))

    assert [
        (s["level"], s["code"], s["units"], s["persons"], s["amount"]) for s in body["lines"]
    ] == [
        ("province", "150000", 1, 21, "7420.00"),
        ("prefecture", "150300", 1, 21, "7420.00"),
        ("agency", "150301", 1, 21, "7420.00"),
        ("total", "", 1, 21, "7420.00"),
    ]


def test_the_reduction_table_for_an_inspector_covers_every_agency(reader: Reader) -> None:
    body = ok(reader.get("/reports/reductions", who="inspector"))

    # Chifeng Feb and Mar: (900.00 + 150.00) x 2 = 2,100.00, 450.00 x 2 off;
    # Lincang Feb and Mar: 800.00 x 2 = 1,600.00, half off
    assert [(u["uscc"][:8], u["before"], u["reduction"], u["after"]) for u in body["lines"]] == [
        ("91150402", "2100.00", "900.00", "1200.00"),
        ("91530902", "1600.00", "800.00", "800.00"),
    ]
    assert body["totals"] == {
        "units": 2,
        "persons": 5,
        "before": "3700.00",
        "reduction": "1700.00",
        "after": "2000.00",
    }


def test_a_case_workers_reduction_table_is_of_their_agency(reader: Reader) -> None:
    body = ok(reader.get("/reports/reductions", who="chifeng"))

    assert [u["uscc"] for u in body["lines"]] == [CHIFENG]
    assert body["totals"]["reduction"] == "900.00"


def test_reminders_a_month_before_the_deadline(reader: Reader) -> None:
    body = ok(reader.get("/reports/reminders", as_of="2023-06-01"))

    assert [(r["uscc"], r["due_on"], r["days_left"], r["amount"]) for r in body["reminders"]] == [
        (WUHAI, "2023-06-30", 29, "21000.00")
    ]


# ------------------------------------------------------- units, regions, policies


def test_a_case_worker_lists_the_units_of_their_agency(reader: Reader) -> None:
    mine = ok(reader.get("/units", who="chifeng"))
    every = ok(reader.get("/units", who="inspector", limit=2))

    assert [u["uscc"] for u in mine["units"]] == [CHIFENG]
    assert mine["total"] == 1
    assert (every["total"], len(every["units"])) == (5, 2)


def test_a_units_record(reader: Reader) -> None:
    body = ok(reader.get(f"/units/{CHIFENG}", who="chifeng"))

    assert (body["name"], body["agency"], body["region"]) == (
        "赤峰市红山区示例商贸有限公司",
        "150401",
        "150400",
    )


def test_regions_and_policies_in_force(reader: Reader) -> None:
    regions = ok_list(reader.get("/regions", who="inspector"))
    policies = ok_list(reader.get("/policies", who="chifeng"))

    assert [r["code"] for r in regions] == ["150300", "150400", "370100", "530900"]
    wuhai = next(r for r in regions if r["code"] == "150300")
    assert wuhai["fund_months"] == 10
    chifeng = next(p for p in policies if p["document_id"] == "chifeng-2020-3")
    assert (chifeng["number"], chifeng["version"]) == ("赤医保发〔2020〕3号", 1)


def ok_list(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


# ------------------------------------------------------- who may read what


UNIT_READS = ["/units/{uscc}", "/units/{uscc}/balance", "/units/{uscc}/audit-trail"]
REPORTS = ["/reports/deferral-list", "/reports/statistics", "/reports/reductions"]
REPORTS += ["/reports/reminders"]
PERSON_READS = ["/persons/rights-record", "/persons/audit-trail"]


def test_the_matrix_names_every_read_route(reader: Reader) -> None:
    schema = reader.app.openapi()
    gets = {path for path, ops in schema["paths"].items() if "get" in ops}
    posted_reads = {
        path
        for path, ops in schema["paths"].items()
        if "post" in ops
        and not any(p["name"] == "Idempotency-Key" for p in ops["post"].get("parameters", []))
    }

    replays = {"/replays/{replay_id}", "/replays/{replay_id}/result"}  # test_replays.py
    assert gets == {*UNIT_READS, *REPORTS, "/units", "/regions", "/policies", "/tokens", *replays}
    # the policy dry run writes nothing either: an administrator's, tested in test_policies.py
    assert posted_reads == {*PERSON_READS, "/policies/check"}


@pytest.mark.parametrize("path", [*UNIT_READS, *REPORTS, "/units", "/regions", "/policies"])
def test_without_a_token_every_read_is_401(reader: Reader, path: str) -> None:
    refused = problem(reader.get(path.format(uscc=WUHAI), who=""), 401)

    assert refused["code"] == "unauthenticated"


@pytest.mark.parametrize("path", PERSON_READS)
def test_without_a_token_a_person_read_is_401(reader: Reader, path: str) -> None:
    problem(reader.person(path, {"resident_id": LEAVER}, who=""), 401)


@pytest.mark.parametrize("path", UNIT_READS)
def test_a_case_worker_of_another_agency_may_not_read_the_unit(reader: Reader, path: str) -> None:
    refused = problem(reader.get(path.format(uscc=WUHAI), who="chifeng"), 403)

    assert refused["rule"] == "agency"


@pytest.mark.parametrize("path", [*REPORTS, "/units"])
def test_a_case_worker_may_not_ask_for_another_agencys_report(reader: Reader, path: str) -> None:
    refused = problem(reader.get(path, who="chifeng", agency="150301"), 403)

    assert refused["rule"] == "agency"


@pytest.mark.parametrize("path", REPORTS)
def test_a_case_workers_reports_leave_out_other_agencies(reader: Reader, path: str) -> None:
    mine = ok(reader.get(path, who="chifeng", month="2022-09", as_of="2023-06-01"))

    listed = mine.get("rows", mine.get("reminders", mine.get("lines", [])))
    assert all(row.get("agency", "150401") in ("150401", "") for row in listed)
    assert WUHAI not in str(mine)


@pytest.mark.parametrize("who", ["inspector", "admin"])
@pytest.mark.parametrize("path", UNIT_READS)
def test_inspectors_and_administrators_read_every_unit(reader: Reader, path: str, who: str) -> None:
    ok(reader.get(path.format(uscc=WUHAI), who=who))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2023-13-01"}, "as_of"),
        ({"as_of": "01/08/2023"}, "as_of"),
        ({"known_at": "yesterday"}, "known_at"),
    ],
)
def test_a_bad_clock_names_the_field(reader: Reader, params: dict[str, str], field: str) -> None:
    refused = problem(reader.get(f"/units/{WUHAI}/balance", **params), 422)

    assert field in str(refused)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"month": "2022-13"}, "month"), ({"format": "xml"}, "format"), ({"region": "15"}, "region")],
)
def test_a_bad_report_parameter_names_the_field(
    reader: Reader, params: dict[str, str], field: str
) -> None:
    refused = problem(reader.get("/reports/deferral-list", **params), 422)

    assert field in str(refused)


def test_an_unknown_unit_is_404(reader: Reader) -> None:
    refused = problem(reader.get(f"/units/{make_uscc('91110108MA01XKQ32')}/balance"), 404)

    assert "no unit registered" in refused["detail"]


def views_of(desk: Desk, prepared: Prepared) -> SqlViewStore:
    """The views of the prepared store, beside the desk's ledger's events."""
    return open_view_store(settings_for(prepared.store), desk.ledger)


def test_a_long_backlog_is_projected_in_the_background_while_reads_answer_503(
    desk: Desk, prepared: Prepared
) -> None:
    side = ReadSide(desk.ledger, views_of(desk, prepared), backlog=5)
    try:
        # the prepared store holds the catalogue's enactments and the tokens: > 5 events
        with pytest.raises(Unavailable, match="events behind the ledger"):
            side.fresh()
        assert side._background is not None
        side._background.join(30)

        store = side.fresh()

        assert store.position() == desk.high_water()
    finally:
        side.close()


def test_views_emptied_by_another_processs_rebuild_answer_503_until_projected_again(
    desk: Desk, prepared: Prepared
) -> None:
    side = ReadSide(desk.ledger, views_of(desk, prepared), backlog=5)
    other = views_of(desk, prepared)
    try:
        with pytest.raises(Unavailable):
            side.fresh()
        assert side._background is not None
        side._background.join(30)
        side.fresh()
        other.clear()  # what `ledger project --rebuild` does first, in another process

        with pytest.raises(Unavailable, match="events behind the ledger"):
            side.fresh()
        side._background.join(30)

        assert side.fresh().position() == desk.high_water()
    finally:
        other.close()
        side.close()


def test_a_policy_enacted_just_before_a_read_is_in_force_for_it(
    desk: Desk, prepared: Prepared
) -> None:
    side = ReadSide(desk.ledger, views_of(desk, prepared), backlog=10_000)
    try:
        side.fresh()
        before = side.policies()
        amended = before.files["chifeng-2020-3"].model_copy(
            update={
                "document": before.files["chifeng-2020-3"].document.model_copy(
                    update={"version": 2}
                )
            }
        )
        desk.ledger.enact_policy(amended, SETUP)

        side.fresh()

        assert side.policies().files["chifeng-2020-3"].document.version == 2
    finally:
        side.close()


def test_known_at_reads_with_the_policies_the_ledger_knew_then(
    desk: Desk, prepared: Prepared
) -> None:
    # The late-fee rate amended (a made-up v2 at 0.1% a day): a balance known at an
    # instant before the amendment still computes with 0.05%, one known now with 0.1%.
    desk.region(CHIFENG_REGION)
    uscc = desk.unit(CHIFENG_REGION)
    desk.person(uscc, "5000.00")
    ok(desk.post(f"/units/{uscc}/assessments", {"period": "2022-01", "assessed_on": "2022-02-01"}))
    before = datetime.now(UTC)
    law = desk.ledger.policies().files["national-late-fee"]
    assert law.late_fee is not None
    amended = law.model_copy(
        update={
            "document": law.document.model_copy(update={"version": 2}),
            "late_fee": law.late_fee.model_copy(update={"daily_rate": Decimal("0.001")}),
        }
    )
    desk.ledger.enact_policy(amended, SETUP)
    cw = {"Authorization": f"Bearer {desk.tokens.case_worker}"}

    def balance(**params: str) -> dict[str, Any]:
        return ok(desk.http.get(f"/units/{uscc}/balance", params=params, headers=cw))

    then = balance(as_of="2022-03-31", known_at=before.isoformat())
    now = balance(as_of="2022-03-31")

    assert (then["daily_rate"], now["daily_rate"]) == ("0.0005", "0.001")
    # 450.00 owed (300.00 medical + 50.00 maternity + 100.00 individual), due 2022-02-15
    # (Chifeng's due day), overdue 44 days to 2022-03-31: x 0.05% = 9.90, x 0.1% = 19.80
    assert (then["totals"]["late_fee"], now["totals"]["late_fee"]) == ("9.90", "19.80")


def test_the_follower_brings_the_views_up_to_date_between_reads(
    desk: Desk, prepared: Prepared
) -> None:
    side = ReadSide(desk.ledger, views_of(desk, prepared), backlog=10_000)
    try:
        side.follow()
        desk.region(CHIFENG_REGION)  # recorded after the follower started
        wanted = desk.high_water()

        deadline = time.monotonic() + 10
        while side.store.position() < wanted and time.monotonic() < deadline:
            time.sleep(0.05)

        # no read asked: the follower caught up on its own
        assert side.store.position() == wanted
    finally:
        side.close()


def test_a_read_after_a_command_waits_for_the_follower_instead_of_projecting(
    desk: Desk, prepared: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    side = ReadSide(desk.ledger, views_of(desk, prepared), backlog=10_000)
    projected_in: list[str] = []

    def catch_up(ledger: Any, store: Any) -> None:
        projected_in.append(threading.current_thread().name)
        readside_catch_up(ledger, store)

    monkeypatch.setattr("ledger.api.readside.catch_up", catch_up)
    monkeypatch.setattr("ledger.api.readside.FOLLOW_EVERY", 60.0)  # turns only when woken
    try:
        side.fresh()  # no follower yet: the read brings the views up to date itself
        side.follow()
        projected_in.clear()
        desk.region(CHIFENG_REGION)  # a command, then at once a read

        store = side.fresh()

        assert store.position() == desk.high_water()  # the read sees the command
        assert set(projected_in) == {"views-follower"}  # and only the follower projected
    finally:
        side.close()


def test_a_read_waiting_for_a_failing_follower_answers_503_with_its_reason_at_once(
    desk: Desk, prepared: Prepared, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after READ_WAIT with a message about time: a read holds a thread of the pool
    the commands share."""
    side = ReadSide(desk.ledger, views_of(desk, prepared), backlog=10_000)

    def catch_up(ledger: Any, store: Any) -> None:
        raise RuntimeError("the views' database went away")

    try:
        side.fresh()  # up to date before the follower starts
        monkeypatch.setattr("ledger.api.readside.catch_up", catch_up)
        side.follow()
        desk.region(CHIFENG_REGION)  # a command the views must catch up with

        with pytest.raises(Unavailable, match="the views' database went away"):
            side.fresh()
    finally:
        side.close()
