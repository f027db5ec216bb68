"""``ledger demo`` and ``ledger unit show``: what the ledger recorded, on screen."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.application import Ledger
from ledger.bootstrap import build_ledger
from ledger.cli import out, refusals_exit
from ledger.cli.app import UnitCode, app, ledger, unit_app
from ledger.cli.render import render_history, render_items
from ledger.demo import Demo, Story
from ledger.settings import Settings


def say(text: str) -> None:
    out.print(text, highlight=False, soft_wrap=True)


def show_unit(led: Ledger, uscc: str) -> None:
    unit = led.unit(uscc)
    title = f"{unit.uscc} {unit.name} ({unit.unit_type.value}, region {unit.region})"
    if out.is_terminal:
        out.rule(title)
    else:  # a rule as wide as a pipe's unlimited width would be one very long line
        out.print(f"── {title} ──", highlight=False, markup=False)
    render_history(out, led.unit_history(uscc))
    render_items(out, unit)


@unit_app.command("show")
@refusals_exit
def unit_show(uscc: UnitCode) -> None:
    """Every event recorded for a unit, and its items."""
    show_unit(ledger(), uscc)


@app.command("demo")
@refusals_exit
def demo(
    db: Annotated[Path, typer.Option(help="SQLite file to create afresh.")] = Path(
        "ledger-demo.db"
    ),
) -> None:
    """Run the worked examples of the seeds on a fresh SQLite file and show the records."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = Settings(database_url=f"sqlite:///{db}", log_level="WARNING")
    led = build_ledger(settings)
    Demo(led, Story(say=say, show=lambda uscc: show_unit(led, uscc))).run()
    out.print(f"\nrecorded in {db.resolve()} (LEDGER_DATABASE_URL=sqlite:///{db} to query it)")
