"""The API's views: brought up to date with the event store before each read.

A case worker who posts a payment and then asks for the balance must see the
payment, so a read first applies what was recorded since the views' position
(``catch_up``: two small queries when nothing is new). One catch-up runs at a time
in the process; the views' tracking position refuses a page written twice by two
processes (``PositionMoved``), so a ``ledger project --follow`` beside the server
is harmless: the read then uses the position the other runner reached.

A backlog longer than a page or two (a fresh server over a big history, an import
just landed, the views rebuilt by another process) is projected in a background
thread while reads answer 503 with Retry-After, rather than holding requests (and
the thread pool they share with the commands) for minutes. Between reads, a follower
thread (started by the server) catches up every half second, so that a burst of
commands does not leave the next read a backlog.

No read catches up on its own while the follower runs: a read that finds the views
behind what was recorded before it wakes the follower and waits for it (at most
``READ_WAIT`` seconds, then 503), so reads after a burst of commands share one catch-up
instead of queueing on the lock to do it in turn, and a read's thread never projects.
Without a follower (tests, a read side opened by hand) a read catches up itself.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder

from ledger.application import Ledger
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import Unavailable
from ledger.domain.token import Token
from ledger.logs import get_logger
from ledger.projections.postgres_store import PostgresViewStore, database_of
from ledger.projections.runner import catch_up
from ledger.projections.sql import PositionMoved, SqlViewStore, UnitRead
from ledger.projections.store import ViewStore

#: notifications a read may wait for; more are projected in the background
BACKLOG = 2_000
#: how often a read retries when another process's runner moves the position under it
MOVED_RETRIES = 3
#: seconds between the follower's catch-ups
FOLLOW_EVERY = 0.5
#: seconds a read waits for the follower to bring the views up to what it saw recorded
READ_WAIT = 5.0


@dataclass(frozen=True, slots=True)
class UnitNow:
    """``ReadSide.unit_now``: a unit's balance read as the ledger and its views stand."""

    #: the last notification recorded (the event store's head)
    head: int
    #: the token has no event after the version it was found active at (not revoked)
    token_active: bool
    #: the views' side: position, set aside, balance kept, last movement
    views: UnitRead

    @property
    def fresh(self) -> bool:
        """The views hold everything recorded before the read (as ``ReadSide.fresh``)."""
        return self.views.position >= self.head


