"""JSON bodies read strictly: the route class every JSON router of the API uses.

FastAPI reads a JSON body with ``json.loads`` on the raw bytes, which guesses UTF-16 and
UTF-32 from the first bytes and lets the last of two equal keys win; a body sent with
another media type reaches validation as bytes and comes back as a vague 422. Here:

- a body with a media type other than JSON (or none) is refused with 415;
- a body that is not UTF-8 (RFC 8259 8.1), not JSON, or holds one key twice in an
  object (``{"amount": "1.00", "amount": "9.00"}``: which did the client mean?) is a
  ``json_invalid`` error, which ``ledger.api.problems`` answers with 400.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine
from inspect import iscoroutinefunction
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from ledger.api.auth import confirms_first, handling_confirmed
from ledger.api.problems import ApiProblem

JSON_MEDIA = "application/json"


def is_json_media(content_type: str) -> bool:
    """``application/json`` or any ``application/…+json`` (as FastAPI itself takes)."""
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _object_without_duplicates(text: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built: dict[str, Any] = {}
        for key, value in pairs:
            if key in built:
                raise json.JSONDecodeError(f"the key {key!r} appears twice in one object", text, 0)
            built[key] = value
        return built

    return build


def strict_json(body: bytes) -> Any:
    """The JSON value of a body, or ``json.JSONDecodeError`` saying why not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8", "", exc.start) from None
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("the body starts with a byte-order mark", "", 0)
    return json.loads(text, object_pairs_hook=_object_without_duplicates(text))


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = strict_json(await self.body())
        return self._json


#: the methods of commands
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class JSONRoute(APIRoute):
    """A route whose JSON body (if it takes one) is read by :func:`strict_json`.

    A command's sync handler confirms the caller's token in its own trip to the thread
    pool (``ledger.api.auth.confirms_first``) rather than in one of its own before."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in kwargs.get("methods") or ()}
        self.confirms_first = bool(methods) and methods <= COMMAND_METHODS
        self.confirms_first &= not iscoroutinefunction(endpoint)
        if self.confirms_first:
            endpoint = confirms_first(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = self._strict_handler()
        if not self.confirms_first:
            return handler

        async def confirmed(request: Request) -> Response:
            with handling_confirmed(request):
                return await handler(request)

        return confirmed

    def _strict_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        # Form bodies (the desk's) declare their own media type; JSON is the default.
        media = getattr(getattr(self.body_field, "field_info", None), "media_type", JSON_MEDIA)
        takes_json = self.body_field is not None and media == JSON_MEDIA
        if not takes_json:
            return handler

        async def strict(request: Request) -> Response:
            strict_request = StrictJSONRequest(request.scope, request.receive)
            content_type = request.headers.get("content-type", "")
            if not is_json_media(content_type) and await strict_request.body():
                raise ApiProblem(
                    415,
                    "unsupported-media-type",
                    f"send the body as {JSON_MEDIA}, not {content_type or 'no content type'}",
                    field="Content-Type",
                    rule="media-type",
                )
            return await handler(strict_request)

        return strict
