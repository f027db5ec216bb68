"""What a newly enacted, amended or revoked document decides, measure by measure.

The enactment of a document decides retroactively on the periods already assessed (a
reduction enacted in March halves February) and on eligibility for a deferral; an
amendment or a revocation compensates what the document decided (see each measure's
``compensate``). Used by the ledger's enactment use cases for every unit of the
document's regions, and by the replay for the one unit it holds.
"""

from __future__ import annotations

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.unit import Unit
from ledger.measures import application_deferral, automatic_deferral, reduction
from ledger.measures.context import Change, Context


def decide_on_enactment(
    unit: Unit,
    file: CatalogueFile,
    policies: PolicySet,
    fund_months: int | None,
    ctx: Context,
) -> None:
    """Retroactivity: what a newly enacted document decides on a unit's assessed periods
    (a reduction, and the credit it frees) and on its eligibility for a deferral."""
    if file.reduction is not None:
        reduction.decide_on_enactment(unit, policies, ctx)
    if file.automatic_deferral is not None:
        automatic_deferral.consider(unit, policies, fund_months, ctx, file.document.id)


def compensate_amendment(
    unit: Unit,
    replaced: CatalogueFile,
    file: CatalogueFile,
    policies: PolicySet,
    fund_months: int | None,
    change: Change,
    ctx: Context,
) -> None:
    """Reversals of what the replaced version decided, and the amended decisions."""
    if replaced.application_deferral != file.application_deferral:
        application_deferral.check_compensable(unit, change)
    if replaced.reduction is not None or file.reduction is not None:
        reduction.compensate(unit, policies, change, ctx)
    if replaced.automatic_deferral is not None or file.automatic_deferral is not None:
        automatic_deferral.compensate(unit, policies, fund_months, change, ctx)


def compensate_revocation(
    unit: Unit, file: CatalogueFile, fund_months: int | None, change: Change, ctx: Context
) -> None:
    """Reversals of what the revoked document decided for periods from ``change.since``."""
    if file.application_deferral is not None:
        application_deferral.check_compensable(unit, change)
    if file.reduction is not None:
        reduction.compensate(unit, None, change, ctx)
    if file.automatic_deferral is not None:
        automatic_deferral.compensate(unit, None, fund_months, change, ctx)
