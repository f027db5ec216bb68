"""Signing in to the desk: the API's bearer tokens, kept in a cookie the page cannot read.

The sign-in form takes a token (``ledger token create``) and stores it in an HttpOnly,
SameSite=Strict cookie (Secure over HTTPS): scripts cannot read it, and no other site's
page can send it. Every page resolves the token as the API does (:func:`principal_of`),
so a revoked token signs the desk out at once, and the roles and the agency boundary
are the API's own.

Forms are also protected against cross-site requests by a token in a hidden field
(:func:`csrf_token`): an HMAC of the session's token, which only a page served to the
holder of the cookie can carry; and a POST whose ``Origin`` is another site's is
refused before anything else.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from ledger.api.auth import Principal, principal_of
from ledger.api.problems import ApiProblem

COOKIE = "ledger_desk"
CSRF_FIELD = "csrf_token"
#: eight hours: a working day; the token itself stays valid until revoked
MAX_AGE = 8 * 3600


class SignedOut(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""

    def __init__(self, next_url: str, reason: str = "") -> None:
        super().__init__(reason or "sign in")
        self.next_url = next_url
        self.reason = reason


def csrf_token(secret: str) -> str:
    """The hidden field of every form: derived from the session's token, never stored."""
    return hmac.new(secret.encode(), b"ledger-desk-csrf", hashlib.sha256).hexdigest()


def sign_in_url(next_url: str = "", reason: str = "") -> str:
    url = "/desk/sign-in"
    query = []
    if next_url and next_url.startswith("/") and not next_url.startswith("//"):
        query.append(f"next={quote(next_url)}")
    if reason:
        query.append(f"reason={quote(reason)}")
    return url + ("?" + "&".join(query) if query else "")


async def desk_principal(request: Request) -> Principal:
    """The signed-in holder of the cookie's token (else a redirect to sign in)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    secret = request.cookies.get(COOKIE, "")
    if not secret:
        raise SignedOut(here if request.method == "GET" else "")
    principal = await principal_of(request, secret)
    if principal is None:
        raise SignedOut(here if request.method == "GET" else "", "revoked")
    request.state.principal = principal
    request.state.csrf = csrf_token(secret)
    return principal


Signed = Annotated[Principal, Depends(desk_principal)]


def same_origin(request: Request) -> None:
    """A POST sent by another site's page (its ``Origin``) is refused (403)."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser's cross-site form: those always say where they come from
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin != expected:
        raise ApiProblem(403, "forbidden", "a form sent from another site", rule="origin")


async def posted_form(request: Request, principal: Signed) -> FormData:
    """The form of a signed-in POST, its origin and CSRF token checked (else 403)."""
    same_origin(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, request.state.csrf):
        raise ApiProblem(
            403, "forbidden", "the form is stale or was not sent by this desk", rule="csrf"
        )
    return form


PostedForm = Annotated[FormData, Depends(posted_form)]
