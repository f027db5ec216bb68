"""Random sequences of commands against the ledger, the invariants checked after each.

A Hypothesis state machine plays a case worker's desk in one era of the seeds: the
2020 reduction and deferral on application (赤峰 150400, 临沧 530900) or the 2022
deferral of the unit part (乌海 150300, 济南 370100). It registers and classifies
units, lets persons join, change base and leave, assesses months, collects payments
(exact, short, over, per item), applies for deferrals, files commitments, enacts the
measures at any point (retroactively), deregisters, revokes, and retries commands.
Each command has its own idempotency key.

After every step:
- a refused command (a LedgerError) wrote nothing: the notification log's last id
  is where it was; anything other than a LedgerError fails the test;
- a retried command returns its first result and writes nothing;
- for every unit the step saved: its state as the command left it equals the state
  its stored events give when replayed; money is conserved on the write side and on
  the read side (rows of ``projections.journal.rows_of`` caught up incrementally in a
  ``MemoryViewStore``), and both sides agree item by item; late fees are never
  negative and grow, day by day, only with overdue principal: never while deferred.

Example counts are small enough for CI (well under a minute) and derandomized there;
``LEDGER_PROPERTY_EXAMPLES=500`` runs a longer search.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ledger.application import Actor, Ledger, Result
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.domain.errors import Conflict, LedgerError
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.money import ZERO, round_fen
from ledger.domain.period import Period, PeriodRange
from ledger.domain.unit import Unit
from ledger.projections.balance_fold import unit_balance
from ledger.projections.runner import catch_up
from ledger.projections.store import MemoryViewStore
from tests.properties.invariants import (
    DAILY_RATE,
    END_OF_TIME,
    check_conservation,
    check_deferred_matches,
    check_late_fees,
    check_read_side_agrees,
    state_of,
)

ACTOR = Actor("case-worker:properties", "property test", "req-properties")
CATALOGUE = {f.document.id: f for f in load_default_catalogue()}
#: commands before a unit may deregister: a deregistering unit refuses most commands
LATE_IN_LIFE = 20
#: in force from the start in every era: rates, due days, holidays, the late-fee law
ALWAYS = (
    "locality",
    *(d for d in CATALOGUE if d.startswith("holidays-")),
    "national-late-fee",
)


@dataclass(frozen=True)
class Era:
    name: str
    starts: date
    #: region code -> (name, parent, fund months declared at the start or None)
    regions: dict[str, tuple[str, str, int | None]]
    #: the measures, enacted by a rule of the machine (at any point: retroactively)
    measures: tuple[str, ...]
    #: the first period the locality's rates cover
    first_period: Period


ERAS = [
    Era(
        "2020",
        date(2020, 1, 10),
        {"150400": ("赤峰市", "150000", None), "530900": ("临沧市", "530000", None)},
        ("chifeng-2020-3", "lincang-2020-14"),
        Period(2020, 1),
    ),
    Era(
        "2022",
        date(2022, 6, 10),
        {"150300": ("乌海市", "150000", 10), "370100": ("济南市", "370000", 8)},
        ("national-2022-21", "inner-mongolia-2022-19", "jinan-2022-12"),
        Period(2022, 1),
    ),
]
USCC_PREFIX = {"enterprise": "91", "individual_business": "92", "public_institution": "12"}
bases = st.decimals(min_value=Decimal("1000"), max_value=Decimal("40000"), places=2)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)


#: sends a command with an idempotency key, on a business date
Command = Callable[[str, date], Result]


@dataclass(frozen=True)
class Done:
    """A command that succeeded: how to send it again, and what it answered."""

    name: str
    key: str
    on: date
    send: Command
    result: Result


class ObservedLedger(Ledger):
    """The ledger, keeping the state of every unit as a command saved it."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__(env)
        self.saved_states: dict[UUID, Any] = {}

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        for obj in objs:
            if isinstance(obj, Unit):
                self.saved_states[obj.id] = state_of(obj)
        return recordings


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = ObservedLedger(
            {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
        )
        self.views = MemoryViewStore()
        self.serial = itertools.count(1)
        self.done: list[Done] = []
        self.today = date(2020, 1, 1)
        self.era = ERAS[0]
        #: units registered, and persons currently members (USCC, resident ID)
        self.units: list[str] = []
        self.members: list[tuple[str, str]] = []

    def teardown(self) -> None:
        # What the example reached, for --hypothesis-show-statistics.
        notifications = self.ledger.recorder.select_notifications(1, 100_000)
        for topic in sorted({n.topic for n in notifications}):
            event(f"recorded {topic}")
        event(f"commands sent: {len(self.done) // 10 * 10}+")
        self.ledger.close()

    # ------------------------------------------------------------ machinery

    def send(self, name: str, call: Command) -> Result | None:
        """Sends a command with a fresh key, today; a refusal must leave the log as it was."""
        key, on = f"{name}-{next(self.serial)}", self.today
        before = self.high_water()
        try:
            result = call(key, on)
        except LedgerError:
            assert self.high_water() == before, f"{name} was refused but wrote events"
            return None
        self.done.append(Done(name, key, on, call, result))
        return result

    def high_water(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def new_uscc(self, region: str, unit_type: str) -> str:
        body = f"{USCC_PREFIX[unit_type]}{region}MA{next(self.serial):07d}"
        return body + uscc_check_char(body)

    def new_resident_id(self, region: str) -> str:
        body = f"{region}19850101{next(self.serial) % 1000:03d}"
        return body + resident_id_check_char(body)

    def period(self, months_back: int) -> Period:
        return max(Period.of(self.today) - months_back, self.era.first_period)

    def assess_unit(self, uscc: str, period: Period) -> None:
        self.send("assess", lambda key, on: self.ledger.assess(uscc, period, on, ACTOR, key=key))

    def a_unit(self, data: st.DataObject) -> str:
        return data.draw(st.sampled_from(self.units), label="unit")

    def a_member(self, data: st.DataObject) -> tuple[str, str]:
        return data.draw(st.sampled_from(self.members), label="member")

    def register(self, region: str, unit_type: str, established: date) -> str | None:
        uscc = self.new_uscc(region, unit_type)
        result = self.send(
            "register_unit",
            lambda key, on: self.ledger.register_unit(
                uscc=uscc,
                name=f"单位{uscc[-6:]}",
                unit_type=unit_type,
                region=region,
                agency=f"{region}001",
                unit_number=uscc[-8:],
                established_on=established,
                actor=ACTOR,
                key=key,
            ),
        )
        if result is None:
            return None
        self.units.append(uscc)
        return uscc

    def join_person(self, uscc: str, base: Decimal) -> None:
        rid = self.new_resident_id(uscc[2:8])
        result = self.send(
            "join_person",
            lambda key, on: self.ledger.join_person(uscc, rid, base, on, ACTOR, key=key),
        )
        if result is not None:
            self.members.append((uscc, rid))

    # ----------------------------------------------------------------- setup

    @initialize(era=st.sampled_from(ERAS), data=st.data())
    def open_the_desk(self, era: Era, data: st.DataObject) -> None:
        self.era, self.today = era, era.starts
        # Some measures may be in force from the start; the others are enacted later by
        # a rule (retroactively, for periods already assessed), or never.
        measures = data.draw(st.sets(st.sampled_from(era.measures)), label="in force")
        for document in ALWAYS:
            # Standing rules (rates, holidays, the law): in force before the era begins.
            self.ledger.enact_policy(CATALOGUE[document], ACTOR)
        for document in sorted(measures):
            self.enact(document)
        for code, (name, parent, months) in era.regions.items():
            self.ledger.register_region(code, name, parent, ACTOR)
            if months is not None:
                self.ledger.declare_fund_months(code, months, era.starts, ACTOR)
            # Each region starts with an enterprise of a few persons, so that most
            # steps act on a unit that has something to assess and pay.
            uscc = self.register(code, "enterprise", date(2015, 3, 1))
            assert uscc is not None
            for base in data.draw(st.lists(bases, min_size=1, max_size=3), label="bases"):
                self.join_person(uscc, base)

    # ----------------------------------------------------------------- rules

    @rule(days=st.integers(min_value=1, max_value=45))
    def time_passes(self, days: int) -> None:
        self.today += timedelta(days=days)

    @rule(day=st.integers(min_value=1, max_value=28))
    def month_end_run(self, day: int) -> None:
        """The agency's monthly run: into the next month, every unit assessed for the last."""
        month = Period.of(self.today)
        self.today = (month + 1).first_day + timedelta(days=day - 1)
        for uscc in self.units:
            self.assess_unit(uscc, month)

    @rule(data=st.data())
    def enact_a_measure(self, data: st.DataObject) -> None:
        self.enact(data.draw(st.sampled_from(self.era.measures)))

    def enact(self, document: str) -> None:
        """A notice is enacted on its date: the desk's clock moves there if it is behind,
        so that no decision is dated after the day the desk works on."""
        file: CatalogueFile = CATALOGUE[document]
        self.today = max(self.today, file.document.enacted_on)
        self.send("enact_policy", lambda key, on: self.ledger.enact_policy(file, ACTOR, key=key))

    @rule(
        data=st.data(),
        unit_type=st.sampled_from(sorted(USCC_PREFIX)),
        new=st.booleans(),
    )
    def register_unit(self, data: st.DataObject, unit_type: str, new: bool) -> None:
        """An enterprise, an individual business or a public institution; old or new."""
        region = data.draw(st.sampled_from(sorted(self.era.regions)), label="region")
        self.register(region, unit_type, self.today if new else date(2015, 3, 1))

    @rule(data=st.data(), size_class=st.sampled_from(["micro", "small", "medium", "large"]))
    def classify(self, data: st.DataObject, size_class: str) -> None:
        uscc = self.a_unit(data)
        self.send(
            "classify_unit",
            lambda key, on: self.ledger.classify_unit(
                uscc,
                industry="retail",
                size_class=size_class,
                classified_on=on,
                actor=ACTOR,
                key=key,
            ),
        )

    @rule(data=st.data(), base=bases)
    def join(self, data: st.DataObject, base: Decimal) -> None:
        self.join_person(self.a_unit(data), base)

    @precondition(lambda self: bool(self.members))
    @rule(data=st.data(), base=bases, months_back=st.integers(min_value=-1, max_value=2))
    def change_base(self, data: st.DataObject, base: Decimal, months_back: int) -> None:
        uscc, rid = self.a_member(data)
        since = self.period(months_back)
        self.send(
            "change_base",
            lambda key, on: self.ledger.change_base(uscc, rid, base, since, ACTOR, key=key),
        )

    @precondition(lambda self: bool(self.members))
    @rule(data=st.data(), trigger=st.sampled_from(["resignation", "retirement", "transfer"]))
    def leave(self, data: st.DataObject, trigger: str) -> None:
        uscc, rid = self.a_member(data)
        result = self.send(
            "person_left",
            lambda key, on: self.ledger.person_left(uscc, rid, trigger, on, ACTOR, key=key),
        )
        if result is not None:
            self.members.remove((uscc, rid))

    @rule(data=st.data(), months_back=st.integers(min_value=0, max_value=3))
    def assess(self, data: st.DataObject, months_back: int) -> None:
        self.assess_unit(self.a_unit(data), self.period(months_back))

    @rule(data=st.data(), months_back=st.integers(min_value=0, max_value=3))
    def revoke(self, data: st.DataObject, months_back: int) -> None:
        uscc = self.a_unit(data)
        period = self.period(months_back)
        self.send(
            "revoke_assessment",
            lambda key, on: self.ledger.revoke_assessment(uscc, period, on, ACTOR, key=key),
        )

    @rule(
        data=st.data(),
        share=st.sampled_from(["0.5", "1", "1.5"]).map(Decimal) | st.none(),
        amount=amounts,
    )
    def pay(self, data: st.DataObject, share: Decimal | None, amount: Decimal) -> None:
        """A share of what is outstanding (short, exact, over), or any amount."""
        uscc = self.a_unit(data)
        if share is not None:
            owed = sum((i.outstanding for i in self.ledger.unit(uscc).items.values()), ZERO)
            amount = max(round_fen(owed * share), Decimal("0.01"))
        self.send(
            "collect_payment",
            lambda key, on: self.ledger.collect_payment(uscc, on, amount, ACTOR, key=key),
        )

    @rule()
    def monthly_collection(self) -> None:
        """The tax bureau collects what every unit owes, and reports it back."""
        for uscc in self.units:
            self.pay_unit(
                uscc, sum((i.outstanding for i in self.ledger.unit(uscc).items.values()), ZERO)
            )

    def pay_unit(self, uscc: str, amount: Decimal) -> None:
        if amount > ZERO:
            self.send(
                "collect_payment",
                lambda key, on: self.ledger.collect_payment(uscc, on, amount, ACTOR, key=key),
            )

    @rule(data=st.data())
    def pay_an_item(self, data: st.DataObject) -> None:
        """The tax bureau names the item: its outstanding amount, part of it, or more."""
        uscc = self.a_unit(data)
        items = sorted(self.ledger.unit(uscc).items.values(), key=lambda i: (i.period, i.part))
        if not items:
            return
        item = data.draw(st.sampled_from(items))
        share = data.draw(st.sampled_from(["0.3", "1", "1.2"]).map(Decimal))
        amount = max(round_fen(item.outstanding * share), Decimal("0.01"))
        named = [(item.period, item.part.value, amount)]
        self.send(
            "collect_payment",
            lambda key, on: self.ledger.collect_payment(
                uscc, on, amount, ACTOR, items=named, key=key
            ),
        )

    @rule(
        data=st.data(),
        start=st.integers(min_value=-2, max_value=3),
        months=st.integers(min_value=1, max_value=7),
    )
    def apply_for_deferral(self, data: st.DataObject, start: int, months: int) -> None:
        uscc = self.a_unit(data)
        first = Period.of(self.today) + start
        periods = PeriodRange(first, first + (months - 1))
        self.send(
            "apply_for_deferral",
            lambda key, on: self.ledger.apply_for_deferral(
                uscc, periods, on, ["申请书", "资产负债表"], ACTOR, key=key
            ),
        )

    @rule(data=st.data(), approved=st.booleans())
    def decide_application(self, data: st.DataObject, approved: bool) -> None:
        uscc = self.a_unit(data)
        self.send(
            "decide_deferral_application",
            lambda key, on: self.ledger.decide_deferral_application(
                uscc, approved, on, "市医疗保障局", ACTOR, key=key
            ),
        )

    @rule(
        data=st.data(),
        first=st.integers(min_value=6, max_value=10),
        count=st.integers(min_value=1, max_value=3),
        gap=st.booleans(),
    )
    def file_commitment(self, data: st.DataObject, first: int, count: int, gap: bool) -> None:
        """承诺书: consecutive months from ``first`` (or with a gap), in or out of the window."""
        uscc = self.a_unit(data)
        chosen = [Period(2022, first) + i * (2 if gap else 1) for i in range(count)]
        self.send(
            "file_commitment",
            lambda key, on: self.ledger.file_commitment(uscc, chosen, on, ACTOR, key=key),
        )

    @rule(data=st.data(), accepted=st.booleans())
    def review_commitment(self, data: st.DataObject, accepted: bool) -> None:
        uscc = self.a_unit(data)
        self.send(
            "review_commitment",
            lambda key, on: self.ledger.review_commitment(uscc, accepted, on, ACTOR, key=key),
        )

    @rule(data=st.data())
    def commitment_found_false(self, data: st.DataObject) -> None:
        uscc = self.a_unit(data)
        self.send(
            "find_commitment_false",
            lambda key, on: self.ledger.find_commitment_false(uscc, on, ACTOR, key=key),
        )

    @rule(data=st.data(), months=st.sampled_from([3, 6, 7, 12]))
    def declare_fund_months(self, data: st.DataObject, months: int) -> None:
        region = data.draw(st.sampled_from(sorted(self.era.regions)))
        self.send(
            "declare_fund_months",
            lambda key, on: self.ledger.declare_fund_months(region, months, on, ACTOR, key=key),
        )

    @precondition(lambda self: len(self.done) > LATE_IN_LIFE)
    @rule(data=st.data())
    def request_deregistration(self, data: st.DataObject) -> None:
        uscc = self.a_unit(data)
        self.send(
            "request_deregistration",
            lambda key, on: self.ledger.request_deregistration(uscc, on, ACTOR, key=key),
        )

    @rule(data=st.data())
    def complete_deregistration(self, data: st.DataObject) -> None:
        uscc = self.a_unit(data)
        self.send(
            "complete_deregistration",
            lambda key, on: self.ledger.complete_deregistration(uscc, on, ACTOR, key=key),
        )

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        """The same command with the same key: its first result again, nothing written."""
        done = data.draw(st.sampled_from(self.done))
        before = self.high_water()

        again = done.send(done.key, done.on)

        assert again == done.result, f"retry of {done.name} answered differently"
        assert self.high_water() == before, f"retry of {done.name} wrote events"

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data())
    def reuse_a_key(self, data: st.DataObject) -> None:
        """Another request under a used key is refused (Conflict), and writes nothing."""
        done = data.draw(st.sampled_from(self.done))
        region = sorted(self.era.regions)[0]
        before = self.high_water()

        # 13 months is never declared by the machine: the request always differs.
        with pytest.raises(Conflict):
            self.ledger.declare_fund_months(region, 13, self.today, ACTOR, key=done.key)

        assert self.high_water() == before

    # ------------------------------------------------------------ invariants

    @invariant()
    def saved_units_hold_the_invariants(self) -> None:
        # The views follow the log incrementally, as `ledger project` does.
        catch_up(self.ledger, self.views)
        assert self.views.position() == self.high_water()
        saved, self.ledger.saved_states = self.ledger.saved_states, {}
        for uid, as_saved in saved.items():
            unit: Unit = self.ledger.repository.get(uid)
            events = list(self.ledger.events.get(uid))
            replayed = state_of(unit)
            assert replayed == as_saved, f"{unit.uscc}: replaying its events gives another state"
            movements = self.views.movements([uid])
            balance = unit_balance(movements, END_OF_TIME, DAILY_RATE)
            check_conservation(unit, events, balance)
            check_read_side_agrees(unit, balance)
            check_deferred_matches(
                unit, unit_balance(movements, self.today, DAILY_RATE), self.today
            )
            check_late_fees(movements, self.today)


def examples() -> int:
    return int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "25"))


TestLedgerInvariants = LedgerMachine.TestCase
TestLedgerInvariants.settings = settings(
    max_examples=examples(),
    stateful_step_count=60,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    # Explaining a failure replays it hundreds of times: minutes, for little news.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
