"""The machinery shared by the use cases: the application they run in, and the ports
(``ledger.usecases.ports``) they load units, regions and policies from and save
through, given when the ledger is made (``ledger.bootstrap``: the store's)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    EventSourcedLog,
    ProcessingEvent,
)
from eventsourcing.domain import (
    Aggregate,
    DomainEvent,
    DomainEventProtocol,
    MutableOrImmutableAggregate,
)
from eventsourcing.persistence import JSONTranscoder, Recording, Transcoding

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import InvalidValue, NotFound
from ledger.domain.money import ZERO, money
from ledger.domain.policy import Policy
from ledger.domain.region import (
    POLICIES_LOG_ID,
    REGIONS_LOG_ID,
    PolicyIndexed,
    Region,
    RegionIndexed,
    UnitIndexed,
    policy_id,
    region_units_log_id,
    unit_id,
)
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.logs import get_logger
from ledger.measures.context import Context
from ledger.usecases.groupcommit import MAX_MEMBERS, GroupCommit
from ledger.usecases.lookahead import Lookahead
from ledger.usecases.ports import Actor as Actor
from ledger.usecases.ports import Ports, Work
from ledger.usecases.ports import Result as Result
from ledger.usecases.ports import Saved as Saved
from ledger.usecases.repository import LedgerRepository

#: the application's setting: commands saved in one transaction at most (1: each alone)
GROUP_COMMIT_ENV = "GROUP_COMMIT_MAX_MEMBERS"
#: units whose agency is kept in memory (a city's units, a few MB)
AGENCIES_KEPT = 500_000

#: the ports of a ledger, made once its event store is open (the store's, or a replay's)
PortsOf = Callable[["LedgerBase"], Ports]


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class LedgerBase(Application[UUID]):
    """The machinery every use case shares: running a command once, loading what it names."""

    name = "ledger"

    def __init__(self, env: dict[str, str] | None = None, *, ports: PortsOf) -> None:
        super().__init__(env)
        self._agencies: dict[str, str] = {}
        #: active tokens by the secret presented, each as of its aggregate's version (see
        #: ``TokenCases.authenticate``)
        self._active_tokens: dict[str, Any] = {}
        self.logger = get_logger()
        # Late-bound ``self.save``: what saves a group is the application's save().
        self.group_commit = GroupCommit(
            lambda events: self.save(*events),
            max_members=int(self.env.get(GROUP_COMMIT_ENV) or MAX_MEMBERS),
        )
        #: look-ups a command will make, asked of the store together beforehand
        self.lookahead = Lookahead(self.recorder)
        #: what the use cases load units, regions and policies from and save through
        self.ports = ports(self)

    def construct_repository(self) -> LedgerRepository:
        # the library's, with its settings, folding without a per-event Protocol check
        base = super().construct_repository()
        repository = LedgerRepository(event_store=base.event_store)
        repository.__dict__.update(base.__dict__)
        return repository

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """``Application.save``: its steps (eventsourcing 9.5), in its order, without its
        runtime protocol checks. On Python 3.11 an ``isinstance`` against a
        ``runtime_checkable`` protocol lists the protocol's members on every call: about a
        tenth of a batch of payments' save (events) and 11 us per unit of an import
        (aggregates). An event or aggregate of the library's classes is known to be one;
        anything else is collected as the library collects it."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, DomainEvent):
                processing.events.append(obj)
            elif isinstance(obj, Aggregate):
                processing.events.extend(obj.collect_events())
                processing.aggregates[obj.id] = obj
            else:
                processing.collect_events(obj)
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        # The library's encoder, writing the same bytes, without its check for circular
        # containers: an event's state is made by the use cases from plain values and
        # cannot hold itself, and the check costs a dict insert and delete per list (an
        # assessment's lines: ~0.09 us a person-line of an import, a fifth of its JSON).
        # ``tests/unit/test_event_encoding.py`` holds the two encoders to the same bytes.
        transcoder.encoder = json.JSONEncoder(
            default=transcoder._encode_obj,
            separators=(",", ":"),
            ensure_ascii=False,
            check_circular=False,
        )

    # ---------------------------------------------------------- machinery

    def _run(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Work,
        extra: Result | None = None,
    ) -> Result:
        """Runs a use case through the saver: the store's runs it once, atomically and
        idempotently (``ledger.usecases.stored``)."""
        return self.ports.saver.run(command, key, payload, actor, work, extra)

    def unit(self, uscc: str) -> Unit:
        return self.ports.units.unit(uscc)

    def known_agency(self, uscc: str) -> str | None:
        """The agency of a unit already read by ``unit_agency`` (no I/O), else None."""
        return self._agencies.get(uscc)

    def unit_agency(self, uscc: str) -> str:
        """The agency holding a unit, read from its registration alone (no event moves a
        unit to another agency, so it is kept once read): the case worker's check before
        a command, without folding the unit's whole history a second time."""
        agency = self._agencies.get(uscc)
        if agency is None:
            first = list(self.events.get(unit_id(uscc), lte=1))
            if not first or not isinstance(first[0], Unit.Registered):
                raise NotFound(f"no unit registered with USCC {uscc}", field="uscc")
            if len(self._agencies) >= AGENCIES_KEPT:
                self._agencies.clear()
            agency = self._agencies[uscc] = first[0].agency
        return agency

    def region(self, code: str) -> Region:
        return self.ports.regions.region(code)

    def regions(self) -> list[Region]:
        log = EventSourcedLog(self.events, REGIONS_LOG_ID, RegionIndexed)
        return [self.region(e.code) for e in log.get()]

    def unit_ids_in(self, region: str) -> Iterator[UUID]:
        log = EventSourcedLog(self.events, region_units_log_id(region), UnitIndexed)
        for entry in log.get():
            yield entry.unit_id

    def policies(self) -> PolicySet:
        """The policy set the use cases decide under (the store's: the enacted set)."""
        return self.ports.policies.policies()

    def policies_known_at(self, known_at: datetime | None) -> PolicySet:
        """The policy set as the ledger knew it at ``known_at`` (None: now): each document
        at its last version recorded by then, those revoked by then ending at their
        revocation. The views "as known at" an instant compute late fees, due dates and
        deadlines with it."""
        if known_at is None:
            return self.policies()
        log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
        files, revoked = [], {}
        known = dict.fromkeys(e.document_id for e in log.get() if e.timestamp <= known_at)
        for document_id in known:
            versions = [
                e.originator_version
                for e in cast(Iterable[Policy.Event], self.events.get(policy_id(document_id)))
                if e.timestamp <= known_at
            ]
            if not versions:
                continue
            policy = cast(Policy, self.repository.get(policy_id(document_id), version=versions[-1]))
            files.append(CatalogueFile.model_validate(policy.content))
            if policy.revoked_on is not None:
                revoked[document_id] = policy.revoked_on
        return PolicySet(files, revoked)

    def _ctx(self, actor: Actor, on: date, caused_by: str, unit: Unit | None = None) -> Context:
        return decision_context(actor, on, caused_by, unit)

    def _fund_months(self, code: str) -> int | None:
        return self.region(code).fund_months

    # --------------------------------------------------------------- reads

    def unit_history(self, uscc: str) -> list[Any]:
        """Every event of a unit, in order (the audit trail's raw material)."""
        return list(self.events.get(unit_id(uscc)))

    def load_units(self, ids: Iterable[UUID]) -> dict[UUID, Unit]:
        """Many units at once; missing ones are absent from the result."""
        found: dict[UUID, Unit] = {}
        for uid in ids:
            try:
                found[uid] = cast(Unit, self.repository.get(uid))
            except AggregateNotFoundError:
                continue
        return found


def decision_context(actor: Actor, on: date, caused_by: str, unit: Unit | None = None) -> Context:
    """The decision context; with ``unit``, the cause names the fact's version."""
    if unit is not None:
        caused_by = f"{caused_by} (v{unit.version})"
    return Context(actor.name, actor.reason, actor.request_id, on, caused_by)


def positive_base(base: str | Decimal) -> Decimal:
    amount = money(base, field="base")
    if amount <= ZERO:
        raise InvalidValue(f"contribution base {amount} must be positive", field="base")
    return amount


def part_of(value: str) -> Part:
    try:
        return Part(value)
    except ValueError:
        raise InvalidValue(
            f"part {value!r} is not unit_medical, unit_maternity or individual", field="part"
        ) from None
