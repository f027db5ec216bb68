"""``ledger audit verify`` and ``ledger audit head``: the hash chain from the command line.

``ledger audit USCC`` (a unit's trail, :mod:`ledger.cli.reads`) takes a USCC as its
first argument; a USCC is 18 upper-case letters and digits, so it can never be the
word ``verify`` or ``head``. :func:`ledger.cli.main` sends those two words here
before typer parses anything, and every other ``ledger audit …`` to the trail.

Exit status: 0 the chains hold; 1 a link is broken (the first broken link of each
broken chain is printed); 2 refused (a bad option or anchor file); 3 the store
cannot be reached.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ledger.chain.links import Head
from ledger.cli import err, out, refusals_exit
from ledger.domain.errors import InvalidValue

__all__ = ["WORDS", "chain_app"]

#: the words after ``ledger audit`` that mean the chain, not a unit
WORDS = ("verify", "head")

chain_app = typer.Typer(
    name="audit",
    help="The hash chain of the stored events: verify it, print its heads to anchor them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

Format = Annotated[str, typer.Option("--format", help="table or json.")]


def routes_here(args: Sequence[str]) -> bool:
    """Whether a command line (without the program name) is ``audit verify|head …``."""
    return len(args) >= 2 and args[0] == "audit" and args[1] in WORDS


@chain_app.command("verify")
@refusals_exit
def verify(
    region: Annotated[
        str | None, typer.Option("--region", help="Only this chain (a region code, or global).")
    ] = None,
    anchor: Annotated[
        Path | None,
        typer.Option("--anchor", help="Heads published earlier (ledger audit head --format json)."),
    ] = None,
    output: Format = "table",
) -> None:
    """Recompute every link of every chain (or one region's) and name the first broken one.

    Also checks that each chain ends at its stored head and passes through the
    anchored heads, if given."""
    from ledger.chain.verify import verify as walk_chains
    from ledger.cli.app import ledger

    anchors = _anchors(anchor) if anchor else {}
    shape = _format(output)
    app = ledger()
    try:
        report = walk_chains(app, only=region, anchors=anchors)
    finally:
        app.close()
    if shape == "json":
        out.print_json(
            data={
                "intact": report.intact,
                "verified": report.verified,
                "total": report.total,
                "unchained_events": report.unchained,
                "breaks": [vars(b) for b in report.breaks],
            }
        )
    elif report.intact:
        chains = ", ".join(f"{name} {count}" for name, count in report.verified.items())
        out.print(
            f"chain intact: {report.total} links verified in {len(report.verified)} "
            f"chain(s) ({chains or 'none'})",
            highlight=False,
        )
    else:
        for broken in report.breaks:
            err.print(
                f"[bold red]broken[/]: {escape(broken.describe())}",
                highlight=False,
                soft_wrap=True,  # one line per break, whatever the width: grep-able
            )
        if report.unchained > 1:
            err.print(f"{report.unchained} events in all are without a link", highlight=False)
    if not report.intact:
        raise typer.Exit(1)


@chain_app.command("head")
@refusals_exit
def head(output: Format = "table") -> None:
    """Each chain's head (length, last notification id, hash): publish these elsewhere
    (a signed e-mail, another system, print) so a rewrite of the whole chain shows."""
    from ledger.chain.verify import heads
    from ledger.cli.app import ledger

    shape = _format(output)
    app = ledger()
    try:
        found = heads(app)
    finally:
        app.close()
    if shape == "json":
        out.print_json(data=[_head_json(h) for h in found])
        return
    table = Table("chain", "length", "notification id", "hash")
    for h in found:
        table.add_row(h.chain, str(h.length), str(h.notification_id), h.hash.hex())
    out.print(table)


def _head_json(h: Head) -> dict[str, Any]:
    return {
        "chain": h.chain,
        "length": h.length,
        "notification_id": h.notification_id,
        "hash": h.hash.hex(),
    }


def _anchors(path: Path) -> dict[str, Head]:
    """Heads from a file written by ``ledger audit head --format json``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = {
            d["chain"]: Head(
                str(d["chain"]),
                int(d["length"]),
                int(d["notification_id"]),
                bytes.fromhex(d["hash"]),
            )
            for d in data
        }
    except OSError as exc:
        raise InvalidValue(f"anchor file {path}: {exc.strerror}", field="anchor") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidValue(
            f"anchor file {path}: not the output of `ledger audit head --format json` ({exc})",
            field="anchor",
        ) from None
    return found


def _format(text: str) -> str:
    if text not in ("table", "json"):
        raise InvalidValue(f"format {text!r} is not one of table, json", field="format")
    return text
