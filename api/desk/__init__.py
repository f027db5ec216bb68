"""The bureau's desk: web pages in Chinese over the API's own rules, reads and use cases.

``/`` is the desk (find a unit, a person); the other pages are under ``/desk/``: a
unit's page, a person's rights record, the reports, inspectors' replays and case
workers' forms. Signing in takes the API's bearer tokens (kept in an HttpOnly cookie);
every page calls the API's route functions and checks (``ledger.api.deps``,
``ledger.api.auth``), so a page can show or do nothing the API would refuse. Every
asset (the stylesheet, the icon; the charts are inline SVG) is served by the ledger.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ledger.api.desk import errors
from ledger.api.desk.render import HERE
from ledger.api.desk.routers import commands, home, persons, replays, reports, units


def install(app: FastAPI) -> None:
    """Adds the pages to the API's app (after the API's own exception handlers)."""
    app.mount("/desk/static", StaticFiles(directory=HERE / "static"), name="desk-static")
    # The forms' routes before the unit page's: /desk/units/new is not a USCC.
    for module in (home, commands, units, persons, reports, replays):
        app.include_router(module.router)
    errors.install(app)
