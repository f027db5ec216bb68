"""The application: one method per use case.

Each use case validates its input, loads what it needs, records the fact, lets
the decider record the decisions, and saves everything (with the idempotency
record) in one atomic save(): a refused command writes nothing, a retried one
returns its first result. The use cases live in ``ledger.usecases``, grouped by
what they act on; ``Ledger`` composes them.

What the use cases load and save through are ports (``ledger.usecases.ports``), given
when the ledger is made: ``ledger.bootstrap`` gives the store's (``stored_ports``, also
the default), a replay its scratch ones (``ledger.replay.scratch``).
"""

from __future__ import annotations

from ledger.usecases.assessments import AssessmentCases
from ledger.usecases.base import Actor, DateAsISO, LedgerBase, PortsOf, Result, Saved
from ledger.usecases.deferrals import DeferralCases
from ledger.usecases.policies import PolicyCases
from ledger.usecases.regions import RegionCases
from ledger.usecases.stored import stored_ports
from ledger.usecases.together import PaymentsTogether
from ledger.usecases.tokens import TokenCases
from ledger.usecases.units import UnitCases

__all__ = ["Actor", "DateAsISO", "Ledger", "LedgerBase", "Result", "Saved"]


class Ledger(
    PaymentsTogether,
    RegionCases,
    PolicyCases,
    UnitCases,
    AssessmentCases,
    DeferralCases,
    TokenCases,
):
    """The write side of one pooling region's (or one store's) ledger."""

    # The stored table is named after the application: keep it whatever the class is.
    name = "ledger"

    def __init__(self, env: dict[str, str] | None = None, *, ports: PortsOf = stored_ports) -> None:
        super().__init__(env, ports=ports)
