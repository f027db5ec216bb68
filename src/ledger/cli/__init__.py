"""The ``ledger`` command line (typer; rich for tables and progress bars).

Every command builds its settings from LEDGER_* variables, runs one use case and
turns a refusal into a message on stderr and exit status 2 (3 when the store
cannot be reached; retry); nothing is written when a command fails.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from eventsourcing.persistence import InterfaceError, OperationalError
from rich.console import Console
from rich.markup import escape

from ledger.domain.errors import LedgerError, Unavailable

P = ParamSpec("P")
T = TypeVar("T")

err = Console(stderr=True)
# Wide enough for the tables of amounts when the output goes to a file or a pipe.
out = Console(width=None if sys.stdout.isatty() else 140)


def refusals_exit(fn: Callable[P, T]) -> Callable[P, T]:
    """A refusal becomes a one-line message and exit status 2, an unreachable store 3."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except Unavailable as exc:
            err.print(f"[bold red]unavailable[/]: {escape(exc.message)}", highlight=False)
            raise typer.Exit(3) from None
        except (OperationalError, InterfaceError) as exc:
            # Lost connection mid-command: the save is atomic, so nothing is half-written.
            err.print(f"[bold red]unavailable[/]: {escape(str(exc))}; retry", highlight=False)
            raise typer.Exit(3) from None
        except LedgerError as exc:
            where = f" ({exc.field})" if exc.field else ""
            err.print(
                f"[bold red]refused[/]{escape(where)}: {escape(exc.message)}", highlight=False
            )
            raise typer.Exit(2) from None

    return wrapper


def main() -> None:
    # `ledger audit verify|head` (the hash chain) before typer: `ledger audit USCC` takes
    # any first argument, and a USCC can never be one of those words (audit_chain).
    from ledger.cli.audit_chain import chain_app, routes_here

    if routes_here(sys.argv[1:]):
        chain_app(sys.argv[2:], prog_name="ledger audit")
        return
    # registering commands: import (first, so that it is listed after app's own groups);
    # balance, rights, audit; report; province; replay; serve; demo, unit show; token
    import ledger.cli.imports
    import ledger.cli.project  # noqa: F401  (registers project)
    from ledger.cli import (  # noqa: F401
        policy_check,
        province,
        reads,
        replay,
        reports,
        serve,
        show,
        tokens,
    )
    from ledger.cli.app import app

    app()


def as_json(result: Any) -> None:
    out.print_json(data=result, default=str)
