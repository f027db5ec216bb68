"""The API over real HTTP: uvicorn on 127.0.0.1, httpx, on SQLite and PostgreSQL.

One walk through the write side of the Chifeng example (赤医保发〔2020〕3号) as
``ledger serve`` would serve it, lifespan included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from ledger.api import examples
from ledger.api.app import create_app
from ledger.application import Ledger
from ledger.catalogue.loader import default_catalogue_dir
from tests.api.conftest import AGENCY, Tokens, make_tokens, settings_for
from tests.conftest import StoreConfig
from tests.serving import serving


class Served:
    def __init__(self, url: str, ledger: Ledger, tokens: Tokens) -> None:
        self.url = url
        self.ledger = ledger
        self.tokens = tokens


@pytest.fixture
def served(store: StoreConfig) -> Iterator[Served]:
    app = create_app(settings_for(store))
    ledger: Ledger = app.state.ledger
    tokens = make_tokens(ledger)
    with serving(app) as url:
        yield Served(url, ledger, tokens)


def _post(
    client: httpx.Client,
    path: str,
    token: str,
    request_id: str,
    *,
    json: Any = None,
    toml: bytes | None = None,
) -> httpx.Response:
    headers = {
        "Authorization": f"Bearer {token}",
        "Idempotency-Key": uuid4().hex,
        "X-Request-ID": request_id,
        "X-Reason": "smoke test",
    }
    if toml is not None:
        headers["Content-Type"] = "application/toml"
        return client.post(path, headers=headers, content=toml)
    return client.post(path, headers=headers, json=json)


def test_the_chifeng_example_over_http(served: Served) -> None:
    unit = {**examples.UNIT, "agency": AGENCY}
    uscc = unit["uscc"]
    with httpx.Client(base_url=served.url, timeout=30) as client:
        document = client.get("/openapi.json")
        steps = [
            _post(client, "/regions", served.tokens.admin, "smoke-1", json=examples.REGION),
            *(
                _post(
                    client,
                    "/policies",
                    served.tokens.admin,
                    "smoke-2",
                    toml=(default_catalogue_dir() / name).read_bytes(),
                )
                for name in ("locality.toml", "national-late-fee.toml", "chifeng-2020-3.toml")
            ),
            _post(client, "/units", served.tokens.case_worker, "smoke-3", json=unit),
            _post(
                client,
                f"/units/{uscc}/persons",
                served.tokens.case_worker,
                "smoke-4",
                json=examples.JOINING,
            ),
            _post(
                client,
                f"/units/{uscc}/assessments",
                served.tokens.case_worker,
                "smoke-5",
                json=examples.ASSESSMENT,
            ),
            _post(
                client,
                f"/units/{uscc}/payments",
                served.tokens.case_worker,
                "smoke-6",
                json={"amount": "150.00", "paid_on": "2020-03-10"},
            ),
        ]
        refused = _post(client, "/regions", served.tokens.inspector, "smoke-7", json={})
        balance = client.get(
            f"/units/{uscc}/balance",
            params={"as_of": "2020-03-10"},
            headers={"Authorization": f"Bearer {served.tokens.inspector}"},
        )

    assert document.status_code == 200
    assert [s.status_code for s in steps] == [201, 200, 200, 200, 201, 201, 200, 201]
    assert [s.headers["X-Request-ID"] for s in steps] == [
        f"smoke-{n}" for n in (1, 2, 2, 2, 3, 4, 5, 6)
    ]
    assert [e["type"] for e in steps[6].json()["events"]] == ["PeriodAssessed", "ReductionApplied"]
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    # the read sees the payment just posted: 5,000.00 x (6% halved + 1% + 2%) = 300.00 due
    assert balance.status_code == 200, balance.text
    totals = balance.json()["totals"]
    assert (totals["assessed"], totals["reduced"], totals["paid"]) == ("450.00", "150.00", "150.00")
    assert totals["outstanding"] == "150.00"
    history = served.ledger.unit_history(uscc)
    assert {(e.request_id, e.reason) for e in history} == {
        ("smoke-3", "smoke test"),
        ("smoke-4", "smoke test"),
        ("smoke-5", "smoke test"),
        ("smoke-6", "smoke test"),
    }
