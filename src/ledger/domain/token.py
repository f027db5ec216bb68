"""API bearer tokens, kept in the same event store as the ledger they open.

Only the SHA-256 digest of a token is recorded; the token itself is shown once,
when it is issued. The aggregate id is derived from the digest, so checking a
presented token is one ``get``. Tokens are high-entropy random strings, so a fast
hash is enough: there is no password to guess by brute force.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, DomainEvent
from eventsourcing.utils import register_topic

from ledger.domain.errors import Conflict

_NS = uuid5(NAMESPACE_URL, "https://ledger.invalid/tokens")

#: the event-sourced log of every token issued, for listing them
TOKENS_LOG_ID = uuid5(_NS, "tokens")


class Role(StrEnum):
    """What a token may do (issue 4: case workers, inspectors, administrators)."""

    case_worker = "case_worker"  # reads and writes the units of one agency
    inspector = "inspector"  # reads everything, writes nothing
    admin = "admin"  # registers regions, enacts policies, manages tokens


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_id(digest: str) -> UUID:
    return uuid5(_NS, f"token:{digest}")


class Token(Aggregate):
    TOPIC = "ledger.token"

    class Event(Aggregate.Event):
        actor: str
        reason: str
        request_id: str

    class Created(Event, Aggregate.Created):
        TOPIC = "ledger.token.created"

    class Issued(Created):
        TOPIC = "ledger.token.issued"
        digest: str
        role: str
        agency: str
        name: str

    class Revoked(Event):
        TOPIC = "ledger.token.revoked"

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked_on = self.timestamp

    def __init__(
        self,
        *,
        digest: str,
        role: str,
        agency: str,
        name: str,
        actor: str,
        reason: str,
        request_id: str,
    ) -> None:
        self.digest = digest
        self.role = Role(role)
        self.agency = agency
        self.name = name
        self.revoked_on: datetime | None = None

    def check_active(self) -> None:
        if self.revoked_on is not None:
            raise Conflict(f"token {self.id} was revoked on {self.revoked_on:%Y-%m-%d}")


class TokenIndexed(DomainEvent):
    """A token issued: one entry of the tokens log."""

    TOPIC: ClassVar[str] = "ledger.index.token"
    token_id: UUID


register_topic(TokenIndexed.TOPIC, TokenIndexed)
