"""A person's rights record (个人权益记录), found by resident ID.

The resident ID is sent in a form's body, never in a URL (as the API's read is a POST),
and the record is the API's own (``POST /persons/rights-record``: the description in
``ledger.reports``, with the API's scope): a case worker sees
the months of their agency's units only, and a person never insured there is 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ledger.api.auth import Principal
from ledger.api.deps import agency_scope, fresh_views
from ledger.api.desk.forms import FormState, refusal, validation_errors
from ledger.api.desk.render import page
from ledger.api.desk.session import PostedForm, Signed
from ledger.api.schemas.persons import PersonQuery
from ledger.clocks import instant
from ledger.domain.errors import InvalidValue, NotFound
from ledger.domain.money import ZERO
from ledger.projections.rights import RightsMonth
from ledger.reports import RIGHTS, Table
from ledger.reports import Query as ReportQuery

router = APIRouter(include_in_schema=False)
FIELDS = ("resident_id", "as_of", "known_at")
#: the credit states in which money reached the personal account
CREDITED = frozenset({"credited", "back_credited"})


@router.get("/desk/persons")
async def person_search() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.post("/desk/persons")
async def person_page(request: Request, principal: Signed, form: PostedForm) -> HTMLResponse:
    state = FormState(values={n: str(form.get(n) or "").strip() for n in FIELDS})
    body = {n: v for n, v in state.values.items() if v}
    try:
        query = PersonQuery.model_validate(body)
        table = await run_in_threadpool(lambda: _rights(query, principal, request))
    except ValidationError as exc:
        validation_errors(exc, state, FIELDS)
        return page(request, "rights.html", 422, state=state, record=None)
    except (InvalidValue, NotFound) as exc:
        refusal(exc, state, FIELDS)
        return page(
            request,
            "rights.html",
            404 if isinstance(exc, NotFound) else 422,
            state=state,
            record=None,
        )
    record = table.document
    return page(request, "rights.html", state=state, record=record, summary=_summary(record))


def _rights(query: PersonQuery, principal: Principal, request: Request) -> Table:
    """The record as ``POST /persons/rights-record`` runs it: the API's scope."""
    report_query = ReportQuery(
        as_of=query.as_of,
        known_at=instant(query.known_at),
        subject=query.resident_id,
        agency=agency_scope(principal),
    )
    return RIGHTS.run(fresh_views(request), report_query)


def _summary(record: dict[str, Any]) -> dict[str, object]:
    months: list[RightsMonth] = record["months"]
    credit: Decimal = sum((m.credit for m in months if m.credit_state in CREDITED), ZERO)
    return {
        "months": len(months),
        "counted": sum(1 for m in months if not m.in_arrears),
        "deemed_paid": sum(1 for m in months if m.unit_state == "deferred"),
        "arrears": sum(1 for m in months if m.in_arrears),
        "credit": credit,
    }
