"""The machinery shared by the use cases: one atomic save per command, idempotency,
loading units, regions and the enacted policies."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, EventSourcedLog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.command import CommandRecord
from ledger.domain.errors import Contention, InvalidValue, NotFound
from ledger.domain.money import ZERO, money
from ledger.domain.period import Period, PeriodRange
from ledger.domain.policy import Policy
from ledger.domain.region import (
    POLICIES_LOG_ID,
    REGIONS_LOG_ID,
    PolicyIndexed,
    Region,
    RegionIndexed,
    UnitIndexed,
    command_id,
    policy_id,
    region_id,
    region_units_log_id,
    unit_id,
)
from ledger.domain.terms import Part
from ledger.domain.text import check_plain_fields
from ledger.domain.unit import Unit
from ledger.domain.years import check_day, check_period, check_range
from ledger.logs import get_logger
from ledger.measures.context import Context
from ledger.usecases.groupcommit import MAX_MEMBERS, GroupCommit
from ledger.usecases.repository import LedgerRepository

#: times a command is decided again when another save got in first
ATTEMPTS = 5
#: seconds of the first back-off (doubled, jittered) between those attempts
BACKOFF = 0.002
#: the application's setting: commands saved in one transaction at most (1: each alone)
GROUP_COMMIT_ENV = "GROUP_COMMIT_MAX_MEMBERS"
#: units whose agency is kept in memory (a city's units, a few MB)
AGENCIES_KEPT = 500_000


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks, why, and under which request: recorded in every event."""

    name: str
    reason: str = ""
    request_id: str = ""

    def meta(self) -> dict[str, str]:
        return {"actor": self.name, "reason": self.reason, "request_id": self.request_id}


Result = dict[str, Any]
Saved = list[Any]  # aggregates and log events, as save() takes them


