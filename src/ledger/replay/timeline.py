"""The recorded events that concern every unit of a region: policy enactments and the
fund's payable months, in the order the ledger recorded them.

A unit's own events are replayed in version order; these region-wide facts are slotted
in before the first unit event recorded after them (the recorded instant, the
``known_at`` clock, orders them: one writer per command, and an enactment's own
decisions on a unit are recorded after the enactment's event).

Which documents of the reform set are in force, and from when:

* a document whose id was enacted in the record is enacted at the point of the stream
  where the record first enacted it (and decides retroactively there, with its own
  ``enacted_on`` as the business date); later amendments of it in the record are not
  replayed: the reform set says what its content is;
* a document new to the record is in force from the start;
* a document of the record that the reform set lacks is never enacted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eventsourcing.application import EventSourcedLog

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.policy import Policy
from ledger.domain.region import (
    POLICIES_LOG_ID,
    PolicyIndexed,
    Region,
    policy_id,
    region_id,
)
from ledger.usecases.base import Actor, LedgerBase


@dataclass(frozen=True, slots=True)
class Enactment:
    """The record enacted a document of the reform set here."""

    at: datetime
    document_id: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class FundMonths:
    """The region's fund payable months were declared here."""

    at: datetime
    months: int
    as_of: date
    actor: Actor


Moment = Enactment | FundMonths


@dataclass(frozen=True, slots=True)
class Recorded:
    """A document as the record first enacted it (for the report)."""

    document_id: str
    number: str
    version: int
    enacted_on: date
    at: datetime


def _actor(event: Any) -> Actor:
    return Actor(event.actor, event.reason, event.request_id)


def recorded_documents(ledger: LedgerBase, known_at: datetime | None) -> list[Recorded]:
    """The documents the record enacted by ``known_at``, in the order first enacted."""
    log = EventSourcedLog(ledger.events, POLICIES_LOG_ID, PolicyIndexed)
    found: list[Recorded] = []
    for document_id in dict.fromkeys(e.document_id for e in log.get()):
        for event in ledger.events.get(policy_id(document_id)):
            if isinstance(event, Policy.Enacted) and _known(event.timestamp, known_at):
                found.append(
                    Recorded(
                        document_id, event.number, event.version, event.enacted_on, event.timestamp
                    )
                )
    return sorted(found, key=lambda r: r.at)


def region_moments(
    ledger: LedgerBase,
    code: str,
    recorded: Iterable[Recorded],
    reform: PolicySet,
    known_at: datetime | None,
) -> list[Moment]:
    """The enactments (of documents in the reform set that reach ``code``) and fund-month
    declarations of a region, in recorded order."""
    moments: list[Moment] = []
    for doc in recorded:
        file = reform.files.get(doc.document_id)
        if file is None or not reaches(file, code):
            continue
        first = next(
            e
            for e in ledger.events.get(policy_id(doc.document_id))
            if isinstance(e, Policy.Enacted)
        )
        moments.append(Enactment(doc.at, doc.document_id, _actor(first)))
    for event in ledger.events.get(region_id(code)):
        if isinstance(event, Region.FundMonthsDeclared) and _known(event.timestamp, known_at):
            moments.append(FundMonths(event.timestamp, event.months, event.as_of, _actor(event)))
    return sorted(moments, key=lambda m: m.at)


def reaches(file: CatalogueFile, code: str) -> bool:
    return any(code.startswith(prefix) for prefix in file.document.regions)


class Stages:
    """The reform set's documents in force after each recorded enactment, one
    ``PolicySet`` per stage shared by every unit (its rule look-ups are memoised)."""

    def __init__(self, reform: PolicySet, recorded: Iterable[Recorded]) -> None:
        self.reform = reform
        self._recorded_ids = {r.document_id for r in recorded}
        self._cache: dict[frozenset[str], PolicySet] = {}

    def initial(self) -> frozenset[str]:
        """Documents new to the record: in force from the start."""
        return frozenset(d for d in self.reform.files if d not in self._recorded_ids)

    def policies(self, in_force: frozenset[str]) -> PolicySet:
        found = self._cache.get(in_force)
        if found is None:
            found = PolicySet([f for d, f in self.reform.files.items() if d in in_force])
            self._cache[in_force] = found
        return found


def _known(at: datetime, known_at: datetime | None) -> bool:
    return known_at is None or at <= known_at
