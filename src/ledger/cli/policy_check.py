"""``ledger policy check``: what enacting documents would change, before anyone does.

    ledger policy check examples/policy-history/wuhai-2023-deferral.toml
    ledger policy check --dir NEW_NOTICES --format json

A dry run over the recorded facts: each document is checked against the enacted ones
(an overlap without ``supersedes`` and a version not newer are refused, exit 2, as
``policy enact`` would refuse them) and its decisions are computed on every unit of its
regions, unit by unit and period by period. Nothing is written.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ledger.cli import out, refusals_exit
from ledger.cli.app import (
    ActorOpt,
    CatalogueDir,
    CatalogueFiles,
    PackagedCatalogue,
    actor,
    chosen_catalogue,
    ledger,
    policy_app,
)
from ledger.cli.render import describe
from ledger.projections.audit import decision_detail
from ledger.usecases.policies import DocumentPreview


@policy_app.command("check")
@refusals_exit
def policy_check(
    files: CatalogueFiles = None,
    directory: CatalogueDir = None,
    default: PackagedCatalogue = False,
    fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    who: ActorOpt = "",
) -> None:
    """Show what enacting the documents would change, unit by unit; nothing is written."""
    if fmt not in ("text", "json"):
        raise typer.BadParameter(f"--format {fmt!r}: text or json")
    catalogue = chosen_catalogue(files, directory, default)
    previews = ledger().check_policies(catalogue, actor(who, "policy check (dry run)"))
    if fmt == "json":
        detail = [p.as_dict(decision_detail) for p in previews]
        out.print_json(json.dumps(detail, ensure_ascii=False, default=str))
        return
    for preview in previews:
        _print(preview)
    out.print("Nothing was written (a dry run).", markup=False)


def _print(preview: DocumentPreview) -> None:
    doc = preview.document
    out.print(f"{doc.number} v{doc.version} ({doc.id}): {preview.status}", markup=False)
    if preview.status == "unchanged":
        out.print("  already enacted with this version and content: nothing changes", markup=False)
        return
    for line in preview.rules_on:
        out.print(f"  rules on {line}", markup=False)
    out.print(
        f"  units examined: {preview.units_examined}; "
        f"units it would record decisions on: {len(preview.units)}",
        markup=False,
    )
    for unit in preview.units:
        out.print(f"  {unit.uscc} {unit.name} ({unit.region})", markup=False)
        for event in unit.events:
            policy = getattr(event, "policy", "")
            cited = f"  <- {policy.split(': ')[0]}" if policy else ""
            line = f"    {type(event).__name__:<24} {describe(event)}{cited}"
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    if preview.assessed_before:
        periods = ", ".join(f"{p}: {n}" for p, n in preview.assessed_before.items())
        out.print(
            "  already assessed in periods whose rates, due dates, base limits or fixed "
            f"amounts it rules on (units per period): {periods}; those assessments keep "
            "the values they were made with (revoke and assess again to apply it)",
            markup=False,
            soft_wrap=True,
        )
