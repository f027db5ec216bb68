"""The dependencies routes declare, as ``Annotated`` aliases (one place, one name each).

A command route reads, in this order: who calls (401/403), the unit it acts on and
whether the caller's agency holds it (404/403), then the headers and the body (400/422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import unquote

from fastapi import Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ledger.api import examples
from ledger.api.auth import (
    Principal,
    check_agency,
    confirm_principal,
    current_principal,
    require,
)
from ledger.api.problems import ApiProblem
from ledger.api.readside import ReadSide
from ledger.api.schemas.types import DATE_PATTERN
from ledger.application import Actor, Ledger
from ledger.clocks import ReadClocks, business_date, instant
from ledger.domain.identifiers import parse_uscc
from ledger.domain.token import Role
from ledger.projections.items import find_unit
from ledger.projections.journal import UnitRegistered
from ledger.projections.store import ViewStore

T = TypeVar("T")

#: printable ASCII without spaces, as the Idempotency-Key draft's examples
KEY_PATTERN = r"^[!-~]{1,255}$"
MAX_REASON = 500


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


async def get_request_id(request: Request) -> str:
    request_id: str = request.state.request_id
    return request_id


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
RequestId = Annotated[str, Depends(get_request_id)]
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Admin = Annotated[Principal, Depends(require(Role.admin))]
CaseWorker = Annotated[Principal, Depends(require(Role.case_worker))]
#: every role reads (case workers their agency's units only: ``agency_scope``)
Reader = Annotated[Principal, Depends(require(Role.case_worker, Role.inspector, Role.admin))]
#: the same, for a route that calls ``confirm_principal`` in its own thread-pool trip
ReaderConfirmedLater = Annotated[
    Principal,
    Depends(require(Role.case_worker, Role.inspector, Role.admin, confirmed_later=True)),
]


#: the header as sent: no control characters, and a ``%`` only as a %XX escape (raw
#: UTF-8 arrives as Latin-1 characters, which the class lets through)
REASON_HEADER_PATTERN = r"^(?:[^\x00-\x1f\x7f%]|%[0-9A-Fa-f]{2})*$"
#: the most a header of ``MAX_REASON`` characters takes (each a 4-byte UTF-8 %XX%XX%XX%XX)
MAX_REASON_HEADER = MAX_REASON * 12


async def get_reason(
    x_reason: Annotated[
        str,
        Header(
            alias="X-Reason",
            pattern=REASON_HEADER_PATTERN,
            max_length=MAX_REASON_HEADER,
            description=f"Why: recorded in every event of the command. Printable UTF-8 text of "
            f"at most {MAX_REASON} characters, raw or percent-encoded where the client cannot "
            "send it raw (%E5%87%8F%E5%BE%81 = 减征); a % only as such an escape.",
        ),
    ] = "",
) -> str:
    # Starlette decodes header bytes as Latin-1; a client sending raw UTF-8 meant UTF-8.
    try:
        text = unquote(x_reason.encode("latin-1").decode("utf-8"), errors="strict")
    except UnicodeError:
        raise ApiProblem(
            422,
            "invalid-request",
            "X-Reason is not UTF-8 (raw or percent-encoded)",
            field="X-Reason",
            rule="utf-8",
        ) from None
    return checked_reason(text, "X-Reason")


def checked_reason(text: str, field: str) -> str:
    """Why a command is given: printable text of at most ``MAX_REASON`` characters (the
    API's X-Reason header and the desk's reason field alike)."""
    if len(text) > MAX_REASON or not text.isprintable():
        raise ApiProblem(
            422,
            "invalid-request",
            f"{field} must be printable text of at most {MAX_REASON} characters",
            field=field,
            rule="reason",
        )
    return text.strip()


Reason = Annotated[str, Depends(get_reason)]


async def get_idempotency_key(
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            pattern=KEY_PATTERN,
            description="Required. A retry with the same key and body returns the first "
            "response; the same key with another body is refused (409).",
            examples=["5f0c7a2e-9d1b-4c55-a0f1-2b7d8e3c6a90"],
        ),
    ] = None,
) -> str:
    if idempotency_key is None:
        # draft-ietf-httpapi-idempotency-key-header: a missing key is a 400.
        raise ApiProblem(
            400,
            "idempotency-key-missing",
            "every POST takes an Idempotency-Key header (a UUID, say); "
            "a retry with the same key returns the first response",
            field="Idempotency-Key",
            rule="idempotency-key.required",
        )
    # Keys are the client's: two tokens choosing the same key must not meet. (A key has
    # no spaces, so the suffix cannot be forged; it also reads well in a 409's detail.)
    return f"{idempotency_key} (token {principal.token_id})"


IdempotencyKey = Annotated[str, Depends(get_idempotency_key)]


async def get_actor(principal: CurrentPrincipal, request_id: RequestId, reason: Reason) -> Actor:
    return Actor(principal.actor, reason, request_id)


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def own_unit(
    uscc: Annotated[
        str,
        Path(description="the unit's USCC (统一社会信用代码)", examples=[examples.CHIFENG_USCC]),
    ],
    principal: CaseWorker,
    ledger: LedgerDep,
    request: Request,
) -> str:
    """The USCC of an existing unit of the case worker's agency (else 422, 404 or 403)."""
    # A registered code may carry a bad check character (registered with the override).
    code = parse_uscc(uscc, allow_bad_check=True)
    # the registration alone (the use case folds the unit's history when it runs), and
    # no trip to the thread pool once it is known
    agency = ledger.known_agency(code)
    if agency is None:

        def look_up() -> str:
            # a token taken unconfirmed is confirmed before anything is read for it
            confirm_principal(request)
            return ledger.unit_agency(code)

        agency = await run_in_threadpool(look_up)
    check_agency(principal, agency, f"unit {code}")
    return code


