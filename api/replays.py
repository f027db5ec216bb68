"""Replay jobs: what-if replays started over HTTP, run in the background.

A replay reads the whole history of a region and can take minutes, longer than an HTTP
request should wait: ``POST /replays`` answers 202 with the job at once, a worker thread
runs it (one at a time: a replay uses a core fully), and ``GET /replays/{id}`` follows
its progress until the result can be fetched in any of the report's formats.

A job's fields are written by its one worker thread and read by requests; the report
(or the error) is set before the state says "done" (or "failed"), so a request that
reads the state once (``ReplayJob.seen``) and then the report sees the report. Reading
the state twice may see two states: a page that took "running" for its report and
"done" for its heading said done, showed no results and stopped refreshing itself.
Jobs live in the server's memory: a restart forgets them (start the replay again; it
reads only, so nothing is lost), and with ``ledger serve --workers N`` a job is known to
the process that started it only. Finished jobs are kept for ``KEEP`` seconds.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import LedgerError, NotFound, Unavailable
from ledger.logs import get_logger
from ledger.replay import ReplayReport, render, run_replay

#: seconds a finished job (and its report) is kept
KEEP = 24 * 3600
#: replays queued or running at most: more answer 503 (a replay takes a core for minutes)
MAX_PENDING = 4


@dataclass
class ReplayJob:
    id: UUID
    owner: UUID  # the token that started it
    key: str
    fingerprint: str
    region: str | None
    as_of: date
    known_at: datetime | None
    policy_set: str
    full: bool = False
    created_at: float = field(default_factory=time.time)
    state: str = "queued"  # queued | running | done | failed
    units_done: int = 0
    units_total: int = 0
    units_replayed: int = 0
    error: str = ""
    finished_at: float | None = None
    report: ReplayReport | None = None
    _rendered: dict[str, bytes] = field(default_factory=dict)

    def seen(self) -> tuple[str, ReplayReport | None]:
        """The state, read once, and the report if that state is "done" (the worker
        sets the report first)."""
        state = self.state
        return state, self.report if state == "done" else None

    def rendered(self, fmt: str) -> bytes:
        assert self.report is not None
        if fmt not in self._rendered:
            self._rendered[fmt] = render(self.report, fmt)
        return self._rendered[fmt]


class ReplayJobs:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._jobs: dict[UUID, ReplayJob] = {}
        self._by_key: dict[tuple[UUID, str], UUID] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="replay")

    def start(self, job: ReplayJob, policy_set: PolicySet) -> tuple[ReplayJob, bool]:
        """Queues ``job``; the same token and key again gives the job already started
        (``False``: not new)."""
        with self._lock:
            self._forget_old()
            known = self._by_key.get((job.owner, job.key))
            if known is not None and known in self._jobs:
                return self._jobs[known], False
            pending = sum(1 for j in self._jobs.values() if j.state in ("queued", "running"))
            if pending >= MAX_PENDING:
                raise Unavailable(
                    f"{pending} replays are queued or running; start this one when they end"
                )
            self._jobs[job.id] = job
            self._by_key[(job.owner, job.key)] = job.id
        self._pool.submit(self._run, job, policy_set)
        return job, True

    def get(self, job_id: UUID) -> ReplayJob:
        with self._lock:
            found = self._jobs.get(job_id)
        if found is None:
            raise NotFound(f"no replay {job_id} on this server", field="replay_id")
        return found

    def listed(self) -> list[ReplayJob]:
        """The jobs this process knows, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def _run(self, job: ReplayJob, policy_set: PolicySet) -> None:
        job.state = "running"
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if self._closing.is_set():
                raise _Stopped
            job.units_done, job.units_total = done, total

        def counted(compared: int, replayed: int) -> None:
            job.units_replayed = replayed

        try:
            job.report = run_replay(
                self.ledger,
                policy_set,
                region=job.region,
                as_of=job.as_of,
                known_at=job.known_at,
                progress=progress,
                full=job.full,
                counted=counted,
            )
            job.state = "done"
        except _Stopped:
            job.error = "the server stopped; start the replay again"
            job.state = "failed"
        except LedgerError as exc:
            job.error = exc.message
            job.state = "failed"
        except Exception as exc:  # a bug or a lost store: the job says so, the server lives
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"
            get_logger().exception("replay_failed", replay=str(job.id))
        job.finished_at = time.time()
        get_logger().info(
            "replay",
            replay=str(job.id),
            state=job.state,
            units=job.units_total,
            replayed=job.units_replayed,
            full=job.full,
            seconds=round(time.perf_counter() - started, 3),
        )

    def _forget_old(self) -> None:
        now = time.time()
        for job_id, job in list(self._jobs.items()):
            if job.finished_at is not None and now - job.finished_at > KEEP:
                del self._jobs[job_id]
                self._by_key.pop((job.owner, job.key), None)

    def close(self) -> None:
        """Stops a running replay at its next unit (before the ledger under it closes)."""
        self._closing.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Stopped(Exception):
    """The server is stopping: the replay in progress ends."""


def new_job(**fields: Any) -> ReplayJob:
    return ReplayJob(id=uuid.uuid4(), **fields)
