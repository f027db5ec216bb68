"""``ledger project``: keep the views (read side) up to date with the event store.

    ledger project                  catch up, then follow new events until Ctrl-C
    ledger project --once           catch up and exit
    ledger project --rebuild        empty the views, apply the whole log (progress bar), exit
    ledger project --rebuild --follow   ... and then follow
    ledger project --rebuild --workers 4   PostgreSQL: its pages mapped by four processes

Safe to stop at any moment (Ctrl-C, SIGTERM, a crash): each page of rows is
written with the views' position in one transaction, and the next run starts
after it. A second runner on the same views is refused (exit status 2).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import FrameType
from typing import Annotated

import typer
from eventsourcing.postgres import PostgresApplicationRecorder
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ledger.application import Ledger
from ledger.bootstrap import build_ledger, open_view_store, pages_in_processes
from ledger.cli import err, out, refusals_exit
from ledger.cli.app import app
from ledger.domain.errors import InvalidValue
from ledger.projections import runner
from ledger.projections.sql import SqlViewStore
from ledger.settings import Settings


@app.command("project")
@refusals_exit
def project(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Empty the views and apply the whole log again.")
    ] = False,
    follow: Annotated[
        bool | None,
        typer.Option(
            "--follow/--once",
            help="Keep following new events (default), or stop once caught up "
            "(the default with --rebuild).",
        ),
    ] = None,
    page_size: Annotated[
        int, typer.Option(min=1, help="Events per transaction.")
    ] = runner.PAGE_SIZE,
    interval: Annotated[
        float, typer.Option(min=0.05, help="Seconds between looks for new events.")
    ] = 1.0,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --rebuild on PostgreSQL: processes mapping its pages at once.",
        ),
    ] = 1,
) -> None:
    """Write the events' rows into the views (view_* tables beside the events)."""
    settings = Settings()
    if workers > 1 and (not rebuild or settings.store_kind == "sqlite"):
        raise InvalidValue(
            "--workers spreads a rebuild (--rebuild) of PostgreSQL's views over processes",
            field="workers",
        )
    ledger = build_ledger(settings)
    store = open_view_store(settings, ledger)
    try:
        if rebuild:
            with _bar("rebuilding the views") as progress:
                events = runner.rebuild(
                    ledger,
                    store,
                    page_size=page_size,
                    progress=progress,
                    in_processes=pages_in_processes(settings, workers),
                )
            out.print(f"views rebuilt: {events:,} events, position {store.position():,}")
        if follow is None:
            follow = not rebuild
        if follow:
            _follow(settings, ledger, store, page_size, interval)
        elif not rebuild:
            with _bar("catching up") as progress:
                events = runner.catch_up(ledger, store, page_size=page_size, progress=progress)
            out.print(f"views caught up: {events:,} events, position {store.position():,}")
    finally:
        store.close()
        ledger.close()


def _follow(
    settings: Settings, ledger: Ledger, store: SqlViewStore, page_size: int, interval: float
) -> None:
    stop = threading.Event()
    recorder = ledger.recorder
    waiting: AbstractContextManager[Callable[[], object]] = (
        runner.listening(settings.database_url, recorder.channel_name, interval)
        if isinstance(recorder, PostgresApplicationRecorder)
        else nullcontext(runner.polling(interval, stop))
    )
    err.print(f"following the event store from position {store.position():,} (Ctrl-C to stop)")
    with _interrupted_by_sigterm(), waiting as wait:
        try:
            with _bar("catching up") as progress:
                runner.catch_up(ledger, store, page_size=page_size, progress=progress)
            runner.follow(ledger, store, wait=wait, page_size=page_size, stop=stop)
        except KeyboardInterrupt:
            stop.set()
    err.print(f"stopped at position {store.position():,}")


@contextmanager
def _bar(description: str) -> Iterator[runner.Progress]:
    """A progress bar of events (position reached / last notification id) on stderr."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(description, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


@contextmanager
def _interrupted_by_sigterm() -> Iterator[None]:
    """SIGTERM (a service manager stopping us) ends the loop as Ctrl-C does."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
