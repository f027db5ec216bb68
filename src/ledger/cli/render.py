"""Terminal rendering of what the ledger recorded for a unit: its events and items."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ledger.domain.money import format_money
from ledger.domain.unit import Unit

#: bulky or repeated fields left out of the one-line description
_HIDDEN = {
    "originator_id",
    "originator_version",
    "timestamp",
    "actor",
    "reason",
    "request_id",
    "originator_topic",
    "policy",
    "caused_by",
    "document",
    "lines",
    "by_person",
}


def describe(event: Any) -> str:
    """One line saying what an event recorded, in the event's own terms."""
    fields = {k: v for k, v in vars(event).items() if k not in _HIDDEN}
    if "lines" in vars(event):
        fields["persons"] = len(event.lines)
    if "by_person" in vars(event):
        fields["persons"] = len({row[0] for row in event.by_person})
    for name in ("totals", "items", "allocations"):
        if name in fields:
            fields[name] = "; ".join(f"{p} {part} {a}" for p, part, a in fields[name])
    return ", ".join(f"{k}={v}" for k, v in fields.items() if v not in ("", [], None))


def render_history(console: Console, events: list[Any]) -> None:
    """One line per event: version, type, what it recorded, and the policy it applied."""
    for event in events:
        policy = getattr(event, "policy", "")
        cited = f"  <- {policy.split(': ')[0]}" if policy else ""
        line = f"{event.originator_version:>4} {type(event).__name__:<24} {describe(event)}{cited}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def render_items(console: Console, unit: Unit) -> None:
    """The unit's assessment items as the write side holds them (not the read-side view)."""
    table = Table(title=f"items of {unit.uscc}", title_justify="left", box=None)
    for column in (
        "period",
        "part",
        "assessed",
        "reduced",
        "paid",
        "credit",
        "refund",
        "to credit",
        "owed",
        "due",
        "deferred to",
        "called",
    ):
        table.add_column(column, justify="right" if column not in ("period", "part") else "left")
    for (period, part), item in sorted(unit.items.items()):
        table.add_row(
            str(period),
            part.value,
            format_money(item.assessed),
            format_money(item.reduced),
            format_money(item.paid),
            format_money(item.credit_applied),
            format_money(item.refunded),
            format_money(item.carried_forward),
            format_money(item.outstanding),
            str(item.due_date),
            str(item.deferred_until or ""),
            format_money(item.called_due_open) if item.called_due_open else "",
        )
    console.print(table)
    if unit.credit:
        console.print(f"credit held (待转基金): {format_money(unit.credit)}")
