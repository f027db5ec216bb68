"""structlog, configured once: JSON lines in production, console on a terminal.

One event per use case, from the application layer, with request id and actor.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import cache
from pathlib import Path
from typing import Any, TextIO

import orjson
import structlog


def configure_logging(fmt: str = "auto", level: str = "INFO", file: Path | None = None) -> None:
    """Log lines to stderr, or appended to ``file`` (``LEDGER_LOG_FILE``): JSON unless the
    format says console, or auto on a terminal."""
    stream: TextIO = sys.stderr
    if file is not None:
        stream = _opened(file)
    renderer: Any
    if fmt == "json" or (fmt == "auto" and not stream.isatty()):
        renderer = structlog.processors.JSONRenderer(serializer=_json_line)
    else:
        renderer = structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


def get_logger() -> Any:
    return structlog.get_logger("ledger")


@cache
def _opened(file: Path) -> TextIO:
    """One append stream per file for the process (configured again, it is reused)."""
    return file.open("a", encoding="utf-8", buffering=1)


def _json_line(event: dict[str, Any], **options: Any) -> str:
    """An event as a JSON line by orjson: a served request writes two (its use case's and
    its own), and the standard library's encoder was about 4% of the server's interpreter
    time under steady payments (issue 11.2). Dates, instants and UUIDs come out as their
    ISO and canonical text (the standard library gave their ``repr``); what orjson cannot
    write (an integer past 64 bits) is written by the standard library as before."""
    try:
        return orjson.dumps(event, option=orjson.OPT_NON_STR_KEYS, **options).decode()
    except TypeError:
        return json.dumps(event, ensure_ascii=False, **options)
