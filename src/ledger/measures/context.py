"""What every decision carries: who caused it, with which fact, on which business date,
under which policy; and what a compensating decision names besides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.catalogue.model import Rule
from ledger.catalogue.policyset import Cited
from ledger.domain import itemrows
from ledger.domain.period import Period
from ledger.domain.state import Deferral
from ledger.domain.unit import Unit


@dataclass(frozen=True, slots=True)
class Context:
    """Who caused the decision, and with which fact and business date."""

    actor: str
    reason: str
    request_id: str
    on: date
    caused_by: str

    def meta(self) -> dict[str, str]:
        return {"actor": self.actor, "reason": self.reason, "request_id": self.request_id}


#: what a decision cites: a rule of an enacted document, the deferral it belongs to,
#: or a (document, policy) pair already recorded
Source = Cited[Rule] | Deferral | tuple[str, str] | None


#: item amounts as events store them (ledger.domain.itemrows)
rows = itemrows.encode_amounts


def decide(
    unit: Unit, event: type[Unit.Decision], source: Source, ctx: Context, **kw: object
) -> None:
    """Records a decision with its citation, cause, business date and metadata."""
    if source is None:
        document, policy = "", ""
    elif isinstance(source, Deferral):
        document, policy = source.document, source.policy
    elif isinstance(source, tuple):
        document, policy = source
    else:
        document, policy = source.document.id, source.citation
    unit.trigger_event(
        event,
        document=document,
        policy=policy,
        caused_by=ctx.caused_by,
        decided_on=ctx.on,
        **ctx.meta(),
        **kw,
    )


@dataclass(frozen=True, slots=True)
class Change:
    """What replaces a document's decisions, and from which period on.

    ``superseded_by`` is recorded in every reversal ("赤医保发〔2020〕3号 v2", or
    "赤医保发〔2020〕3号 v1 revoked from 2020-04-01"); ``since`` is the first period a
    revocation touches (None: an amendment touches every period).
    """

    document: str
    superseded_by: str
    since: Period | None = None

    def touches(self, period: Period) -> bool:
        return self.since is None or period >= self.since


def reverse(
    unit: Unit,
    event: type[Unit.Reversal],
    policy: str,
    change: Change,
    ctx: Context,
    **kw: object,
) -> None:
    """Records a compensating decision: it cites the version reversed and what replaced it."""
    decide(unit, event, (change.document, policy), ctx, superseded_by=change.superseded_by, **kw)
