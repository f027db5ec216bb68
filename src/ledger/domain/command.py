"""Idempotency: a command's key, a fingerprint of its input and its first result.

Saved in the same atomic save() as the events the command produced, so a retry
after a crash either finds the record (and the events) or neither.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain.errors import Conflict


class CommandRecord(Aggregate):
    TOPIC = "ledger.command"

    class Event(Aggregate.Event):
        pass

    class Created(Event, Aggregate.Created):
        TOPIC = "ledger.command.created"

    class Recorded(Created):
        TOPIC = "ledger.command.recorded"
        key: str
        command: str
        fingerprint: str
        result: dict[str, Any]

    def __init__(self, *, key: str, command: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.result = result

    def replay(self, command: str, fingerprint: str) -> dict[str, Any]:
        """The first result, if the retry is the same command with the same input."""
        if (command, fingerprint) != (self.command, self.fingerprint):
            raise Conflict(
                f"idempotency key {self.key!r} was used for a different request "
                f"({self.command}); use a new key",
                field="idempotency_key",
            )
        return self.result
