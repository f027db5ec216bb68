"""Calendars recorded before one document a year: the 2022 notice was enacted as
``national-holidays`` with no ``year`` in its working calendar. A ledger that recorded it
still reads it, as the calendar of 2022 (Policy events, class version 1 -> 2)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.application import Actor, Ledger
from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet, check_compatible
from ledger.domain.policy import Policy
from ledger.domain.region import policy_id

ACTOR = Actor("case-worker:calendars", "recorded calendars", "req-calendars")


def _recorded_as_before(ledger: Ledger, document_id: str) -> StoredEvent:
    """The document's Enacted event as version 1 stored it: no class version, no year."""
    (stored,) = ledger.recorder.select_events(policy_id(document_id))
    state: dict[str, Any] = ledger.mapper.transcoder.decode(stored.state)
    del state["class_version"]
    del state["content"]["working_calendar"]["year"]
    old = ledger.mapper.transcoder.encode(state)
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, old)


def test_a_calendar_recorded_without_its_year_is_read_as_the_year_of_its_days() -> None:
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    packaged = next(f for f in load_default_catalogue() if f.document.id == "holidays-2022")
    legacy = packaged.model_copy(
        update={"document": packaged.document.model_copy(update={"id": "national-holidays"})}
    )
    ledger.enact_policy(legacy, ACTOR)

    event = ledger.mapper.to_domain_event(_recorded_as_before(ledger, "national-holidays"))

    assert isinstance(event, Policy.Enacted)
    recorded = CatalogueFile.model_validate(event.content)
    assert recorded.working_calendar is not None
    assert recorded.working_calendar.year == 2022
    # the packaged 2022 file supersedes it where a ledger holds both
    check_compatible([recorded, packaged])
    calendar = PolicySet([recorded, packaged]).calendar("150300")
    assert calendar.years == frozenset({2022})
    assert PolicySet([recorded, packaged]).resolve(
        "working_calendar", "150300", date(2022, 1, 1)
    ) == PolicySet([packaged]).resolve("working_calendar", "150300", date(2022, 1, 1))
