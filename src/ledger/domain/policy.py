"""A policy document as enacted in the ledger: its full content, version by version."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain.errors import Conflict, InvalidValue


class Policy(Aggregate):
    TOPIC = "ledger.policy"

    class Event(Aggregate.Event):
        actor: str
        reason: str
        request_id: str

    class Created(Event, Aggregate.Created):
        TOPIC = "ledger.policy.created"

    class Enacted(Created):
        """The first version of a document enacted: the aggregate begins with it."""

        TOPIC = "ledger.policy.enacted"
        class_version = 2
        document_id: str
        number: str
        version: int
        enacted_on: date
        content: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upgrade_content(state["content"])

    class Amended(Event):
        """A later version enacted: the decisions of the version it replaces are
        compensated on every affected unit (ledger.measures)."""

        TOPIC = "ledger.policy.amended"
        class_version = 2
        version: int
        enacted_on: date
        content: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upgrade_content(state["content"])

        def apply(self, aggregate: Any) -> None:
            aggregate.document_version = self.version
            aggregate.enacted_on = self.enacted_on
            aggregate.content = self.content

    class Revoked(Event):
        """The document ends from ``revoked_on``: periods from then on lose its decisions."""

        TOPIC = "ledger.policy.revoked"
        revoked_on: date

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked_on = self.revoked_on

    def __init__(
        self,
        *,
        document_id: str,
        number: str,
        version: int,
        enacted_on: date,
        content: dict[str, Any],
        actor: str,
        reason: str,
        request_id: str,
    ) -> None:
        self.document_id = document_id
        self.number = number
        # Not ``version``: that is the aggregate's own event count (eventsourcing), which
        # a revocation moves on without changing the document's version.
        self.document_version = version
        self.enacted_on = enacted_on
        self.content = content
        self.revoked_on: date | None = None

    def check_not_revoked(self) -> None:
        if self.revoked_on is not None:
            raise Conflict(
                f"{self.number} was revoked from {self.revoked_on}; a revoked document "
                "is not amended",
                field="document.id",
            )

    def check_revocable(self, revoked_on: date) -> None:
        """A revocation ends a measure from a date: not before the document took effect
        (that would be an annulment), and once only."""
        self.check_not_revoked()
        if revoked_on < self.enacted_on:
            raise InvalidValue(
                f"{self.number} v{self.document_version} took effect on {self.enacted_on}; "
                f"it cannot be revoked from {revoked_on}, before that",
                field="revoked_on",
            )

    def is_same(self, version: int, content: dict[str, Any]) -> bool:
        """Enacting the same version with the same content again changes nothing."""
        if version == self.document_version and content == self.content:
            return True
        if version <= self.document_version:
            raise Conflict(
                f"{self.number} version {version} is not newer than the enacted "
                f"version {self.document_version}; an amendment needs a higher version",
                field="document.version",
            )
        return False


def upgrade_content(content: dict[str, Any]) -> None:
    """Version 1 content (recorded before rules named the periods they are in force for)
    lacks what the catalogue requires now; it is read as it was then meant:

    * a working calendar without its year: the only such document, 国办发明电〔2021〕11号,
      lists days of 2022 alone, so the year is the one its days share (days of several
      years are left as they were, for the catalogue's validation to refuse by name);
    * a late-fee rule without ``since``: in force from the document's enactment;
    * a deferral on application without ``periods``: the periods of the year the
      document was enacted in (both seeds' applications are 2020's).
    """
    calendar = content.get("working_calendar")
    if isinstance(calendar, dict) and "year" not in calendar:
        days = [*calendar.get("holidays", ()), *calendar.get("extra_workdays", ())]
        years = {str(day)[:4] for day in days}
        if len(years) == 1:
            calendar["year"] = int(years.pop())
    enacted = str(content.get("document", {}).get("enacted_on", ""))
    late_fee = content.get("late_fee")
    if isinstance(late_fee, dict) and "since" not in late_fee and enacted:
        late_fee["since"] = enacted
    application = content.get("application_deferral")
    if isinstance(application, dict) and "periods" not in application and enacted:
        application["periods"] = f"{enacted[:4]}-01..{enacted[:4]}-12"
