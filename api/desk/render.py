"""Pages from Jinja2 templates (``api/desk/templates``, one per page), autoescaped.

Templates receive the API's own response models and the views' dataclasses; the
filters here format them the way a Chinese desk reads them: amounts with thousands
separators and two decimals, instants in China Standard Time, codes in words.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ledger.api.desk.labels import label
from ledger.clocks import CST
from ledger.domain.money import round_fen

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
#: the pages run no script and load nothing but the ledger's own files; forms post to the
#: ledger only, and no other site may frame them
POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def yuan(value: Decimal | str | None) -> str:
    """``21000`` -> ``21,000.00``."""
    if value is None or value == "":
        return ""
    # Rounded by round_fen (half-up), never by a format's half-even.
    return f"{round_fen(Decimal(value)):,}"


def percent(rate: Decimal | str) -> str:
    """``0.0005`` -> ``0.05%``."""
    return f"{(Decimal(rate) * 100).normalize():f}%"


def moment(value: datetime | str | None) -> str:
    """An instant as the bureau reads it: China Standard Time, to the second (a JSON
    document, such as the balance's, holds it as ISO text)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def day(value: date | str | None) -> str:
    """A date as ISO text (a JSON document, such as the balance's, holds it so already)."""
    if value is None or isinstance(value, str):
        return value or ""
    return value.isoformat()


def detail(value: dict[str, Any]) -> Markup:
    """An event's recorded fields, one ``name: value`` a line (long lists cut)."""
    lines = []
    for name, item in value.items():
        if isinstance(item, list) and len(item) > 6:
            shown = f"{item[:6]} …（共 {len(item)} 项）"
        else:
            shown = str(item)
        lines.append(Markup("<div><span class='k'>{}</span> {}</div>").format(name, shown))
    return Markup("").join(lines)


templates.env.filters.update(
    percent=percent, yuan=yuan, moment=moment, day=day, label=label, detail=detail
)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` rendered with the signed-in principal and its CSRF token."""
    context.setdefault("principal", getattr(request.state, "principal", None))
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    response = templates.TemplateResponse(request, name, context, status_code=status)
    # Pages show one agency's data: never kept by a shared cache or proxy.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = POLICY
    return response
