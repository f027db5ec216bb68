"""``ledger token``: bearer tokens of the HTTP API, issued, listed and revoked here.

The CLI is where the first administrator's token comes from: whoever runs it on the
store's host already holds the store.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli import out, refusals_exit
from ledger.cli.app import ActorOpt, KeyOpt, ReasonOpt, actor, app, ledger

token_app = typer.Typer(help="Bearer tokens of the HTTP API.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
@refusals_exit
def token_create(
    role: Annotated[str, typer.Option(help="case_worker | inspector | admin")],
    agency: Annotated[str, typer.Option(help="The case worker's agency code.")] = "",
    name: Annotated[str, typer.Option(help="Who holds it (recorded as the actor).")] = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Issue a token and print it once: only its SHA-256 digest is stored."""
    issued = ledger().issue_token(
        role=role, agency=agency, name=name, actor=actor(who, why), key=key
    )
    if issued.secret is None:
        out.print(
            f"token {issued.token_id} was already issued under key {key!r}; it cannot be "
            "shown again: revoke it and create another",
            highlight=False,
        )
        raise typer.Exit(1)
    out.print(f"token id {issued.token_id} ({issued.role.value}, {issued.name})", highlight=False)
    out.print(issued.secret, highlight=False, soft_wrap=True)


@token_app.command("revoke")
@refusals_exit
def token_revoke(
    token_id: str, who: ActorOpt = "", why: ReasonOpt = "", key: KeyOpt = None
) -> None:
    """Revoke a token by its id: it answers 401 from now on."""
    ledger().revoke_token(token_id, actor(who, why), key)
    out.print(f"token {token_id} revoked", highlight=False)


@token_app.command("list")
@refusals_exit
def token_list() -> None:
    """Every token issued (ids, roles, agencies; never the tokens)."""
    for t in ledger().list_tokens():
        state = f"revoked {t.revoked_on:%Y-%m-%d}" if t.revoked_on else "active"
        out.print(
            f"{t.id}  {t.role.value:11} {t.agency or '-':10} {t.name}  "
            f"issued {t.created_on:%Y-%m-%d}  {state}",
            highlight=False,
        )
