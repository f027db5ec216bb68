"""The desk (``/``), signing in and out, and finding a unit by USCC or name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.api.auth import principal_of
from ledger.api.deps import agency_scope, fresh_views
from ledger.api.desk.render import page
from ledger.api.desk.session import COOKIE, MAX_AGE, PostedForm, Signed, same_origin
from ledger.projections.journal import UnitRegistered

router = APIRouter(include_in_schema=False)

#: units listed on a page of search results
PAGE = 50


@router.get("/")
async def desk(request: Request, principal: Signed) -> HTMLResponse:
    return page(request, "home.html")


@router.get("/desk/")
async def desk_alias() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.get("/desk/sign-in")
async def sign_in_form(request: Request, next: str = "", reason: str = "") -> HTMLResponse:
    return page(request, "sign_in.html", next=next, reason=reason)


@router.post("/desk/sign-in")
async def sign_in(request: Request) -> Response:
    same_origin(request)
    form = await request.form()
    secret = str(form.get("token") or "").strip()
    next_url = str(form.get("next") or "")
    principal = await principal_of(request, secret) if secret else None
    if principal is None:
        error = "令牌无效或已吊销" if secret else "请填写访问令牌"
        return page(request, "sign_in.html", 401, next=next_url, error=error)
    # Only a path of this site: a crafted link cannot send the user elsewhere.
    safe = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    response = RedirectResponse(safe, status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        max_age=MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/desk/sign-out")
async def sign_out(_: PostedForm) -> RedirectResponse:
    response = RedirectResponse("/desk/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/desk/units")
async def find_units(
    request: Request,
    principal: Signed,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Units whose USCC or name holds ``q``, of the caller's agency for a case worker
    (the API's ``agency_scope``); an exact USCC opens the unit's page."""
    wanted = q.strip()

    def search() -> list[UnitRegistered]:
        store = fresh_views(request).store
        units = store.units(region=None, agency=agency_scope(principal), known_at=None)
        code = wanted.upper()
        return sorted(
            (u for u in units if not wanted or code in u.uscc or wanted in u.name),
            key=lambda u: u.uscc,
        )

    found = await run_in_threadpool(search)
    if len(found) == 1 and found[0].uscc == wanted.upper():
        return RedirectResponse(f"/desk/units/{found[0].uscc}", status_code=303)
    return page(
        request,
        "units.html",
        q=wanted,
        units=found[offset : offset + PAGE],
        total=len(found),
        offset=offset,
        limit=PAGE,
    )
