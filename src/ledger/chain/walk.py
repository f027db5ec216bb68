"""Checking a chain: a pure fold over the stored rows in notification order.

Each row pairs an event row with its link row by notification id; either side
may be missing (a deleted event, an event written around the chain). The walk
recomputes every link from the previous verified one and compares it with the
stored link; the first mismatch of a chain is that chain's *break* (what follows
a break is not checked: every later link would differ too). At the end each
chain's recomputed end is compared with its stored head, and with any anchored
head (a head published elsewhere earlier: the chain must pass through it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple
from uuid import UUID

from ledger.chain.links import Head, Record, genesis, link

__all__ = ["Break", "Report", "Row", "walk"]


class Row(NamedTuple):
    """One notification id: its link (``chain``, ``link``) and its event, either absent."""

    notification_id: int
    chain: str | None
    link: bytes | None
    originator_id: UUID | str | None
    originator_version: int | None
    topic: str | None
    state: bytes | memoryview | str | None


@dataclass(frozen=True)
class Break:
    """The first link of a chain that does not hold, in words and figures."""

    chain: str
    notification_id: int
    originator_id: str
    originator_version: int | None
    problem: str
    expected: str = ""
    found: str = ""

    def describe(self) -> str:
        where = f"chain {self.chain}, notification {self.notification_id}"
        if self.originator_id:
            where += f", originator {self.originator_id} version {self.originator_version}"
        figures = f" (expected {self.expected}, found {self.found})" if self.expected else ""
        return f"{where}: {self.problem}{figures}"


@dataclass
class _Chain:
    name: str
    hash: bytes
    length: int = 0
    last: int = 0
    broken: bool = False


@dataclass
class Report:
    """What a walk found: links verified per chain, and the breaks (none when intact)."""

    verified: dict[str, int] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)
    unchained: int = 0

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def total(self) -> int:
        return sum(self.verified.values())


def walk(
    rows: Iterable[Row],
    heads: Mapping[str, Head],
    anchors: Mapping[str, Head] | None = None,
    only: str | None = None,
) -> Report:
    """Verifies ``rows`` (ascending notification ids) against the stored ``heads`` and
    the ``anchors``; ``only`` restricts the check to one chain (rows of others ignored)."""
    anchors = dict(anchors or {})
    chains: dict[str, _Chain] = {}
    report = Report()
    for row in rows:
        if row.chain is None:
            report.unchained += 1
            if report.unchained == 1 and only is None:
                report.breaks.append(
                    _break(row, "?", "an event without a link: written around the chain")
                )
            continue
        if only is not None and row.chain != only:
            continue
        state = chains.get(row.chain)
        if state is None:
            state = chains[row.chain] = _Chain(row.chain, genesis(row.chain))
        if state.broken:
            continue
        problem = _check(state, row)
        if problem is not None:
            state.broken = True
            report.breaks.append(problem)
            continue
        anchor = anchors.get(row.chain)
        if anchor is not None and anchor.length == state.length and anchor.hash != state.hash:
            state.broken = True
            report.breaks.append(
                _break(
                    row,
                    row.chain,
                    f"history differs from the anchored head at length {anchor.length}",
                    anchor.hash.hex(),
                    state.hash.hex(),
                )
            )
    names = set(chains) | set(heads) | set(anchors)
    for name in sorted(names if only is None else names & {only}):
        state = chains.get(name) or _Chain(name, genesis(name))
        report.verified[name] = state.length
        if not state.broken:
            report.breaks += _ends(state, heads.get(name), anchors.get(name))
    return report


def _check(state: _Chain, row: Row) -> Break | None:
    """Appends ``row`` to the chain if its link holds, else says why not."""
    if row.originator_id is None or row.originator_version is None:
        return _break(row, state.name, "the event of this link is no longer stored")
    if not isinstance(row.state, bytes | memoryview):
        # SQLite keeps whatever type is written: a state rewritten as text (or NULL) is
        # an edit even if its characters are the same.
        return _break(row, state.name, "the stored state is not bytes: it was rewritten")
    record = Record(row.originator_id, row.originator_version, row.topic or "", bytes(row.state))
    found = link(state.hash, record)
    recorded = bytes(row.link or b"")
    if found != recorded:
        return _break(
            row,
            state.name,
            "the stored event, or one before it in its chain, is not what was recorded",
            recorded.hex(),
            found.hex(),
        )
    state.hash, state.length, state.last = found, state.length + 1, row.notification_id
    return None


def _ends(state: _Chain, head: Head | None, anchor: Head | None) -> list[Break]:
    found = []
    if head is None:
        if state.length:
            found.append(_end(state, "links without a stored head", "no head", state.hash.hex()))
    elif (head.length, head.notification_id, head.hash) != (state.length, state.last, state.hash):
        found.append(
            _end(
                state,
                "the chain does not end at its stored head (links removed or added at the end)",
                f"{head.length} links to {head.notification_id} ({head.hash.hex()})",
                f"{state.length} links to {state.last} ({state.hash.hex()})",
            )
        )
    if anchor is not None and state.length < anchor.length:
        found.append(
            _end(
                state,
                "the chain is shorter than its anchored head",
                f"{anchor.length} links ({anchor.hash.hex()})",
                f"{state.length} links",
            )
        )
    return found


def _end(state: _Chain, problem: str, expected: str, found: str) -> Break:
    return Break(state.name, state.last, "", None, problem, expected, found)


def _break(row: Row, chain: str, problem: str, expected: str = "", found: str = "") -> Break:
    oid = row.originator_id
    return Break(
        chain,
        row.notification_id,
        str(oid) if oid is not None else "",
        row.originator_version,
        problem,
        expected,
        found,
    )