class ReadSide:
    def __init__(self, ledger: Ledger, store: SqlViewStore, *, backlog: int = BACKLOG) -> None:
        self.ledger = ledger
        self.store = store
        self.backlog = backlog
        self._lock = threading.Lock()  # one catch-up at a time
        self._seen_lock = threading.Lock()
        self._background: threading.Thread | None = None
        self._follower: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # a read waits: the follower's turn comes now
        self._moved = threading.Condition()  # the follower finished a turn
        self._seen = 0  # the highest notification id a fresh() has seen (never goes back)
        #: why the follower's last turn failed (None: it did not): a read waiting for it
        #: answers 503 at once instead of holding a thread the commands share
        self._follow_error: str | None = None
        self._policies: tuple[int, PolicySet] | None = None
        #: the event store's head and a token's newer events as subqueries of the views'
        #: query, when the events are in the same PostgreSQL database (else None)
        self._beside = _events_beside(ledger, store)

    def policies(self, known_at: datetime | None = None) -> PolicySet:
        """The policies in force (as the ledger knew them at ``known_at``, if given), read
        again only once something new was recorded: an enactment is recorded like
        anything else. A cached set is used only if it was read after the newest
        notification any request has seen, so a read never misses an enactment its own
        ``fresh()`` saw."""
        if known_at is not None:
            return self.ledger.policies_known_at(known_at)
        at = self._seen
        cached = self._policies
        if cached is not None and cached[0] >= at:
            return cached[1]
        policies = self.ledger.policies()  # read after ``at`` was seen: holds it
        self._policies = (at, policies)
        return policies

    def fresh(self) -> ViewStore:
        """The views, holding everything recorded before this call (or 503)."""
        last = self.ledger.recorder.max_notification_id() or 0
        with self._seen_lock:
            self._seen = max(self._seen, last)
        # The stored position, not one remembered: another process may have rebuilt the
        # views (emptied them) since.
        if self.store.position() >= last:
            return self.store
        if self._follower is not None and self._follower.is_alive():
            return self._wait_for(last)
        with self._lock:
            if self._background is not None and self._background.is_alive():
                raise self._behind(last)
            for _ in range(MOVED_RETRIES):
                position = self.store.position()
                if position >= last:
                    return self.store
                if last - position > self.backlog:
                    self.start_background()
                    raise self._behind(last)
                try:
                    catch_up(self.ledger, self.store)
                except PositionMoved:
                    continue  # another process's runner wrote the page: read on from there
            if self.store.position() < last:
                raise Unavailable("the views are being written by another runner; retry shortly")
        return self.store

    def unit_now(self, unit_id: UUID, token: Token) -> UnitNow:
        """What a balance read of the unit needs to know before it answers from the
        balance kept, read without waiting or writing: the event store's head, whether
        ``token`` was revoked since it was kept, and the views' side (``unit_read``). On
        PostgreSQL, one statement (one snapshot), where ``fresh``, ``still_active``,
        ``find_unit`` and ``kept_balance`` make four round trips. The caller answers only
        if the views are fresh, the token active, the unit whole and its balance kept
        through its last movement; otherwise it takes the ordinary path."""
        if self._beside is not None:
            head_sql, token_sql = self._beside
            views = self.store.unit_read(
                unit_id, [(head_sql, []), (token_sql, [token.id, token.version])]
            )
            head, changed = views.beside
            head, active = int(head or 0), not changed
        else:
            active = self.ledger.still_active(token)
            head = self.ledger.recorder.max_notification_id() or 0
            views = self.store.unit_read(unit_id)
        with self._seen_lock:
            self._seen = max(self._seen, head)
        return UnitNow(head, active, views)

    def _wait_for(self, last: int) -> ViewStore:
        """The views once the follower brought them to ``last`` (503 past ``READ_WAIT``)."""
        deadline = time.monotonic() + READ_WAIT
        while True:
            position = self.store.position()
            if position >= last:
                return self.store
            if last - position > self.backlog or (
                self._background is not None and self._background.is_alive()
            ):
                self.start_background()
                raise self._behind(last)
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unavailable(
                    f"the views did not reach the ledger's last event within {READ_WAIT:.0f} s; "
                    "retry shortly"
                )
            with self._moved:
                self._wake.set()
                self._moved.wait(min(left, FOLLOW_EVERY))
            if (error := self._follow_error) is not None:
                raise Unavailable(f"the views cannot be brought up to date now ({error}); retry")

    def start_background(self) -> None:
        """Projects the backlog in a thread (at start-up, and when a read finds it long)."""
        if self._background is not None and self._background.is_alive():
            return
        self._background = threading.Thread(
            target=self._project, name="views-catch-up", daemon=True
        )
        self._background.start()

    def follow(self) -> None:
        """Starts the follower: a catch-up every ``FOLLOW_EVERY`` seconds until ``close``."""
        if self._follower is None:
            self._follower = threading.Thread(
                target=self._follow, name="views-follower", daemon=True
            )
            self._follower.start()

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FOLLOW_EVERY)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self._follow_once()
            finally:
                with self._moved:
                    self._moved.notify_all()

    def _follow_once(self) -> None:
        if self._background is not None and self._background.is_alive():
            return
        try:
            behind = (self.ledger.recorder.max_notification_id() or 0) - (self.store.position())
            if behind > self.backlog:
                self.start_background()  # never hold the reads' lock for minutes
            elif behind > 0:
                with self._lock:
                    catch_up(self.ledger, self.store)
        except PositionMoved:
            return  # another process's runner is at it
        except Exception as exc:  # a lost store: the next turn tries again
            self._follow_error = str(exc) or type(exc).__name__
            get_logger().warning("views_follow_failed", error=str(exc))
            return
        self._follow_error = None

    def _project(self) -> None:
        try:
            catch_up(self.ledger, self.store)
        except Exception as exc:  # the next read retries; the server must stay up
            get_logger().warning("views_catch_up_failed", error=str(exc))

    def _behind(self, last: int) -> Unavailable:
        behind = last - self.store.position()
        return Unavailable(
            f"the views are {behind} events behind the ledger and are being brought up "
            "to date; retry shortly"
        )

    def close(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in (self._follower, self._background):
            if thread is not None:
                thread.join(timeout)
        self.store.close()


def _events_beside(ledger: Ledger, store: SqlViewStore) -> tuple[str, str] | None:
    """The event store's statements for its head and for a token's events after a
    version, as subqueries the views' query can take: only if the events and the views
    are in the same PostgreSQL database (as ``ledger serve`` opens them)."""
    recorder = ledger.recorder
    if not (
        isinstance(store, PostgresViewStore)
        and isinstance(recorder, PostgresApplicationRecorder)
        and ledger.events.recorder is recorder
        and database_of(recorder.datastore.pool) == store.database()
    ):
        return None
    # ``?`` placeholders, as the views' queries write them
    head = recorder.max_notification_id_statement.as_string().replace("%s", "?")
    events = recorder.select_events_statement.as_string().replace("%s", "?")
    return head, f"SELECT EXISTS ({events} AND originator_version > ?)"
