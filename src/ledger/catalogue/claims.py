"""Which document rules on what, where and when: the one resolution of the catalogue.

Every rule of every enacted document becomes a **claim**: a kind of rule (``rates``,
``reduction``, ``working_calendar`` …), a region prefix (``""`` national, ``"15"`` Inner
Mongolia, ``"1504"`` Chifeng) and the days it is in force for. Two shapes of claim:

* a **measure** names its own periods (a reduction of 2020-02..04, a deferral window, a
  year's calendar): it is in force for exactly those;
* a **series** entry is in force from its ``since`` on, and the latest entry of the same
  kind and region begun by a day rules on it, in whatever document (rates, due dates, base
  limits, fixed amounts, the personal-account allocation, the late-fee rate): openfisca's
  date-keyed parameters.

A revoked document is in force until its revocation: its claims end there (for periods,
with the last period begun before it), and where a series entry ends so, the entry before
it rules again.

:func:`resolve` answers "which rule of this kind applies to this region on this day" for
every kind alike: among the claims in force that day, the most specific region wins, then
(for a series) the latest begun, then the document that says it supersedes the others. Two
documents of one kind claiming the same region and days without one superseding the other
are refused before enactment (:func:`conflicts`), so resolution never has to guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from ledger.catalogue.model import CatalogueFile, Document, Rule, SeriesRule
from ledger.domain.period import Period, PeriodRange

#: kinds whose entries run from ``since`` until the next entry of the same region
SERIES = ("rates", "due_dates", "personal_account", "base_limits", "fixed_amounts")
#: kinds whose rules name the periods (or the year) they are in force for
MEASURES = (
    "reduction",
    "automatic_deferral",
    "application_deferral",
    "commitment",
    "working_calendar",
)
#: every kind a catalogue file can hold, in the order files list them
KINDS = (*SERIES, "late_fee", *MEASURES)

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Claim:
    """One rule of one document, in force for ``region`` (a prefix) from ``start`` through
    ``end`` (None: open, until a later entry of the series takes over)."""

    kind: str
    document: Document
    rule: Rule
    region: str
    start: date
    end: date | None
    series: bool

    def covers(self, region: str, day: date) -> bool:
        return (
            region.startswith(self.region)
            and self.start <= day
            and (self.end is None or day <= self.end)
        )

    def overlaps(self, other: Claim) -> bool:
        return (self.end is None or other.start <= self.end) and (
            other.end is None or self.start <= other.end
        )

    @property
    def span(self) -> str:
        """The days claimed, as a reader names them (periods where the rule has periods)."""
        end = "" if self.end is None else self.end.isoformat()
        return f"{self.start.isoformat()}..{end}"

    def supersedes(self, other: Claim) -> bool:
        return other.document.id in self.document.supersedes


def _series_key(kind: str, rule: Rule) -> str:
    """Series that run side by side: a fixed amount per part, everything else one a kind."""
    part = getattr(rule, "part", None)
    return f"{kind}.{part}" if part is not None else kind


def claims_of(
    files: Iterable[CatalogueFile], revoked: Mapping[str, date] | None = None
) -> dict[str, list[Claim]]:
    """Every claim of the files, by kind (a fixed amount's kind names its part:
    ``fixed_amounts.individual``); a revoked document's claims end at its revocation."""
    found: dict[str, list[Claim]] = defaultdict(list)
    for f in files:
        for kind, rule, regions, start, end in _rules_of(f):
            key = _series_key(kind, rule)
            series = kind in (*SERIES, "late_fee")
            for region in regions:
                claim = Claim(key, f.document, rule, region, start, end, series)
                ends = (revoked or {}).get(f.document.id)
                kept = claim if ends is None else _until_revoked(claim, ends)
                if kept is not None:
                    found[key].append(kept)
    return dict(found)


def _until_revoked(claim: Claim, revoked_on: date) -> Claim | None:
    """What a revocation leaves of a claim: the days before it (for a rule on periods,
    the periods begun before it: a period already begun keeps its rule)."""
    cut = revoked_on
    if claim.kind not in ("late_fee", "working_calendar"):
        cut = Period.first_from(revoked_on).first_day
    if claim.start >= cut:
        return None
    last = cut - _DAY
    return replace(claim, end=last if claim.end is None else min(claim.end, last))


def _rules_of(
    f: CatalogueFile,
) -> Iterator[tuple[str, Rule, tuple[str, ...], date, date | None]]:
    for kind in SERIES:
        entry: SeriesRule
        for entry in getattr(f, kind):
            yield kind, entry, (entry.region,), entry.since.first_day, None
    if f.late_fee is not None:
        yield "late_fee", f.late_fee, f.document.regions, f.late_fee.since, None
    for kind in MEASURES[:-1]:
        rule = getattr(f, kind)
        if rule is not None:
            scope: PeriodRange = rule.scope
            yield kind, rule, f.document.regions, scope.start.first_day, scope.end.last_day
    calendar = f.working_calendar
    if calendar is not None:
        first, last = date(calendar.year, 1, 1), date(calendar.year, 12, 31)
        yield "working_calendar", calendar, f.document.regions, first, last


def resolve(claims: Sequence[Claim], region: str, day: date) -> Claim | None:
    """The claim that rules on ``region`` on ``day``: the most specific region in force,
    for a series the entry begun latest, then the one that supersedes the others (then,
    for a record enacted before overlaps were refused, the latest enacted, so the answer
    is at least stable)."""
    found = [c for c in claims if c.covers(region, day)]
    if not found:
        return None
    top = max(len(c.region) for c in found)
    found = [c for c in found if len(c.region) == top]
    if found[0].series:
        latest = max(c.start for c in found)
        found = [c for c in found if c.start == latest]
    if len(found) > 1:
        standing = [c for c in found if not any(o.supersedes(c) for o in found if o is not c)]
        found = standing or found
    return max(found, key=lambda c: (c.document.enacted_on, c.document.version, c.document.id))


def conflicts(claims: dict[str, list[Claim]], new: set[str] | None = None) -> list[str]:
    """Pairs of documents that claim the same kind, region and days, neither superseding
    the other: what an enactment refuses. With ``new``, only pairs involving one of those
    document ids (the record's own pairs were checked when they were enacted)."""
    found: list[str] = []
    for kind, of_kind in claims.items():
        for n, a in enumerate(of_kind):
            for b in of_kind[n + 1 :]:
                if new is not None and not ({a.document.id, b.document.id} & new):
                    continue
                if a.region != b.region or not _clash(a, b):
                    continue
                if a.supersedes(b) or b.supersedes(a):
                    continue
                found.append(_describe(kind, a, b))
    return found


def _clash(a: Claim, b: Claim) -> bool:
    if a.series:
        # Entries of a series clash when they start on the same day (two rates for one
        # region from the same month), in one document or in two.
        return a.start == b.start
    # A measure is one per document (its versions replace each other): two clash when
    # their periods meet.
    return a.document.id != b.document.id and a.overlaps(b)


def _describe(kind: str, a: Claim, b: Claim) -> str:
    where = f"region {a.region!r}" if a.region else "the whole country"
    if a.document.id == b.document.id:
        return (
            f"{a.document.id} ({a.document.number}) lists {kind} for {where} from "
            f"{a.start.isoformat()} twice"
        )
    days = a.start.isoformat() if a.start == b.start else f"{a.span} and {b.span}"
    return (
        f"{a.document.id} ({a.document.number}) and {b.document.id} ({b.document.number}) "
        f"both rule on {kind} for {where} ({days}); the newer one must name the other in "
        "document.supersedes, or be a new version of it"
    )
