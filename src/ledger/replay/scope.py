"""What a policy set changes, document by document, and which units and facts it reaches.

Why the rest need not be replayed: the decider is a pure function of a unit's facts
(with the region's fund months) and of the rules that resolve for the unit's region on
the days and periods of those facts (:func:`ledger.catalogue.claims.resolve`). Resolution
for a region and a day looks only at the claims covering that region and day. So where no
claim of a changed, added or removed document covers a unit's region on the days its
events name, every rule the decider asked for resolves to the same rule of the same
unchanged document on both sides, and the decisions, hence the figures, are the record's.
Replaying such a unit is recording its own events again: it is carried over instead.

The same holds along a unit's history: the unit's events recorded before the first fact
that reaches a change were decided under rules the reform leaves alone, on a state built
by those same events, so they are carried over as recorded and the replay starts at that
fact (the *cut*), with the reform documents in force there.

Conservative on purpose (a unit counted in scope that did not need to be costs time, never
correctness):

* a document differs when its content differs, when the record amended or revoked it (a
  replay applies a document's content from its first enactment, where the record
  compensated), or when only one side has it; both sides' claims of it count, except
  where the two versions differ only in some rules and in descriptive fields (version,
  title, provenance): then only the claims one version has and the other lacks (a
  locality file with one region's rates changed reaches that region from that entry's
  ``since``, not every region);
* a measure (reduction, deferral, commitment) reaches from the earlier of its periods'
  start, its issue and its enactment (a deferral decides on any fact dated from its issue
  on) with no end (its deadline and later consequences);
* a series entry (rates, due dates, limits …) reaches from its ``since`` on;
* a late-fee rule reaches every unit of its regions from the start (fees accrue on old
  items every day up to ``as_of``);
* a year's working calendar reaches from two months before the year (a review deadline
  counted in working days runs into it);
* a value left to the locality (``local_values``) that differs reaches the claims of the
  document and kind it fills;
* an enactment of a changed document reaches every unit registered before it;
* one finer reach, for the one change the deciders let us prove narrower: two versions
  of a 2022-kind deferral that differ only in what it grants (deadline, late fees from,
  parts, triggers) decide alike whether to grant on every fact but those dated after the
  record's deadline and by a later one of the reform's; so they reach the units a
  decision names the document for (from that decision's fact) and such facts, and their
  enactment only if dated there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from eventsourcing.application import EventSourcedLog

from ledger.catalogue.claims import Claim, claims_of
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.period import Period, PeriodRange
from ledger.domain.policy import Policy
from ledger.domain.region import POLICIES_LOG_ID, PolicyIndexed, policy_id
from ledger.domain.unit import Unit
from ledger.usecases.base import LedgerBase

_ONE_DAY = timedelta(days=1)
_PERIOD = re.compile(r"^\d{4}-\d{2}$")
_RANGE = re.compile(r"^\d{4}-\d{2}\.\.\d{4}-\d{2}$")
#: event attributes that name no business day or period (``lines``: resident ids and
#: amounts, the bulk of an assessment)
_NOT_DAYS = frozenset({"timestamp", "originator_id", "originator_version", "lines"})


@dataclass(frozen=True, slots=True)
class Span:
    """Where and when a changed document may decide differently: a region prefix and the
    days from ``start`` through ``end`` (None: no end)."""

    region: str
    start: date
    end: date | None

    def meets(self, first: date, last: date) -> bool:
        return last >= self.start and (self.end is None or first <= self.end)


@dataclass(frozen=True, slots=True)
class Cites:
    """A changed document that reaches, in a region, only the units it decided on (a
    decision event naming it) besides its spans."""

    region: str
    document: str


@dataclass(frozen=True, slots=True)
class Scope:
    """The documents that differ (id -> why), the spans of their claims, the documents
    that reach only where they decided (``cites``) and those whose enactment reaches
    every unit registered before it (``enacting``); ``full``: everything is in scope
    (``--full``)."""

    changed: dict[str, str]
    spans: tuple[Span, ...]
    full: bool = False
    cites: tuple[Cites, ...] = ()
    enacting: frozenset[str] = frozenset()

    @classmethod
    def everything(cls) -> Scope:
        return cls({}, (), True)

    def of_region(self, code: str) -> tuple[Span, ...]:
        """The spans reaching a region (none, and no document cited there: its units are
        carried over whole)."""
        return tuple(s for s in self.spans if code.startswith(s.region))

    def cited_in(self, code: str) -> frozenset[str]:
        return frozenset(c.document for c in self.cites if code.startswith(c.region))


def compare(ledger: LedgerBase, reform: PolicySet, known_at: datetime | None) -> Scope:
    """The record's documents (as known at ``known_at``) against the reform's, one by one."""
    recorded = _recorded_files(ledger, known_at)
    changed: dict[str, str] = {}
    for doc_id in sorted(recorded.keys() | reform.files.keys()):
        files, amended = recorded.get(doc_id, ([], False))
        mine = reform.files.get(doc_id)
        if mine is None:
            changed[doc_id] = "not in the policy set"
        elif not files:
            changed[doc_id] = "new to the record"
        elif amended:
            changed[doc_id] = "amended or revoked in the record"
        elif files[-1] != mine:
            changed[doc_id] = "content differs"
    everyone = _all_claims(recorded, reform)
    spans: list[Span] = []
    cites: list[Cites] = []
    enacting = set(changed)
    for doc_id, why in changed.items():
        files, _ = recorded.get(doc_id, ([], False))
        if why != "content differs":
            sides = [*files] + ([reform.files[doc_id]] if doc_id in reform.files else [])
            spans += [s for f in sides for s in _spans_of(f)]
            continue
        old, new = files[-1], reform.files[doc_id]
        claims = _claims_changed(old, new, everyone)
        deadlines = _consequences_only(old, new, claims)
        if deadlines is None:
            spans += [_span(c) for c in claims]
            continue
        first, last = deadlines  # no days at all where the deadline is not later
        for region in {c.region for c in claims}:
            cites.append(Cites(region, doc_id))
            if first <= last:
                spans.append(Span(region, first, last))
        if not first <= new.document.enacted_on <= last:
            enacting.discard(doc_id)
    spans += _local_value_spans(recorded, reform)
    return Scope(
        changed,
        tuple(dict.fromkeys(spans)),
        cites=tuple(dict.fromkeys(cites)),
        enacting=frozenset(enacting),
    )


#: fields of a 2022-kind deferral rule read only once it has decided for a unit (what it
#: grants: ``automatic_deferral._consider_one`` after its checks, the triggers, the
#: splits), but for the deadline, which also bounds the days a fact is decided on
_CONSEQUENCES = frozenset({"source", "repayment_deadline", "late_fee_from", "parts", "triggers"})


def _consequences_only(
    old: CatalogueFile, new: CatalogueFile, claims: list[Claim]
) -> tuple[date, date] | None:
    """Where the record's version ``old`` and the reform's ``new`` differ only in what a
    deferral grants and in its deadline: the days after the record's deadline through the
    reform's (none, first after last, if the reform's is not later). A unit the record's
    version never decided on (no decision names the document) ended each of its checks
    undecided; the reform's version runs the same checks on the same values but the
    deadline, which bounds the days a fact is decided on: a fact dated where both decide,
    or where only the record's does, ends undecided again; only a fact dated after the
    record's deadline and by the reform's is new ground. None: not so (anything else
    differs, or a deadline is the locality's)."""
    a, b = old.automatic_deferral, new.automatic_deferral
    if a is None or b is None or any(c.kind != "automatic_deferral" for c in claims):
        return None
    if not _alike_documents(old, new):
        return None  # its issue, enactment, regions or supersedes changed too
    differ = {name for name in type(a).model_fields if getattr(a, name) != getattr(b, name)}
    if not differ <= _CONSEQUENCES:
        return None
    theirs, mine = a.repayment_deadline, b.repayment_deadline
    if not isinstance(theirs, date) or not isinstance(mine, date):
        return None
    return (theirs + _ONE_DAY, mine)


#: document fields that only describe it (its citations, its provenance): a new version
#: that changes only these and some rules reaches only where those rules claim
_DESCRIPTIVE = frozenset({"version", "title", "seed", "forwards", "forwarded_by"})


def _claims_changed(old: CatalogueFile, new: CatalogueFile, everyone: list[Claim]) -> list[Claim]:
    """The claims of two versions of a document that differ: all of both where the
    documents differ in what decides (dates, regions, what they supersede), else those
    only one version has (kind, rule, region and days alike: the same rule resolves), and
    those both have that another document contests (resolution would break the tie)."""
    if not _alike_documents(old, new):
        return [*_keyed(old).values(), *_keyed(new).values()]
    mine, theirs = _keyed(old), _keyed(new)
    found = [mine[k] for k in mine.keys() - theirs.keys()]
    found += [theirs[k] for k in theirs.keys() - mine.keys()]
    found += [theirs[k] for k in theirs.keys() & mine.keys() if _contested(theirs[k], everyone)]
    return found


def _alike_documents(old: CatalogueFile, new: CatalogueFile) -> bool:
    """Whether two versions' documents differ in descriptive fields only."""
    exclude = set(_DESCRIPTIVE)
    return old.document.model_dump(exclude=exclude) == new.document.model_dump(exclude=exclude)


def _keyed(file: CatalogueFile) -> dict[tuple[Any, ...], Claim]:
    return {
        (c.kind, c.rule, c.region, c.start, c.end): c
        for claims in claims_of([file]).values()
        for c in claims
    }


def _contested(claim: Claim, everyone: list[Claim]) -> bool:
    """Whether another document claims the same kind, region and days (an overlap a set
    loaded today refuses, but a record enacted before overlaps were refused may hold)."""
    return any(
        c.kind == claim.kind
        and c.region == claim.region
        and c.document.id != claim.document.id
        and (c.start == claim.start if claim.series else claim.overlaps(c))
        for c in everyone
    )


def _all_claims(
    recorded: dict[str, tuple[list[CatalogueFile], bool]], reform: PolicySet
) -> list[Claim]:
    files = [f for fs, _ in recorded.values() for f in fs] + list(reform.files.values())
    return [c for claims in claims_of(files).values() for c in claims]


def _recorded_files(
    ledger: LedgerBase, known_at: datetime | None
) -> dict[str, tuple[list[CatalogueFile], bool]]:
    """Each recorded document: its contents version by version, and whether it was amended
    or revoked by ``known_at``."""
    log = EventSourcedLog(ledger.events, POLICIES_LOG_ID, PolicyIndexed)
    found: dict[str, tuple[list[CatalogueFile], bool]] = {}
    for doc_id in dict.fromkeys(e.document_id for e in log.get()):
        events: list[Any] = [
            e
            for e in cast(Iterable[Any], ledger.events.get(policy_id(doc_id)))
            if known_at is None or e.timestamp <= known_at
        ]
        if not events:
            continue
        contents = [
            CatalogueFile.model_validate(e.content)
            for e in events
            if isinstance(e, Policy.Enacted | Policy.Amended)
        ]
        found[doc_id] = (contents, len(events) > 1)
    return found


def _spans_of(file: CatalogueFile) -> list[Span]:
    return [_span(c) for claims in claims_of([file]).values() for c in claims]


def _span(claim: Claim) -> Span:
    doc = claim.document
    if claim.kind == "late_fee":
        return Span(claim.region, date.min, None)
    if claim.kind == "working_calendar":
        return Span(claim.region, (Period.of(claim.start) - 2).first_day, None)
    if claim.series:
        return Span(claim.region, claim.start, None)
    return Span(claim.region, min(claim.start, doc.issued_on, doc.enacted_on), None)


def _local_value_spans(
    recorded: dict[str, tuple[list[CatalogueFile], bool]], reform: PolicySet
) -> list[Span]:
    """A value left to the locality that only one side has: the claims it fills."""
    mine = {lv for f in reform.files.values() for lv in f.local_values}
    theirs = {lv for files, _ in recorded.values() if files for lv in files[-1].local_values}
    spans: list[Span] = []
    for lv in mine ^ theirs:
        for files in (
            [reform.files[lv.document]] if lv.document in reform.files else [],
            recorded.get(lv.document, ([], False))[0],
        ):
            for f in files:
                spans += [_span(c) for c in claims_of([f]).get(lv.rule, [])]
    return spans


# ------------------------------------------------------------------ a unit's events


def days_named(event: Any) -> list[tuple[date, date]]:
    """The business days and periods an event names (first and last day of each), found
    in its attributes whatever its type: a new kind of event is covered without a list
    here to keep up to date."""
    found: list[tuple[date, date]] = []
    for name, value in vars(event).items():
        if name not in _NOT_DAYS:
            _collect(value, found)
    return found


def _collect(value: Any, found: list[tuple[date, date]]) -> None:
    if isinstance(value, datetime):
        return  # an instant of recording, not a business day
    if isinstance(value, date):
        found.append((value, value))
    elif isinstance(value, str):
        # By length first: most strings (ids, amounts, names, citations) are neither.
        if len(value) in (7, 16):
            days = _days_of_text(value)
            if days is not None:
                found.append(days)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)


@functools.lru_cache(maxsize=4096)
def _days_of_text(value: str) -> tuple[date, date] | None:
    """The first and last day of a period ("2022-07") or a range ("2022-07..2022-09")."""
    if _PERIOD.match(value):
        p = Period.parse(value)
        return (p.first_day, p.last_day)
    if _RANGE.match(value):
        r = PeriodRange.parse(value)
        return (r.start.first_day, r.end.last_day)
    return None


def touches(event: Any, spans: Sequence[Span]) -> bool:
    if not spans:
        return False
    return any(s.meets(first, last) for first, last in days_named(event) for s in spans)


def first_reached(
    events: Iterable[Any], spans: Sequence[Span], cited: frozenset[str] = frozenset()
) -> int | None:
    """The index of the first event naming a day or period a span covers, or a decision
    naming a document of ``cited`` (None: none does)."""
    if not spans and not cited:
        return None
    for n, event in enumerate(events):
        if cited and isinstance(event, Unit.Decision) and event.document in cited:
            return n
        if touches(event, spans):
            return n
    return None
