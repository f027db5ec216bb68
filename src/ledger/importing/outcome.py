"""What an import reports: rejected lines, per-unit outcomes, and the summary."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ledger.importing.csvfile import UnitRecords, shorten


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that was not imported, and why. Its whole unit was not written."""

    line: int
    uscc: str
    reason: str

    def __post_init__(self) -> None:
        # The USCC as written and the reason quoting a field: both come from the file.
        object.__setattr__(self, "uscc", shorten(self.uscc))
        object.__setattr__(self, "reason", shorten(self.reason))

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class Status(StrEnum):
    written = "written"
    unchanged = "unchanged"
    rejected = "rejected"


@dataclass(slots=True)
class UnitOutcome:
    """What became of one unit's rows: written, unchanged (already recorded) or rejected."""

    status: Status
    lines: int
    rejections: list[Rejection] = field(default_factory=list)
    #: aggregates and records to save when written
    saved: list[Any] = field(default_factory=list)
    #: person-lines whose declared base was under the floor, or over the ceiling, in force
    raised: int = 0
    lowered: int = 0


def rejected(group: UnitRecords, line: int, reason: str) -> UnitOutcome:
    return UnitOutcome(Status.rejected, group.count, [Rejection(line, group.uscc, reason)])


def unit_rejected(group: UnitRecords, reason: str) -> UnitOutcome:
    """A reason that concerns the whole unit: reported once, on its first line."""
    return rejected(group, group.first_line, f"{reason} ({group.lines} not imported)")


@dataclass(slots=True)
class Timings:
    """Seconds spent per phase, elapsed and on the CPU: where an import's time goes.

    With more processes than cores the elapsed time of a phase includes waiting for
    a core; its CPU time does not (and leaves out waiting for the database).
    """

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start, time.process_time() - start_cpu)

    def add(self, name: str, seconds: float, cpu: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def merge(self, other: Timings) -> None:
        for name, seconds in other.seconds.items():
            self.add(name, seconds, other.cpu.get(name, 0.0))


@dataclass(slots=True)
class ImportSummary:
    """Counts of an import; ``lines`` are CSV data records (person-lines or payment rows)."""

    file: str
    kind: str
    units_written: int = 0
    units_unchanged: int = 0
    units_rejected: int = 0
    lines_written: int = 0
    lines_unchanged: int = 0
    lines_rejected: int = 0
    events: int = 0
    #: person-lines assessed at the floor (declared under it) or the ceiling (over it)
    bases_raised: int = 0
    bases_lowered: int = 0
    elapsed: float = 0.0
    #: processes that checked, recorded and saved the batches
    workers: int = 1
    rejections: list[Rejection] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)

    @property
    def lines(self) -> int:
        return self.lines_written + self.lines_unchanged + self.lines_rejected

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.units_rejected == 0

    def count(self, outcome: UnitOutcome) -> None:
        if outcome.status is Status.written:
            self.units_written += 1
            self.lines_written += outcome.lines
            self.bases_raised += outcome.raised
            self.bases_lowered += outcome.lowered
        elif outcome.status is Status.unchanged:
            self.units_unchanged += 1
            self.lines_unchanged += outcome.lines
        else:
            self.units_rejected += 1
            self.lines_rejected += outcome.lines
            self.rejections.extend(outcome.rejections)

    def merge(self, part: ImportSummary) -> None:
        """Adds the counts of one batch."""
        self.units_written += part.units_written
        self.units_unchanged += part.units_unchanged
        self.units_rejected += part.units_rejected
        self.lines_written += part.lines_written
        self.lines_unchanged += part.lines_unchanged
        self.lines_rejected += part.lines_rejected
        self.events += part.events
        self.bases_raised += part.bases_raised
        self.bases_lowered += part.bases_lowered
        self.rejections.extend(part.rejections)
        self.timings.merge(part.timings)

    def as_log(self) -> dict[str, Any]:
        """The counts for the one log event per import (no rejection details: they hold IDs)."""
        return {
            "file": self.file,
            "units_written": self.units_written,
            "units_unchanged": self.units_unchanged,
            "units_rejected": self.units_rejected,
            "lines": self.lines,
            "lines_written": self.lines_written,
            "lines_rejected": self.lines_rejected,
            "events": self.events,
            "bases_raised": self.bases_raised,
            "bases_lowered": self.bases_lowered,
            "elapsed_s": round(self.elapsed, 3),
            "workers": self.workers,
            "lines_per_s": round(self.lines_per_second),
        }
