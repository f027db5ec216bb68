"""Acceptance fixtures: a ledger on the test's store, and an agency desk that fills it.

Every acceptance test runs twice through the same code, once on SQLite and once on
PostgreSQL (the ``store`` fixture of tests/conftest.py). The ``agency`` fixture is a
case worker's desk at a medical-insurance agency (医保经办机构): it registers the
pooling regions of the seeds, units with valid USCCs (GB 32100) and persons with
valid resident IDs (GB 11643), and reads back what the ledger decided.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from ledger.application import Actor, Ledger, Result
from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.period import Period
from ledger.domain.state import Item
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.settings import Settings
from tests.conftest import StoreConfig

ACTOR = Actor("case-worker:acceptance", "acceptance test", "req-acceptance")

#: the pooling regions the seeds speak of (code -> name, parent province)
REGIONS = {
    "150400": ("赤峰市", "150000"),  # 赤医保发〔2020〕3号; Inner Mongolia for 2022
    "530900": ("临沧市", "530000"),  # 临医保联发〔2020〕14号
    "150300": ("乌海市", "150000"),  # 乌医保办发〔2022〕45号 / 内医保办发〔2022〕19号
    "370100": ("济南市", "370000"),  # 济医保发〔2022〕12号
}
CHIFENG, LINCANG, WUHAI, JINAN = "150400", "530900", "150300", "370100"

#: GB 32100 registration-authority and category codes by unit type
USCC_PREFIX = {
    "enterprise": "91",
    "individual_business": "92",
    "social_organisation": "51",
    "government_organ": "11",
    "public_institution": "12",
}

E = TypeVar("E", bound=Unit.Event)


def period(text: str) -> Period:
    return Period.parse(text)


def catalogue() -> dict[str, CatalogueFile]:
    """The packaged policy catalogue by document id."""
    return {f.document.id: f for f in load_default_catalogue()}


class Agency:
    """A case worker's desk: registers what a scenario needs and reads the decisions."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._serial = itertools.count(1)

    # ---------------------------------------------------------------- policies

    def enact(self, *document_ids: str) -> list[Result]:
        files = catalogue()
        return [self.ledger.enact_policy(files[d], ACTOR) for d in document_ids]

    def enact_holidays(self) -> None:
        """The State Council's holiday notices, every year packaged (holidays-YYYY)."""
        self.enact(*(d for d in catalogue() if d.startswith("holidays-")))

    def enact_catalogue(self, *, but: Iterable[str] = ()) -> None:
        """Enacts the packaged catalogue, leaving out the documents named in ``but``."""
        left_out = set(but)
        for file in load_default_catalogue():
            if file.document.id not in left_out:
                self.ledger.enact_policy(file, ACTOR)

    # -------------------------------------------------------- regions and units

    def region(self, code: str, *, fund_months: int | None = None) -> str:
        name, parent = REGIONS[code]
        self.ledger.register_region(code, name, parent, ACTOR)
        if fund_months is not None:
            self.ledger.declare_fund_months(code, fund_months, date(2022, 7, 1), ACTOR)
        return code

    def uscc(self, region: str, unit_type: str = "enterprise") -> str:
        body = f"{USCC_PREFIX[unit_type]}{region}MA{next(self._serial):07d}"
        return body + uscc_check_char(body)

    def unit(
        self,
        region: str,
        *,
        unit_type: str = "enterprise",
        established_on: date = date(2010, 5, 1),
        size_class: str | None = None,
        classified_on: date = date(2022, 7, 20),
    ) -> str:
        """Registers a unit (and classifies it from data when a size class is given)."""
        uscc = self.uscc(region, unit_type)
        self.ledger.register_unit(
            uscc=uscc,
            name=f"测试单位{uscc[-6:]}",
            unit_type=unit_type,
            region=region,
            agency=f"{region}001",
            unit_number=f"U{uscc[-8:]}",
            established_on=established_on,
            actor=ACTOR,
        )
        if size_class is not None:
            self.classify(uscc, size_class, on=classified_on)
        return uscc

    def classify(self, uscc: str, size_class: str, *, on: date = date(2022, 7, 20)) -> Result:
        return self.ledger.classify_unit(
            uscc, industry="other", size_class=size_class, classified_on=on, actor=ACTOR
        )

    def resident_id(self, region: str) -> str:
        body = f"{region}19850101{next(self._serial) % 1000:03d}"
        return body + resident_id_check_char(body)

    def person(self, uscc: str, base: str, *, joined_on: date = date(2010, 5, 1)) -> str:
        rid = self.resident_id(uscc[2:8])
        self.ledger.join_person(uscc, rid, base, joined_on, ACTOR)
        return rid

    # ------------------------------------------------------------ the month

    def assess(self, uscc: str, text: str, on: date) -> Result:
        return self.ledger.assess(uscc, period(text), on, ACTOR)

    def pay(self, uscc: str, amount: str, on: date) -> Result:
        return self.ledger.collect_payment(uscc, on, amount, ACTOR)

    # ----------------------------------------------------------------- reads

    def state(self, uscc: str) -> Unit:
        return self.ledger.unit(uscc)

    def item(self, uscc: str, text: str, part: Part) -> Item:
        return self.state(uscc).items[(period(text), part)]

    def history(self, uscc: str) -> list[str]:
        """The unit's event types, in order."""
        return [type(e).__name__ for e in self.ledger.unit_history(uscc)]

    def decisions(self, uscc: str, kind: type[E]) -> list[E]:
        return [e for e in self.ledger.unit_history(uscc) if isinstance(e, kind)]

    def high_water(self) -> int:
        """The last notification id: a refused command must leave it where it was."""
        return self.ledger.recorder.max_notification_id() or 0


def amounts(rows: list[list[str]]) -> dict[tuple[str, str], Decimal]:
    """[period, part, amount] rows, as decision events store them, keyed for comparison."""
    return {(p, part): Decimal(a) for p, part, a in rows}


def event_types(result: Result) -> list[str]:
    """The event types a command recorded, as its result lists them."""
    events: list[dict[str, Any]] = result["events"]
    return [e["type"] for e in events]


@pytest.fixture
def bare_ledger(store: StoreConfig) -> Iterator[Ledger]:
    """A ledger on the test's store with no policy enacted yet."""
    settings = Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or ""
    )
    ledger = build_ledger(settings, configure_logs=False)
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.fixture
def ledger(bare_ledger: Ledger) -> Ledger:
    """A ledger with the packaged catalogue enacted: five seeds, the law, the locality."""
    Agency(bare_ledger).enact_catalogue()
    return bare_ledger


@pytest.fixture
def agency(ledger: Ledger) -> Agency:
    """The desk of a ledger whose whole catalogue is in force."""
    return Agency(ledger)


@pytest.fixture
def bare_agency(bare_ledger: Ledger) -> Agency:
    """The desk of a ledger with nothing enacted: the test enacts what it needs, when."""
    return Agency(bare_ledger)


@pytest.fixture
def other_process(store: StoreConfig) -> Iterator[Ledger]:
    """A second ledger on the test's store, as another process (a second ``ledger
    serve`` worker, a desk elsewhere) would open it."""
    settings = Settings(
        database_url=store.database_url, postgres_schema=store.postgres_schema or ""
    )
    ledger = build_ledger(settings, configure_logs=False)
    yield ledger
    ledger.close()
