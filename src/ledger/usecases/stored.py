"""The store's ports: units, regions and policies loaded from the application's event
store, and the saver that runs a command once and saves it atomically.

``ledger.bootstrap`` composes the ledger with these (``stored_ports``); a replay
composes it with its own (``ledger.replay.scratch``).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from eventsourcing.application import AggregateNotFoundError, EventSourcedLog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.command import CommandRecord
from ledger.domain.errors import Contention, NotFound
from ledger.domain.period import Period, PeriodRange
from ledger.domain.policy import Policy
from ledger.domain.region import (
    POLICIES_LOG_ID,
    PolicyIndexed,
    Region,
    command_id,
    policy_id,
    region_id,
    unit_id,
)
from ledger.domain.text import check_plain_fields
from ledger.domain.unit import Unit
from ledger.domain.years import check_day, check_founded, check_period, check_range
from ledger.usecases.base import LedgerBase
from ledger.usecases.keptunits import UNITS_KEPT, KeptUnits
from ledger.usecases.lookahead import Ask
from ledger.usecases.ports import Actor, Ports, Result, Saved, Work
from ledger.usecases.repository import fold

__all__ = [
    "ATTEMPTS",
    "BACKOFF",
    "Decided",
    "StoredPolicies",
    "StoredRegions",
    "StoredSaver",
    "StoredUnits",
    "check_years",
    "stored_ports",
]

#: times a command is decided again when another save got in first
ATTEMPTS = 5
#: seconds of the first back-off (doubled, jittered) between those attempts
BACKOFF = 0.002
#: the application's setting (``Settings.units_kept``): units kept folded between commands
UNITS_KEPT_ENV = "UNITS_KEPT"


def stored_ports(app: LedgerBase) -> Ports:
    """The ports of a ledger on its own event store."""
    kept = KeptUnits(int(app.env.get(UNITS_KEPT_ENV) or UNITS_KEPT))
    return Ports(
        StoredUnits(app, kept), StoredRegions(app), StoredPolicies(app), StoredSaver(app, kept)
    )


class StoredUnits:
    """Units folded from the store, or kept from the last command on them
    (``ledger.usecases.keptunits``) with what was recorded since folded on."""

    def __init__(self, app: LedgerBase, kept: KeptUnits | None = None) -> None:
        self.app = app
        self.kept = kept if kept is not None else KeptUnits(0)

    def ask_ahead(self, uscc: str) -> Ask | None:
        """What ``unit`` will ask the store for ``uscc`` if a unit is kept for it now."""
        uid = unit_id(uscc)
        version = self.kept.version(uid)
        return None if version is None else Ask(uid, version - 1)

    def unit(self, uscc: str) -> Unit:
        uid = unit_id(uscc)
        kept = self.kept.take(uid)
        if kept is not None:
            # From the kept unit's own last event on: the store must still hold it (one
            # row more), else the store was rewound under this process (a restore) and
            # the kept unit stands for events it no longer has: fold afresh.
            stored = self.app.lookahead.events(Ask(uid, kept.version - 1))
            if stored and stored[0].originator_version == kept.version:
                since = map(self.app.mapper.to_domain_event, stored[1:])
                return cast(Unit, fold(kept, since))
        try:
            return cast(Unit, self.app.repository.get(uid))
        except AggregateNotFoundError:
            raise NotFound(f"no unit registered with USCC {uscc}", field="uscc") from None


class StoredRegions:
    def __init__(self, app: LedgerBase) -> None:
        self.app = app

    def region(self, code: str) -> Region:
        try:
            return cast(Region, self.app.repository.get(region_id(code)))
        except AggregateNotFoundError:
            raise NotFound(
                f"no pooling region registered with code {code}", field="region"
            ) from None


class StoredPolicies:
    """The enacted policy set (cached until another enactment is logged)."""

    def __init__(self, app: LedgerBase) -> None:
        self.app = app
        self._cache: tuple[int, PolicySet] | None = None

    def policies(self) -> PolicySet:
        log = EventSourcedLog(self.app.events, POLICIES_LOG_ID, PolicyIndexed)
        last = log.get_last()
        version = last.originator_version if last else 0
        if self._cache is None or self._cache[0] != version:
            files, revoked = [], {}
            for document_id in dict.fromkeys(e.document_id for e in log.get()):
                policy = cast(Policy, self.app.repository.get(policy_id(document_id)))
                files.append(CatalogueFile.model_validate(policy.content))
                if policy.revoked_on is not None:
                    revoked[document_id] = policy.revoked_on
            self._cache = (version, PolicySet(files, revoked))
        return self._cache[1]

    def forget(self) -> None:
        self._cache = None


@dataclass(frozen=True, slots=True)
class Decided:
    """A command decided and its events collected, not yet saved."""

    command: str
    payload: dict[str, Any]
    actor: Actor
    #: its aggregates and log events (the units among them are kept once committed)
    saved: Saved
    #: what to save
    events: list[Any]
    result: Result
    #: the payload's fingerprint (a retry after a lost race decides again with it)
    fingerprint: str


class StoredSaver:
    """Runs a use case once: refused commands save nothing; retries replay."""

    def __init__(self, app: LedgerBase, kept: KeptUnits | None = None) -> None:
        self.app = app
        #: where a unit goes back once the command's events are committed
        self.kept = kept if kept is not None else KeptUnits(0)

    def run(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Work,
        extra: Result | None = None,
    ) -> Result:
        """``extra`` joins the result (and so the idempotency record): what a retry must
        get back beyond the events, such as the id of a token issued."""
        decided = self.decide(command, key, payload, actor, work, extra)
        if not isinstance(decided, Decided):
            return decided  # the key's first result
        for attempt in range(1, ATTEMPTS + 1):
            try:
                # Saved with the commands of other threads waiting at the same moment,
                # in one transaction; returns once that transaction has committed.
                self.app.group_commit.commit(decided.events)
                break
            except IntegrityError:
                # Someone else saved first: the same key replays; otherwise the command
                # is decided again on what is now recorded (optimistic concurrency: two
                # units registered at once in a region both append to its index).
                if key and (previous := self._command(key)) is not None:
                    return previous.replay(command, decided.fingerprint)
                if attempt == ATTEMPTS:
                    # Five lost races in a row is rare; a bug (a version written twice in
                    # one save) looks the same, so it is logged with its traceback.
                    self.app.logger.warning("save_conflict", command=command, exc_info=True)
                    raise Contention(
                        f"{command}: the ledger changed while this command ran "
                        f"{ATTEMPTS} times; nothing was written, try again"
                    ) from None
                time.sleep(random.uniform(0, BACKOFF * 2**attempt))
                decided = self._decided(
                    command, key, decided.fingerprint, payload, actor, work, extra
                )
        return self.committed(decided)

    def decide(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Work,
        extra: Result | None = None,
    ) -> Result | Decided:
        """``run`` up to its save: the first result if ``key`` was recorded, else the
        command decided (``Decided``), for the caller to save (``run``, or with others)
        and then hand to ``committed``; if a save with others loses a race, the caller
        runs the command again through ``run``, which replays or decides afresh."""
        fingerprint = self._checked(payload, actor)
        if key:
            previous = self._command(key)
            if previous is not None:
                return previous.replay(command, fingerprint)
        return self._decided(command, key, fingerprint, payload, actor, work, extra)

    def committed(self, decided: Decided) -> Result:
        """What follows a command's commit: its units kept, its one log line, its result."""
        for obj in decided.saved:
            if isinstance(obj, Unit):
                self.kept.keep(obj)  # as committed: the next command's start
        payload, result = decided.payload, decided.result
        self.app.logger.info(
            decided.command,
            actor=decided.actor.name,
            request_id=decided.actor.request_id,
            events=len(result["events"]),
            **{k: v for k, v in payload.items() if k in ("uscc", "period", "region", "document")},
        )
        return result

    @staticmethod
    def _checked(payload: dict[str, Any], actor: Actor) -> str:
        """The payload's fingerprint, once its texts and years are checked."""
        # A policy's content is a catalogue file, whose texts its loader checks by the
        # same rule (naming the document's field); everything else a command records is
        # one line of plain text.
        check_plain_fields(payload, skip=frozenset({"content"}))
        check_plain_fields({"actor": actor.name, "reason": actor.reason})
        check_years(payload)
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    @staticmethod
    def _decided(
        command: str,
        key: str | None,
        fingerprint: str,
        payload: dict[str, Any],
        actor: Actor,
        work: Work,
        extra: Result | None,
    ) -> Decided:
        saved = work()
        result = _summary(command, saved) | (extra or {})
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
        return Decided(command, payload, actor, saved, _collect(saved), result, fingerprint)

    def _command(self, key: str) -> CommandRecord | None:
        recorded = self.app.lookahead.events(Ask(command_id(key), 0))
        if not recorded:
            return None
        return cast(CommandRecord, fold(None, map(self.app.mapper.to_domain_event, recorded)))


def _summary(command: str, saved: Saved) -> Result:
    events: list[dict[str, Any]] = []
    for obj in saved:
        pending = obj.pending_events if isinstance(obj, Aggregate) else [obj]
        for event in pending:
            events.append({"type": type(event).__name__, "version": event.originator_version})
    return {"command": command, "events": events}


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
        if name == "established_on" and isinstance(value, date):
            check_founded(value, name)  # history, not a business date: wider
        elif isinstance(value, date):
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
