"""A report's table as an HTTP response, in the format asked for.

Every read that is a table (the exchange reports, a unit's balance, a person's rights
record, the audit trails) takes ``format``: ``json`` (the default; the body its
response model documents), ``csv`` (UTF-8 with a byte-order mark) or ``xlsx``; files
come as attachments named after the report (``Content-Disposition``). The bodies are
written by the renderers the CLI uses (``ledger.reports.formats``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from ledger.reports import MEDIA_TYPES, Table, content_disposition, render

Format = Literal["json", "csv", "xlsx"]
Headers = Literal["zh", "en"]

FormatQuery = Annotated[
    Format,
    Query(
        description="json; csv (UTF-8 with a byte-order mark, the seeds' Chinese headers) or "
        "xlsx (a workbook: amounts as numbers to the fen, identifiers as text)"
    ),
]
HeadersQuery = Annotated[
    Headers, Query(description="headers of a csv or xlsx file: zh (the seeds' names) or en")
]

#: the 200 of a table route, besides its JSON model: the files it can answer with
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the table, in the format asked for",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
        },
        "headers": {
            "Content-Disposition": {
                "description": "csv and xlsx: an attachment named after the report",
                "schema": {"type": "string"},
            }
        },
    }
}


def respond(table: Table, fmt: Format, headers: Headers = "zh") -> Response:
    body = render(table, fmt, headers, compact=True)
    extra = {} if fmt == "json" else {"Content-Disposition": content_disposition(table, fmt)}
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=extra)
