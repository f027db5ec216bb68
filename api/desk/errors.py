"""Errors on the desk's pages: a page in Chinese, not problem details.

The API's exception handlers (``ledger.api.problems``) stay as they are for the API;
each is wrapped so that a request for a page (``/`` and ``/desk/…``) gets the error page
with the same status and detail instead. A missing or revoked session redirects to the
sign-in form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ledger.api.desk.render import page
from ledger.api.desk.session import SignedOut, sign_in_url
from ledger.api.problems import ApiProblem, status_of
from ledger.domain.errors import LedgerError

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]

TITLES = {
    400: "请求有误",
    403: "无权操作",
    404: "未找到",
    405: "不支持的操作",
    409: "与已记录的内容冲突",
    413: "提交的内容过大",
    422: "输入有误",
    503: "暂时无法服务，请稍后重试",
}


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith("/desk/")


def status_and_detail(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, ApiProblem):
        return exc.status, exc.detail
    if isinstance(exc, LedgerError):
        return status_of(exc), exc.message
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    return 503, "事件库暂时无法连接，未写入任何内容"


def error_page(request: Request, status: int, detail: str) -> Response:
    title = TITLES.get(status, HTTPStatus(status).phrase)
    response = page(request, "error.html", status, title=title, code=status, detail=detail)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def _for_pages(api_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_page(request):
            return error_page(request, *status_and_detail(exc))
        answer = api_handler(request, exc)
        return answer if isinstance(answer, Response) else await answer

    return handle


async def _signed_out(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignedOut)
    return RedirectResponse(sign_in_url(exc.next_url, exc.reason), status_code=303)


def install(app: FastAPI) -> None:
    """Wraps the API's handlers (installed before) and adds the sign-in redirect."""
    for kind, handler in list(app.exception_handlers.items()):
        if isinstance(kind, type):
            app.add_exception_handler(kind, _for_pages(handler))
    app.add_exception_handler(SignedOut, _signed_out)
