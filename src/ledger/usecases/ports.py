"""The ports the use cases run on, and what every command carries.

A use case loads the unit it acts on (``Units``), the pooling region (``Regions``)
and the enacted policies (``Policies``), decides, and hands its work to a ``Saver``,
which runs it and keeps what it produced. ``ledger.bootstrap`` composes the ledger
with the store's ports (``ledger.usecases.stored``: load from the event store, save
once, atomically and idempotently); a what-if replay composes the same use cases with
ports of its own (``ledger.replay.scratch``: one unit held in memory, the reform's
documents, nothing saved).

No use case reads a clock: every business date is a command's argument, and the
instant an event is recorded is the event store's (the library's timestamp).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.catalogue.policyset import PolicySet
from ledger.domain.region import Region
from ledger.domain.unit import Unit

__all__ = ["Actor", "Policies", "Ports", "Regions", "Result", "Saved", "Saver", "Units", "Work"]


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
#: a use case's decision: what it records (run again when a save loses a race)
Work = Callable[[], Saved]


class Units(Protocol):
    def unit(self, uscc: str) -> Unit:
        """The unit a USCC names (``NotFound`` naming the field ``uscc`` if none)."""
        ...


class Regions(Protocol):
    def region(self, code: str) -> Region:
        """The pooling region of a code (``NotFound`` naming ``region`` if none)."""
        ...


class Policies(Protocol):
    def policies(self) -> PolicySet:
        """The policy set the use cases decide under."""
        ...

    def forget(self) -> None:
        """A document was enacted or revoked: the next ``policies()`` reads them anew."""
        ...


class Saver(Protocol):
    def run(
        self,
        command: str,
        key: str | None,
        payload: dict[str, Any],
        actor: Actor,
        work: Work,
        extra: Result | None = None,
    ) -> Result:
        """Runs a use case's ``work`` and keeps what it produced; returns the command's
        result (``extra`` joins it)."""
        ...


@dataclass(frozen=True, slots=True)
class Ports:
    units: Units
    regions: Regions
    policies: Policies
    saver: Saver
