"""Payments decided one after another by one thread and saved together.

The lean payment (``ledger.api.lean_payment``) hands the plain payments that arrive
together to one thread-pool trip (``ledger.api.batches``), where
``collect_payments`` asks the store once for every look-up they make (each token
still active, each key's record, each kept unit's events since:
``ledger.usecases.lookahead``), decides each in turn (``decide_payment``: the same
use case, the same refusals), saves all that were decided in one transaction
(``GroupCommit.save_apart``, split as a group is when one fails) and then finishes
each (its unit kept, its log line). One thread hand-over, one round trip of look-ups
and one transaction for the lot, where each payment alone took a thread of its own, its
own look-ups and a wait for its group.

What each payment gets is what ``collect_payment`` would give it: its first result if
its key was recorded, its refusal, or its result once its events committed. A
payment whose save lost a race (another process saved its unit, or its key, first)
is run again alone through ``collect_payment``, which replays or decides afresh, as
after any lost race. Each runs in its request's own log context.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from eventsourcing.persistence import IntegrityError

from ledger.domain.period import Period
from ledger.domain.region import command_id
from ledger.domain.token import Token
from ledger.usecases.assessments import AssessmentCases
from ledger.usecases.base import Actor, Result
from ledger.usecases.lookahead import Ask
from ledger.usecases.stored import Decided, StoredSaver, StoredUnits
from ledger.usecases.tokens import TokenCases

__all__ = ["PaymentAsked", "PaymentsTogether", "Revoked"]


class Revoked(Exception):
    """The token was revoked since it was kept: nothing was decided for it."""


@dataclass(frozen=True, slots=True)
class PaymentAsked:
    """One plain payment, as ``collect_payment`` takes it, by a kept token."""

    token: Token
    uscc: str
    paid_on: date
    amount: Decimal
    items: list[tuple[Period, str, Decimal]] | None
    actor: Actor
    key: str
    #: the request's context (its log bindings), in which the payment runs
    context: contextvars.Context

    def asks(self, units: object) -> list[Ask]:
        """What the payment will look up before it decides."""
        asks = [Ask(self.token.id, self.token.version, 1), Ask(command_id(self.key), 0)]
        if isinstance(units, StoredUnits) and (unit := units.ask_ahead(self.uscc)):
            asks.append(unit)
        return asks


Outcome = Result | Exception


class PaymentsTogether(AssessmentCases, TokenCases):
    def collect_payments(self, asked: Sequence[PaymentAsked]) -> list[Outcome]:
        """Each payment's result or the exception it raised, in the order asked. The
        payments name distinct units and keys (``ledger.api.batches`` sees to it)."""
        mine = [p.asks(self.ports.units) for p in asked]
        answers = self.lookahead.asked([a for asks in mine for a in asks])
        outcomes: list[Outcome | Decided] = []
        for payment, asks in zip(asked, mine, strict=True):
            with self.lookahead.answering({a: answers[a] for a in asks}):
                try:
                    outcomes.append(payment.context.run(self._decided, payment))
                except Exception as exc:  # its refusal, answered to it alone
                    outcomes.append(exc)
        pending = [(n, o) for n, o in enumerate(outcomes) if isinstance(o, Decided)]
        errors = self.group_commit.save_apart([d.events for _, d in pending])
        saver = self.ports.saver
        assert isinstance(saver, StoredSaver)
        for (n, decided), error in zip(pending, errors, strict=True):
            payment = asked[n]
            if error is not None and not isinstance(error, IntegrityError):
                outcomes[n] = error
                continue
            try:
                if error is None:
                    outcomes[n] = payment.context.run(saver.committed, decided)
                else:  # it lost a race: decided again alone, as after any lost race
                    outcomes[n] = payment.context.run(self._alone, payment)
            except Exception as exc:  # its own, whatever befalls the others
                outcomes[n] = exc
        done: list[Outcome] = []
        for outcome in outcomes:
            assert not isinstance(outcome, Decided), "every payment decided was saved or not"
            done.append(outcome)
        return done

    def _decided(self, payment: PaymentAsked) -> Result | Decided:
        if not self.still_active(payment.token):
            raise Revoked
        p = payment
        return self.decide_payment(p.uscc, p.paid_on, p.amount, p.actor, p.items, p.key)

    def _alone(self, payment: PaymentAsked) -> Result:
        p = payment
        return self.collect_payment(p.uscc, p.paid_on, p.amount, p.actor, p.items, p.key)
