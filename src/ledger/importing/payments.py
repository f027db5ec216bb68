"""Payment rows (征收回传): ``uscc,period,part,amount,paid_on``, what the tax bureau collected.

A unit's rows paid on one day are one payment that names the items it settles.
Each payment is recorded with an idempotency record whose key is derived from
its content (unit, day, and the sorted items), saved in the same atomic save as
the unit, so importing the same file again finds the key and changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.domain.command import CommandRecord
from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.money import ZERO, format_money, money
from ledger.domain.period import Period
from ledger.domain.region import command_id, unit_id
from ledger.domain.terms import Part
from ledger.domain.unit import Unit
from ledger.importing.common import Context, Lookups, check_unit
from ledger.importing.csvfile import UnitRecords
from ledger.importing.outcome import Rejection, Status, UnitOutcome, rejected, unit_rejected

REQUIRED = ("uscc", "period", "part", "amount", "paid_on")
OPTIONAL: tuple[str, ...] = ()
COMMAND = "import_payment"


@dataclass(slots=True)
class Payment:
    """The rows of one unit paid on one day: one PaymentCollected."""

    first_line: int
    items: list[tuple[Period, Part, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((amount for _, _, amount in self.items), ZERO)

    def key(self, uscc: str, paid_on: date) -> str:
        """Idempotency key: the same rows (in any order) give the same key."""
        rows = sorted(f"{p}|{part.value}|{format_money(a)}" for p, part, a in self.items)
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:32]
        return f"import:payment:{uscc}:{paid_on}:{digest}"


@dataclass(slots=True)
class PaymentPlan:
    group: UnitRecords
    uscc: str
    payments: dict[date, Payment]

    def ids(self) -> list[Any]:
        keys = [p.key(self.uscc, on) for on, p in self.payments.items()]
        return [unit_id(self.uscc), *(command_id(k) for k in keys)]


def _part(text: str) -> Part:
    try:
        return Part(text.strip())
    except ValueError:
        raise InvalidValue(
            f"part {text.strip()!r} is not unit_medical, unit_maternity or individual"
        ) from None


def parse(
    group: UnitRecords, columns: dict[str, int], width: int, lookups: Lookups
) -> PaymentPlan | UnitOutcome:
    """Checks every row of a unit; the plan, or the unit's rejection naming each bad row."""
    uscc = check_unit(group)
    if isinstance(uscc, UnitOutcome):
        return uscc
    i_period, i_part, i_amount, i_on = (columns[c] for c in REQUIRED[1:])
    payments: dict[date, Payment] = {}
    seen: dict[tuple[date, Period, Part], int] = {}
    bad: list[Rejection] = []
    for line, fields, problem in group.records():
        if problem:
            bad.append(Rejection(line, uscc, problem))
            continue
        if len(fields) != width:
            bad.append(Rejection(line, uscc, f"has {len(fields)} fields, the header {width}"))
            continue
        try:
            period = lookups.period(fields[i_period])
            part = _part(fields[i_part])
            amount = money(fields[i_amount].strip())
            if amount <= ZERO:
                raise InvalidValue(f"amount {amount} must be positive")
            paid_on = lookups.date(fields[i_on], "paid_on")
        except LedgerError as exc:
            bad.append(Rejection(line, uscc, exc.message))
            continue
        first = seen.setdefault((paid_on, period, part), line)
        if first != line:
            bad.append(
                Rejection(
                    line,
                    uscc,
                    f"duplicate row: {period} {part.value} paid on {paid_on} is already on "
                    f"line {first}",
                )
            )
            continue
        payments.setdefault(paid_on, Payment(line)).items.append((period, part, amount))
    if bad:
        return UnitOutcome(Status.rejected, group.count, bad)
    return PaymentPlan(group, uscc, payments)


def apply(plan: PaymentPlan, loaded: dict[Any, Any], ctx: Context) -> UnitOutcome:
    """Records each payment not yet recorded (by its key), oldest day first."""
    group = plan.group
    unit: Unit | None = loaded.get(unit_id(plan.uscc))
    if unit is None:
        return unit_rejected(group, f"unit {plan.uscc} is not registered")
    saved: list[Any] = []
    for paid_on in sorted(plan.payments):
        payment = plan.payments[paid_on]
        key = payment.key(plan.uscc, paid_on)
        if command_id(key) in loaded:
            continue
        total = payment.total
        try:
            ctx.ledger.record_payment(unit, paid_on, total, payment.items, ctx.actor)
        except LedgerError as exc:
            return rejected(group, payment.first_line, f"paid on {paid_on}: {exc.message}")
        saved.append(
            CommandRecord._create(
                CommandRecord.Recorded,
                id=command_id(key),
                key=key,
                command=COMMAND,
                fingerprint=key.rsplit(":", 1)[1],
                result={
                    "command": COMMAND,
                    "uscc": plan.uscc,
                    "paid_on": str(paid_on),
                    "amount": format_money(total),
                    "items": len(payment.items),
                },
            )
        )
    if not saved:
        return UnitOutcome(Status.unchanged, group.count)
    return UnitOutcome(Status.written, group.count, saved=[unit, *saved])
