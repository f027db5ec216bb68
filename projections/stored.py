"""The two events that make up nearly all of a history, mapped from their stored JSON.

The runner decodes an event with the ledger's mapper (``mapper.to_domain_event``:
the JSON parsed with an object hook called for every object, then an event object
made) only to read some of its strings back. For a ``PeriodAssessed`` or a
``PaymentCollected`` stored as the use cases store them, ``reader(mapper)`` gives a
function that parses the state as plain JSON and hands its values to the page's
shortcuts (``pages.assessment``, ``pages.payment``) directly: the same values the
decoded event would have given them, checked as the mapper would decode them (the
instant, the dates and the amounts parsed by the same functions), and the audit
entry's detail made as ``journal.audit_detail`` makes it, or left to the event
(``FROM_EVENT``) where the views' store reads the events (``SqlViewStore.events``):
the detail repeats the event, and building and storing it cost a rebuild a tenth of its
CPU.

Anything else answers False and writes nothing: another topic, a state with other or
more fields, another class version, a value of another type, a nested object (which
the mapper would decode and this would not), a mapper that encrypts or compresses, or
a transcoder with other names for its types. The runner then decodes the event and
takes the path it always took, which refuses, upcasts or sets aside as before.
``tests/unit/projections/test_stored_events.py`` compares both paths event by event,
byte for byte, on every event of the demo and of a synthetic history, and on odd
states.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    Notification,
    Transcoding,
)
from eventsourcing.utils import get_topic

from ledger.domain.unit import Unit
from ledger.projections.encoding import dumps
from ledger.projections.journal import AUDIT_TEXTS
from ledger.projections.pages import Assessed, Audit, Page, Paid, assessment, payment

Map = Callable[[Page, Notification], bool]
"""``add(page, notification)``: the event's rows added to the page (True), or nothing
added (False: the caller decodes the event and maps it as before)."""

#: a state's fields, in the order the use cases write them (the transcoder keeps the
#: event's field order; the detail of an audit entry is written in that order)
ASSESSED_FIELDS = (
    "timestamp",
    "actor",
    "reason",
    "request_id",
    "period",
    "lines",
    "totals",
    "due_date",
    "assessed_on",
    "rates",
    "limits",
    "limits_policy",
    "fixed",
    "fixed_policy",
    "class_version",
)
PAID_FIELDS = (
    "timestamp",
    "actor",
    "reason",
    "request_id",
    "paid_on",
    "amount",
    "allocations",
    "unallocated",
)
#: an audit entry's detail left to its event (JSON ``null``: the column holds JSON; the
#: views' store reads the event when the entry is read, ``sql.SqlViewStore.audit``)
FROM_EVENT = "null"
#: the largest stored state whose detail is left to it: a larger event keeps its detail,
#: since reading it back would cost a trail more than the detail costs a rebuild (a
#: 10,000-person assessment is 600 KB to decode for a detail of a few hundred bytes; the
#: benchmark's largest is 12.7 KB, its median 1.2 KB)
LEFT_UP_TO = 16_384
#: the audit texts these events do not have ("" in their audit entries)
_ABSENT = ("",) * (len(AUDIT_TEXTS) - 3)
#: the JSON scanner ``JSONDecoder.decode`` calls, without the two whitespace matches
#: around it (the transcoder writes none; a state with any goes the general path)
_first = itemgetter(0)
#: an instant's text as ``datetime.isoformat`` writes an aware one (whole-minute offset,
#: microseconds only when not 0, "+00:00" for UTC): once ``fromisoformat`` has read it,
#: it is what ``isoformat`` would write again (0.4 against 0.9 µs an event)
_ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.(?!000000)[0-9]{6})?"
    r"(?:\+[0-9]{2}:[0-9]{2}|-(?!00:00)[0-9]{2}:[0-9]{2})"
).fullmatch


def _parse(state: bytes) -> Any:
    """The state as JSON if it is one object and nothing else, or None.

    orjson parses a state in about 3.8 µs against the standard library's 8.1 (its C
    scanner; 40,000 states of the benchmark's history, 1 KB each), a tenth of what a
    rebuild's mapping costs an event. Where the two differ the general path decides:
    orjson refuses NaN, infinities and lone surrogates (None here), and reads an integer
    past 64 bits as a float, which every check below refuses (no field of the two
    events is a number but the class version, compared with 2)."""
    if state[:1] != b"{" or state[-1:] != b"}":
        return None  # as the use cases store a state: no space around it
    try:
        return orjson.loads(state)
    except orjson.JSONDecodeError:
        return None


def reader(mapper: Mapper[UUID], *, details: bool = True) -> Map | None:
    """How the runner maps the two events from their stored JSON, or None where the
    mapper does not store states as plain JSON or has no transcodings for an instant,
    a date and an amount by the names the ledger's have. Without ``details`` their audit
    entries leave the detail to the event (``FROM_EVENT``)."""
    transcoder = mapper.transcoder
    if mapper.cipher is not None or mapper.compressor is not None:
        return None
    if type(transcoder) is not JSONTranscoder or type(mapper).to_domain_event is not (
        Mapper.to_domain_event
    ):
        return None
    names = transcoder.names
    kinds = {"datetime_iso": datetime, "date_iso": date, "decimal_str": Decimal}
    if any(getattr(names.get(name), "type", None) is not kind for name, kind in kinds.items()):
        return None
    return _Reader(names, details).add


class _Reader:
    """Maps the two events with the transcoder's own decoding of their instant, dates
    and amounts (what the mapper would call for them)."""

    def __init__(self, names: dict[str, Transcoding], details: bool) -> None:
        self._details = details
        self._instant = names["datetime_iso"].decode
        self._date = names["date_iso"].decode
        self._decimal = names["decimal_str"].decode
        #: dates as their ISO text, memoised (a history has few)
        self._days: dict[str, str] = {}
        self._by_topic: dict[str, Callable[[Page, Notification], bool]] = {
            get_topic(Unit.PeriodAssessed): self._assessed,
            get_topic(Unit.PaymentCollected): self._paid,
        }

    def add(self, page: Page, n: Notification) -> bool:
        """The rows of ``n`` if it is one of the two events as the use cases store them."""
        found = self._by_topic.get(n.topic)
        return False if found is None else found(page, n)

    def _assessed(self, page: Page, n: Notification) -> bool:
        state = _parse(n.state)
        if (
            type(state) is not dict
            or tuple(state) != ASSESSED_FIELDS
            or state["class_version"] != 2
        ):
            return False
        period, lines, totals = state["period"], state["lines"], state["totals"]
        rates, limits, fixed = state["rates"], state["limits"], state["fixed"]
        limits_policy, fixed_policy = state["limits_policy"], state["fixed_policy"]
        # Values the shortcut only copies must be as the mapper leaves them (no nested
        # object): the period, lines, totals and their strings are each read by a check
        # or a parse that refuses anything else, and a refusal (an exception) sends the
        # event down the general path.
        if not (
            type(rates) is str
            and type(limits_policy) is str
            and type(fixed_policy) is str
            and (limits == [] or _strings(limits))
            and (fixed == [] or _rows(fixed))
        ):
            return False
        at, texts = self._at(state["timestamp"]), _texts(state)
        due, on = self._day(state["due_date"]), self._day(state["assessed_on"])
        if at is None or texts is None or due is None or on is None:
            return False
        detail = _assessed_detail(state, due, on) if self._keeps_detail(n) else FROM_EVENT
        audit = _audit(n, at, "PeriodAssessed", texts, detail)
        if not assessment(page, n.id, audit, Assessed(period, lines, totals, fixed, on, due)):
            return False
        page.events += 1
        return True

    def _paid(self, page: Page, n: Notification) -> bool:
        state = _parse(n.state)
        if type(state) is not dict or tuple(state) != PAID_FIELDS:
            return False
        allocations = state["allocations"]  # read by checks that refuse anything else
        at, texts, on = self._at(state["timestamp"]), _texts(state), self._day(state["paid_on"])
        amount, credit = self._amount(state["amount"]), self._amount(state["unallocated"])
        if at is None or texts is None or on is None or amount is None or credit is None:
            return False
        detail = FROM_EVENT
        if self._keeps_detail(n):  # str() of a Decimal needs no escaping
            detail = (
                f'{{"paid_on":"{on}","amount":"{amount}","allocations":{dumps(allocations)},'
                f'"unallocated":"{credit}"}}'
            )
        audit = _audit(n, at, "PaymentCollected", texts, detail)
        if not payment(page, n.id, audit, Paid(allocations, on, credit)):
            return False
        page.events += 1
        return True

    def _keeps_detail(self, n: Notification) -> bool:
        """Whether the entry keeps its detail: always with ``details``, else only for a
        state past ``LEFT_UP_TO``."""
        return self._details or len(n.state) > LEFT_UP_TO

    def _at(self, value: Any) -> tuple[datetime, str | None] | None:
        """The instant, and its text where it is what ``isoformat`` writes (``_ISO``)."""
        text = _data(value, "datetime_iso")
        if text is None:
            return None
        at = self._instant(text)
        if type(at) is not datetime:
            return None
        return at, text if _ISO(text) else None

    def _day(self, value: Any) -> str | None:
        text = _data(value, "date_iso")
        if text is None:
            return None
        found = self._days.get(text)
        if found is None:
            day = self._date(text)
            if type(day) is not date:
                return None
            found = day.isoformat()
            if len(self._days) < 10_000:
                self._days[text] = found
        return found

    def _amount(self, value: Any) -> Decimal | None:
        text = _data(value, "decimal_str")
        amount = None if text is None else self._decimal(text)
        return amount if type(amount) is Decimal else None


def _assessed_detail(state: dict[str, Any], due: str, on: str) -> str:
    """``journal.audit_detail``: the fields other than metadata, the person lines counted,
    as JSON (dumps of that dict), its pieces joined: the texts repeat (the rates'
    citation, the policies) and are encoded once; dates and counts need no escaping."""
    lines, limits, fixed = state["lines"], state["limits"], state["fixed"]
    held = f',"bases_held":{sum(1 for row in lines if len(row) > 5)}' if limits else ""
    return (
        f'{{"period":{_json(state["period"])},"lines":{len(set(map(_first, lines)))},'
        f'"totals":{dumps(state["totals"])},"due_date":"{due}","assessed_on":"{on}",'
        f'"rates":{_json(state["rates"])},"limits":{dumps(limits) if limits else "[]"},'
        f'"limits_policy":{_json(state["limits_policy"])},'
        f'"fixed":{dumps(fixed) if fixed else "[]"},'
        f'"fixed_policy":{_json(state["fixed_policy"])}{held}}}'
    )


def _audit(
    n: Notification, at: tuple[datetime, str | None], name: str, texts: Any, detail: str
) -> Audit:
    # the UUID's text where the runner's reader brought it (reading.Stored)
    uid: UUID | str | None = getattr(n, "originator_text", None)
    if type(uid) is not str:
        o = n.originator_id
        uid = o if isinstance(o, UUID) else UUID(o)
    instant, text = at
    return Audit(uid, n.originator_version, instant, name, texts, detail, text)


#: texts as JSON, memoised (the rates' citation and the policies repeat on every event)
_JSON: dict[str, str] = {}


def _json(text: Any) -> str:
    found = _JSON.get(text)
    if found is None:
        found = dumps(text)
        if len(_JSON) < 10_000:
            _JSON[text] = found
    return found


def _texts(state: dict[str, Any]) -> tuple[str, ...] | None:
    actor, reason, request_id = state["actor"], state["reason"], state["request_id"]
    if type(actor) is not str or type(reason) is not str or type(request_id) is not str:
        return None
    return (actor, reason, request_id, *_ABSENT)


def _strings(values: Any) -> bool:
    return type(values) is list and all(type(v) is str for v in values)


def _rows(rows: Any) -> bool:
    """A list of lists of strings (what the mapper would leave as they are)."""
    return type(rows) is list and all(_strings(row) for row in rows)


def _data(value: Any, name: str) -> str | None:
    """The text of a transcoded value ``{"_type_": name, "_data_": text}``."""
    if type(value) is not dict or len(value) != 2 or value.get("_type_") != name:
        return None
    data = value.get("_data_")
    return data if type(data) is str else None