class LedgerBase(Application[UUID]):
    """The machinery every use case shares: running a command once, loading what it names."""

    name = "ledger"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._policy_cache: tuple[int, PolicySet] | None = None
        self._agencies: dict[str, str] = {}
        self.logger = get_logger()
        # Late-bound ``self.save``: what saves a group is the application's save().
        self.group_commit = GroupCommit(
            lambda events: self.save(*events),
            max_members=int(self.env.get(GROUP_COMMIT_ENV) or MAX_MEMBERS),
        )

    def construct_repository(self) -> LedgerRepository:
        # the library's, with its settings, folding without a per-event Protocol check
        base = super().construct_repository()
        repository = LedgerRepository(event_store=base.event_store)
        repository.__dict__.update(base.__dict__)
        return repository

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # ---------------------------------------------------------- machinery

    def _run(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Callable[[], Saved],
        extra: Result | None = None,
    ) -> Result:
        """Runs a use case once: refused commands save nothing; retries replay.

        ``extra`` joins the result (and so the idempotency record): what a retry must
        get back beyond the events, such as the id of a token issued.
        """
        # A policy's content is a catalogue file, whose texts its loader checks by the
        # same rule (naming the document's field); everything else a command records is
        # one line of plain text.
        check_plain_fields(payload, skip=frozenset({"content"}))
        check_plain_fields({"actor": actor.name, "reason": actor.reason})
        check_years(payload)
        fingerprint = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        if key:
            previous = self._command(key)
            if previous is not None:
                return previous.replay(command, fingerprint)
        for attempt in range(1, ATTEMPTS + 1):
            saved = work()
            result = self._summary(command, saved) | (extra or {})
            if key:
                record = CommandRecord._create(
                    CommandRecord.Recorded,
                    id=command_id(key),
                    key=key,
                    command=command,
                    fingerprint=fingerprint,
                    result=result,
                )
                saved.append(record)
            try:
                # Saved with the commands of other threads waiting at the same moment,
                # in one transaction; returns once that transaction has committed.
                self.group_commit.commit(_collect(saved))
                break
            except IntegrityError:
                # Someone else saved first: the same key replays; otherwise the command
                # is decided again on what is now recorded (optimistic concurrency: two
                # units registered at once in a region both append to its index).
                if key and (previous := self._command(key)) is not None:
                    return previous.replay(command, fingerprint)
                if attempt == ATTEMPTS:
                    # Five lost races in a row is rare; a bug (a version written twice in
                    # one save) looks the same, so it is logged with its traceback.
                    self.logger.warning("save_conflict", command=command, exc_info=True)
                    raise Contention(
                        f"{command}: the ledger changed while this command ran "
                        f"{ATTEMPTS} times; nothing was written, try again"
                    ) from None
                time.sleep(random.uniform(0, BACKOFF * 2**attempt))
        self.logger.info(
            command,
            actor=actor.name,
            request_id=actor.request_id,
            events=len(result["events"]),
            **{k: v for k, v in payload.items() if k in ("uscc", "period", "region", "document")},
        )
        return result

    @staticmethod
    def _summary(command: str, saved: Saved) -> Result:
        events: list[dict[str, Any]] = []
        for obj in saved:
            pending = obj.pending_events if isinstance(obj, Aggregate) else [obj]
            for event in pending:
                events.append({"type": type(event).__name__, "version": event.originator_version})
        return {"command": command, "events": events}

    def _command(self, key: str) -> CommandRecord | None:
        try:
            return cast(CommandRecord, self.repository.get(command_id(key)))
        except AggregateNotFoundError:
            return None

    def unit(self, uscc: str) -> Unit:
        try:
            return cast(Unit, self.repository.get(unit_id(uscc)))
        except AggregateNotFoundError:
            raise NotFound(f"no unit registered with USCC {uscc}", field="uscc") from None

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
        try:
            return cast(Region, self.repository.get(region_id(code)))
        except AggregateNotFoundError:
            raise NotFound(
                f"no pooling region registered with code {code}", field="region"
            ) from None

    def regions(self) -> list[Region]:
        log = EventSourcedLog(self.events, REGIONS_LOG_ID, RegionIndexed)
        return [self.region(e.code) for e in log.get()]

    def unit_ids_in(self, region: str) -> Iterator[UUID]:
        log = EventSourcedLog(self.events, region_units_log_id(region), UnitIndexed)
        for entry in log.get():
            yield entry.unit_id

    def policies(self) -> PolicySet:
        """The enacted policy set (cached until another enactment is logged)."""
        log = EventSourcedLog(self.events, POLICIES_LOG_ID, PolicyIndexed)
        last = log.get_last()
        version = last.originator_version if last else 0
        if self._policy_cache is None or self._policy_cache[0] != version:
            files, revoked = [], {}
            for document_id in dict.fromkeys(e.document_id for e in log.get()):
                policy = cast(Policy, self.repository.get(policy_id(document_id)))
                files.append(CatalogueFile.model_validate(policy.content))
                if policy.revoked_on is not None:
                    revoked[document_id] = policy.revoked_on
            self._policy_cache = (version, PolicySet(files, revoked))
        return self._policy_cache[1]

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
        """The decision context; with ``unit``, the cause names the fact's version."""
        if unit is not None:
            caused_by = f"{caused_by} (v{unit.version})"
        return Context(actor.name, actor.reason, actor.request_id, on, caused_by)

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


def _collect(saved: Saved) -> list[Any]:
    """The events to save: each aggregate's pending events (collected), and log events."""
    events: list[Any] = []
    for obj in saved:
        if isinstance(obj, Aggregate):
            events.extend(obj.collect_events())
        else:
            events.append(obj)
    return events


def check_years(payload: dict[str, Any]) -> None:
    """Every business date and period of a command's input within the ledger's years,
    whichever entrance it came through (API, CLI, desk): refused naming the field."""
    for name, value in payload.items():
        if isinstance(value, date):
            check_day(value, name)
        elif name in ("period", "since") and isinstance(value, str):
            check_period(Period.parse(value), name)
        elif name == "periods" and isinstance(value, str):
            check_range(PeriodRange.parse(value), name)
        elif name == "months" and isinstance(value, list):
            for n, text in enumerate(value):
                check_period(Period.parse(text), f"months[{n}]")
        elif name == "items" and isinstance(value, list):
            for n, item in enumerate(value):
                check_period(Period.parse(str(item[0])), f"items[{n}].period")


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
