"""The ``ledger`` command line (typer; rich for tables and progress bars).

Every command builds its settings from LEDGER_* variables, runs one use case and
turns a refusal into a message on stderr and exit status 2 (3 when the store
cannot be reached; retry); nothing is written when a command fails.

Conventions (the README's "CLI at a glance"): every refusal, a mistyped command line
included, is one line on stderr, never wrapped, and an exit status; results go to
stdout, which in a pipe is never wrapped either (``COLUMNS`` sets a width); logs go
to stderr only where the configuration asks for them (see :func:`quiet_logs`).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

import typer
from eventsourcing.persistence import InterfaceError, OperationalError
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

# typer vendors click: its commands and its parsing errors are these, not click's
from typer._click.core import Command
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup, TyperOption

from ledger.domain.errors import LedgerError, Unavailable

P = ParamSpec("P")
T = TypeVar("T")

#: refusals: one line each, never wrapped (a terminal folds them itself; a log or a
#: pipe keeps them whole, so that ``grep refused`` finds the whole message)
err = Console(stderr=True, soft_wrap=True)


def _out_width() -> int | None:
    """The terminal's width; in a pipe or a file, ``COLUMNS`` if set, else no limit:
    a table is printed at its own width, each row on one line."""
    if sys.stdout.isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else 100_000


out = Console(width=_out_width())


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
            refuse(exc)
            raise typer.Exit(2) from None

    return wrapper


def refuse(exc: LedgerError) -> None:
    where = f" ({exc.field})" if exc.field else ""
    err.print(f"[bold red]refused[/]{escape(where)}: {escape(exc.message)}", highlight=False)


#: commands that run as services: their logs are the operators' (``ledger serve``'s
#: request lines, the follower's progress), so they keep the configured level
_SERVICES = {"serve", "project"}


def quiet_logs(args: Sequence[str]) -> None:
    """A command run from a script (stderr not a terminal) logs warnings and errors only,
    unless ``LEDGER_LOG_LEVEL``, ``LEDGER_LOG_FORMAT`` or ``LEDGER_LOG_FILE`` says otherwise:
    its one info line per use case, in JSON there, would sit among the refusals a
    script reads. On a terminal the console log stays (it is read by a person)."""
    configured = {"LEDGER_LOG_LEVEL", "LEDGER_LOG_FORMAT", "LEDGER_LOG_FILE"} & set(os.environ)
    if configured or sys.stderr.isatty() or (args and args[0] in _SERVICES):
        return
    os.environ["LEDGER_LOG_LEVEL"] = "WARNING"


_display_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: Any) -> str | None:
    return None if self.is_flag else _display_type(self, ctx)


# --help, --approve/--refuse: a flag takes no value, so no type is shown for it (typer
# shows ``<bool>``); the one place the help of every flag, --help included, is made
TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]


def tidy_help(command: Command) -> None:
    """Help as a reader expects it: a flag shows no ``<bool>`` placeholder, and a
    command's one-line help in its group's list is its first paragraph joined (typer's
    rich mode keeps the docstring's line breaks there, cutting sentences in two)."""
    if command.short_help is None and command.help:
        first = command.help.strip().split("\n\n")[0]
        command.short_help = " ".join(first.split())
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            tidy_help(sub)


def run(command: Command, args: Sequence[str], prog_name: str = "ledger") -> int:
    """Runs the command line; a usage mistake or a refusal that escapes a command (a bad
    LEDGER_* setting, an argument refused while parsing) is one line and status 2."""
    try:
        result = command.main(list(args), prog_name=prog_name, standalone_mode=False)
    except NoArgsIsHelpError as exc:
        out.print(exc.ctx.get_help() if exc.ctx else "", highlight=False, markup=False)
        return 2
    except UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else prog_name
        err.print(
            f"[bold red]usage[/]: {escape(path)}: {escape(exc.format_message())} "
            f"(see {escape(path)} --help)",
            highlight=False,
        )
        return int(exc.exit_code)
    except ClickException as exc:
        err.print(f"[bold red]error[/]: {escape(exc.format_message())}", highlight=False)
        return int(exc.exit_code)
    except typer.Abort:
        err.print("aborted", highlight=False)
        return 1
    except LedgerError as exc:
        refuse(exc)
        return 3 if isinstance(exc, Unavailable) else 2
    except ValidationError as exc:  # a LEDGER_* variable of the wrong form
        wrong = "; ".join(
            f"LEDGER_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        err.print(f"[bold red]refused[/] (configuration): {escape(wrong)}", highlight=False)
        return 2
    return result if isinstance(result, int) else 0


def main() -> None:
    # `ledger audit verify|head` (the hash chain) before typer: `ledger audit USCC` takes
    # any first argument, and a USCC can never be one of those words (audit_chain).
    from ledger.cli.audit_chain import chain_app, routes_here

    args = sys.argv[1:]
    quiet_logs(args)
    if routes_here(args):
        chain = typer.main.get_command(chain_app)
        tidy_help(chain)
        sys.exit(run(chain, args[1:], prog_name="ledger audit"))
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

    command = typer.main.get_command(app)
    tidy_help(command)
    sys.exit(run(command, args))


def as_json(result: Any) -> None:
    out.print_json(data=result, default=str)
