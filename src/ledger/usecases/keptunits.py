"""Units kept folded between commands: a command takes its unit out, and the saver puts
it back once the command's events are committed.

Folding a unit's history (selecting its events, decoding their JSON, applying them)
took about 1.1 ms of CPU a payment, a quarter of a payment's server time in the API
(issue 11.2). A unit kept here is the very object a command committed, so it stands
for its events up to its version exactly; before it is used again, the events recorded
since (by another process, a ``ledger serve`` worker or ``ledger import``) are selected
and folded onto it: one indexed query, usually answering nothing.

Why it is safe without copying a unit (a deep copy cost more than folding again):

- a unit is *taken out* while a command uses it, so no two commands share one; a second
  command on the same unit meanwhile folds its own from the store;
- it is put back only after the transaction holding the command's events committed; a
  command refused, failed, or having lost a race (decided again on a unit folded
  afresh) never puts its unit back, whatever it applied to it;
- a unit put back with pending events, or older than the one already kept, is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

__all__ = ["UNITS_KEPT", "KeptUnits"]

#: the default bound (``LEDGER_UNITS_KEPT``): about 115 MB of units of 12 months
UNITS_KEPT = 1_000


class KeptUnits:
    """At most ``size`` units, the least recently committed forgotten first."""

    def __init__(self, size: int = UNITS_KEPT) -> None:
        self._size = max(0, size)
        self._units: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.taken = self.missed = 0

    def take(self, unit_id: UUID) -> Any | None:
        """The unit as of its last command here, now the caller's alone; None if none."""
        with self._lock:
            unit = self._units.pop(unit_id, None)
            if unit is None:
                self.missed += 1
            else:
                self.taken += 1
            return unit

    def version(self, unit_id: UUID) -> int | None:
        """The version of the unit kept, if one is (it may be taken before it is used)."""
        unit = self._units.get(unit_id)
        return None if unit is None else int(unit.version)

    def keep(self, unit: Any) -> None:
        """Keeps a unit whose every event is committed (called after the commit)."""
        if self._size == 0 or unit.pending_events:
            return
        with self._lock:
            kept = self._units.get(unit.id)
            if kept is not None and kept.version > unit.version:
                return
            self._units[unit.id] = unit
            self._units.move_to_end(unit.id)
            while len(self._units) > self._size:
                self._units.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._units.clear()

    def __len__(self) -> int:
        return len(self._units)