OwnUnit = Annotated[str, Depends(own_unit)]


# --------------------------------------------------------------------- reads


def fresh_views(request: Request) -> ReadSide:
    """The views, caught up with everything recorded before the request (or 503)."""
    side: ReadSide = request.app.state.views
    side.fresh()
    return side


Views = Annotated[ReadSide, Depends(fresh_views)]


AS_OF_HELP = "the business date figures are computed for (YYYY-MM-DD); default today (CST)"
KNOWN_AT_HELP = (
    "only events recorded by this instant: ISO 8601 date-time (naive = China Standard "
    "Time) or a date (the end of that day); default: everything recorded"
)


async def read_clocks(
    as_of: Annotated[
        str | None, Query(pattern=DATE_PATTERN, description=AS_OF_HELP, examples=["2023-08-01"])
    ] = None,
    known_at: Annotated[
        str | None, Query(max_length=40, description=KNOWN_AT_HELP, examples=["2023-07-31"])
    ] = None,
) -> ReadClocks:
    return ReadClocks(business_date(as_of, "as_of"), instant(known_at, "known_at"))


Clocks = Annotated[ReadClocks, Depends(read_clocks)]


def agency_scope(principal: Principal, asked: str | None = None) -> str | None:
    """The agency a read is limited to: a case worker's own (asking for another is 403);
    inspectors and administrators read every agency (``asked``, if any)."""
    if principal.role is not Role.case_worker:
        return asked or None
    if asked and asked != principal.agency:
        check_agency(principal, asked, "the agency asked for")
    return principal.agency


@dataclass(frozen=True, slots=True)
class UnitRead:
    """A read of one unit, made in one trip to the thread pool: the caller's token
    confirmed still active (401), the views caught up, the unit looked up (404), the
    caller's agency checked (403), then the view. (As separate sync dependencies these
    were four trips, measured at ~18% of a balance read.)"""

    code: str
    principal: Principal
    side: ReadSide
    request: Request

    async def run(self, view: Callable[[ViewStore, UnitRegistered], T]) -> T:
        def work() -> T:
            confirm_principal(self.request)
            store = self.side.fresh()
            if self.principal.role is Role.case_worker:
                # the agency first: another agency's unit is a 403, whatever its state
                registered = store.unit_by_uscc(self.code)
                if registered is not None:
                    check_agency(self.principal, registered.agency, f"unit {self.code}")
            unit = find_unit(store, self.code, None)
            if self.principal.role is Role.case_worker:
                # again on the unit found: it may have been projected since the look-up
                check_agency(self.principal, unit.agency, f"unit {self.code}")
            return view(store, unit)

        return await run_in_threadpool(work)


async def readable_unit(
    uscc: Annotated[
        str,
        Path(description="the unit's USCC (统一社会信用代码)", examples=[examples.CHIFENG_USCC]),
    ],
    principal: ReaderConfirmedLater,
    request: Request,
) -> UnitRead:
    """A unit the caller may read: 404 if none, 403 another agency's (when it is run)."""
    side: ReadSide = request.app.state.views
    return UnitRead(parse_uscc(uscc, allow_bad_check=True), principal, side, request)


ReadableUnit = Annotated[UnitRead, Depends(readable_unit)]
