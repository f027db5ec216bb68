"""Reports, described once and rendered the same by the CLI and the API.

``REPORTS`` holds every description by name; ``Report.run(reads, query)`` gives a
``Table``; ``render(table, fmt)`` writes it as JSON, CSV or xlsx (the terminal's table
is the CLI's). See ``model`` for the description, ``exchange`` and ``unit_reads`` for
the reports, ``formats`` for the renderers.
"""

from __future__ import annotations

from ledger.reports.exchange import DEFERRAL_LIST, REDUCTIONS, REMINDERS, STATISTICS
from ledger.reports.formats import (
    FORMATS,
    HEADERS,
    MEDIA_TYPES,
    content_disposition,
    file_name,
    render,
    text_of,
)
from ledger.reports.model import (
    FILTERS,
    Cell,
    Column,
    Kind,
    Query,
    Reads,
    Report,
    Table,
    ViewsAndPolicies,
    plain,
)
from ledger.reports.unit_reads import BALANCE, PERSON_TRAIL, RIGHTS, UNIT_TRAIL

#: the bureau's reports (``ledger report NAME``, ``GET /reports/NAME``)
EXCHANGE = (DEFERRAL_LIST, STATISTICS, REDUCTIONS, REMINDERS)
#: a unit's or a person's reads
UNIT_READS = (BALANCE, RIGHTS, UNIT_TRAIL, PERSON_TRAIL)
REPORTS = {r.name: r for r in (*EXCHANGE, *UNIT_READS)}

__all__ = [
    "BALANCE",
    "DEFERRAL_LIST",
    "EXCHANGE",
    "FILTERS",
    "FORMATS",
    "HEADERS",
    "MEDIA_TYPES",
    "PERSON_TRAIL",
    "REDUCTIONS",
    "REMINDERS",
    "REPORTS",
    "RIGHTS",
    "STATISTICS",
    "UNIT_READS",
    "UNIT_TRAIL",
    "Cell",
    "Column",
    "Kind",
    "Query",
    "Reads",
    "Report",
    "Table",
    "ViewsAndPolicies",
    "content_disposition",
    "file_name",
    "plain",
    "render",
    "text_of",
]
