"""A unit's and a person's reads as tables, each described once: the balance (its
items), the personal-rights record (个人权益记录, its months) and the audit trails.

Their JSON documents are what the API's response models describe; their columns are
what a terminal, a CSV file and a workbook show. A case worker's scope (``agency`` in
the query) limits a person's record and trail to the months and events of their
agency's units.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ledger.clocks import CST, ReadClocks
from ledger.domain.errors import NotFound
from ledger.domain.identifiers import mask_resident_id, parse_resident_id
from ledger.domain.money import format_money
from ledger.domain.terms import Part
from ledger.projections.audit import AuditLine, person_trail, unit_trail
from ledger.projections.balance_view import AMOUNTS, ItemLine, UnitBalanceView, unit_balance_view
from ledger.projections.rights import RightsMonth, rights_record, units_by_id
from ledger.projections.store import ViewStore
from ledger.reports.model import (
    Cell,
    Column,
    Kind,
    PlainDocument,
    Query,
    Reads,
    Report,
    Table,
    context,
    plain,
)

# ---------------------------------------------------------------- balance

_AMOUNT_HEADERS = {
    "assessed": ("核定金额", "assessed"),
    "reduced": ("减征金额", "reduced"),
    "paid": ("已缴金额", "paid"),
    "credit_applied": ("冲抵金额", "credit applied"),
    "refunded": ("退费金额", "refunded"),
    "carried_forward": ("转入待转基金", "to credit"),
    "deferred": ("缓缴金额", "deferred"),
    "called_due": ("提前到期金额", "called due"),
    "outstanding": ("欠缴金额", "owed"),
    "overdue": ("逾期金额", "overdue"),
    "late_fee": ("滞纳金", "late fee"),
}

BALANCE_COLUMNS = (
    Column("period", "所属期", "period"),
    Column("part", "缴费项目", "part"),
    Column("due_date", "核定应缴日期", "due date", Kind.DATE),
    Column("due_now", "现应缴日期", "due now", Kind.DATE),
    *(Column(a, *_AMOUNT_HEADERS[a], Kind.MONEY) for a in AMOUNTS),
    Column("deadline", "缓缴期限", "deferred until", Kind.DATE),
    Column("called_due_on", "提前到期日", "called due on", Kind.DATE),
)


def _item_cells(item: ItemLine) -> tuple[Cell, ...]:
    return (
        str(item.period),
        item.part.value,
        item.due_date,
        item.due_now,
        *(getattr(item, a) for a in AMOUNTS),
        item.deadline,
        item.called_due_on,
    )


def _iso(value: date) -> str:
    return value.isoformat()


def _json_of(annotation: str) -> Callable[[Any], Any]:
    """How :func:`plain` makes a value of an ``ItemLine`` field JSON, by its annotation."""
    converters: dict[str, Callable[[Any], Any]] = {
        "Decimal": format_money,
        "date": _iso,
        "Period": str,
        "Part": _part_value,
    }
    return converters[annotation.removesuffix(" | None")]


def _part_value(part: Part) -> str:
    return part.value


#: each field of an item and how it is made JSON (as ``plain`` would, without its walk)
_ITEM_JSON = tuple((f.name, _json_of(str(f.type))) for f in dataclasses.fields(ItemLine))


def item_document(item: ItemLine) -> dict[str, Any]:
    """An item of the balance as JSON values: ``plain({**fields, "due_now": ...})``, made
    field by field (the balance is the most-read document: walking it cost a third of
    its rendering)."""
    document: dict[str, Any] = {}
    for name, convert in _ITEM_JSON:
        value = getattr(item, name)
        document[name] = None if value is None else convert(value)
    document["due_now"] = item.due_now.isoformat()
    return document


def _balance(reads: Reads, q: Query) -> Table:
    at = q.clocks()
    view = unit_balance_view(
        reads.store, q.subject, clocks=at, policies=reads.policies(at.known_at)
    )
    return balance_table(view, at)


def balance_table(view: UnitBalanceView, at: ReadClocks) -> Table:
    """The balance report's table of a unit's balance view (read with the clocks ``at``)."""
    totals = balance_totals(view)
    document = balance_document(view, totals)
    return Table(
        BALANCE,
        f"{view.uscc} {view.name} ({at.caption()})",
        [_item_cells(i) for i in view.items],
        document,
        f"balance-{view.uscc}-{view.as_of}",
        total=("合计", "", None, None, *totals.values(), None, None),
        notes=(
            f"credit held (待转基金): {format_money(view.credit_held)}; late fee "
            f"{view.daily_rate} a day ({view.late_fee_rule.split(': ')[0]}); 'due now' is "
            "the deadline while deferred, the day called due once called",
        ),
        context=context(uscc=view.uscc, name=view.name, as_of=view.as_of, known_at=view.known_at),
    )


def balance_totals(view: UnitBalanceView) -> dict[str, Decimal]:
    """Each amount summed over the items, in ``AMOUNTS`` order."""
    return {name: view.total(name) for name in AMOUNTS}


def balance_document(view: UnitBalanceView, totals: dict[str, Decimal]) -> PlainDocument:
    """The balance's JSON document (what the API's ``Balance`` model describes): the one
    thing a JSON read of the balance needs of its table."""
    return PlainDocument(
        uscc=view.uscc,
        name=view.name,
        region=view.region,
        agency=view.agency,
        as_of=view.as_of.isoformat(),
        known_at=plain(view.known_at),
        daily_rate=str(view.daily_rate),
        late_fee_rule=view.late_fee_rule,
        items=[item_document(i) for i in view.items],
        credit_held=format_money(view.credit_held),
        totals={name: format_money(amount) for name, amount in totals.items()},
    )


BALANCE = Report(
    "balance",
    "单位缴费明细",
    "unit balance",
    "社会保险法 第八十六条 (滞纳金); the seeds' assessment, reduction and deferral rules",
    BALANCE_COLUMNS,
    ("as_of", "known_at"),
    _balance,
    terminal=("period", "part", "due_now", *AMOUNTS),
    always=frozenset({"assessed", "paid", "outstanding", "late_fee"}),
)

# ----------------------------------------------------------------- rights

RIGHTS_COLUMNS = (
    Column("period", "所属期", "period"),
    Column("uscc", "统一社会信用代码", "USCC"),
    Column("unit_name", "单位名称", "unit name", Kind.TEXT),
    Column("base", "缴费基数", "base", Kind.MONEY),
    Column("declared_base", "申报缴费基数", "declared", Kind.MONEY),
    Column("individual", "个人缴费", "individual", Kind.MONEY),
    Column("individual_state", "个人缴费状态", "paid?"),
    Column("unit_part", "单位缴费", "unit part", Kind.MONEY),
    Column("unit_reduction", "单位减征", "reduced", Kind.MONEY),
    Column("unit_state", "单位缴费状态", "unit state"),
    Column("in_arrears", "欠费", "arrears"),
    Column("credit", "划入个人账户", "credit", Kind.MONEY),
    Column("credit_state", "划账状态", "credit state"),
    Column("credited_on", "划账日期", "credited on", Kind.DATE),
    Column("continuous_months", "连续参保月数", "continuous", Kind.COUNT),
)


def _month_cells(m: RightsMonth) -> tuple[Cell, ...]:
    return (
        str(m.period),
        m.uscc,
        m.unit_name,
        m.base,
        m.declared_base,
        m.individual,
        m.individual_state.value,
        m.unit_part,
        m.unit_reduction,
        m.unit_state.value,
        "yes" if m.in_arrears else "",
        m.credit,
        m.credit_state.value,
        m.credited_on,
        m.continuous_months,
    )


def _rights(reads: Reads, q: Query) -> Table:
    rid = parse_resident_id(q.subject, plausible=False)
    at = q.clocks()
    record = rights_record(
        reads.store, rid, clocks=at, policies=reads.policies(at.known_at), agency=q.agency
    )
    months = record.months
    if q.agency is not None:
        agencies = {
            uscc: unit.agency
            for uscc in {m.uscc for m in months}
            if (unit := reads.store.unit_by_uscc(uscc)) is not None
        }
        months = [m for m in months if agencies.get(m.uscc) == q.agency]
        if not months:
            # Not whether, nor how long, the person is insured elsewhere.
            raise NotFound(
                f"no insured month of {mask_resident_id(rid)} in agency {q.agency}'s units",
                field="resident_id",
            )
    document = {
        "resident_id": rid,
        "as_of": record.as_of,
        "known_at": record.known_at,
        "months": months,
        "continuous_months": record.continuous_months,
        "withheld_months": len(record.months) - len(months),
    }
    return Table(
        RIGHTS,
        f"{rid} ({at.caption()})",
        [_month_cells(m) for m in months],
        document,
        f"rights-{mask_resident_id(rid)}-{record.as_of}".replace("*", "x"),
        notes=(f"continuous months of insurance: {record.continuous_months}",),
        context=context(resident_id=rid, as_of=record.as_of, known_at=record.known_at),
    )


RIGHTS = Report(
    "rights-record",
    "个人权益记录",
    "personal rights record",
    "临医保联发〔2020〕14号 四(三) (做好个人权益记录); 内医保办发〔2022〕19号 三(三)2",
    RIGHTS_COLUMNS,
    ("as_of", "known_at"),
    _rights,
    terminal=tuple(c.key for c in RIGHTS_COLUMNS if c.key != "unit_name"),
)

# ------------------------------------------------------------------ audit

AUDIT_COLUMNS = (
    Column("recorded_at", "记录时间", "recorded (CST)"),
    Column("on", "业务日期", "on", Kind.DATE),
    Column("version", "版本", "v", Kind.COUNT),
    Column("type", "事件", "event"),
    Column("actor", "操作人", "actor", Kind.TEXT),
    Column("reason", "原因", "reason", Kind.TEXT),
    Column("request_id", "请求号", "request id", Kind.TEXT),
    Column("cited", "政策文件", "policy", Kind.TEXT),
    Column("policy", "政策依据", "policy paragraph", Kind.TEXT),
    Column("caused_by", "起因", "caused by", Kind.TEXT),
    Column("what", "内容", "what", Kind.TEXT),
)

#: fields an audit line's summary leaves out: bulky, or shown in a column of their own
_LEFT_OUT = {"rates", "decided_on", "resident_id"}
_COUNTED = {"lines", "by_person", "content"}


def summary(detail: dict[str, Any]) -> str:
    """What an event recorded, in one cell: item rows as "period part amount"."""
    parts = []
    for key, value in detail.items():
        if key in _LEFT_OUT:
            continue
        if key in _COUNTED:
            parts.append(f"{key}={value if isinstance(value, int) else len(value)}")
        elif isinstance(value, list) and value and isinstance(value[0], list):
            parts.append(f"{key}=" + "; ".join(" ".join(map(str, row)) for row in value))
        elif value not in ("", [], None, False):
            parts.append(f"{key}={value}")
    return ", ".join(parts)


def _trail_cells(line: AuditLine) -> tuple[Cell, ...]:
    e = line.entry
    return (
        e.recorded_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
        line.on,
        e.version,
        e.type,
        e.actor,
        e.reason,
        e.request_id,
        e.policy.split(": ")[0],
        e.policy,
        e.caused_by,
        summary(e.detail),
    )


def _trail_line(line: AuditLine) -> dict[str, Any]:
    e = line.entry
    return {
        "recorded_at": e.recorded_at,
        "on": line.on,
        "originator_id": str(e.originator_id),
        "version": e.version,
        "type": e.type,
        "actor": e.actor,
        "reason": e.reason,
        "request_id": e.request_id,
        "document": e.document,
        "policy": e.policy,
        "caused_by": e.caused_by,
        "detail": e.detail,
    }


def _trail_table(
    report: Report, subject: str, trail: list[AuditLine], q: Query, named: str
) -> Table:
    return Table(
        report,
        f"audit of {subject}",
        [_trail_cells(line) for line in trail],
        {"subject": subject, "lines": [_trail_line(line) for line in trail]},
        # a file's name travels in headers and logs: a resident ID only masked
        f"audit-{named}".replace("*", "x"),
        context=context(
            subject=subject,
            as_of=q.as_of,
            known_at=q.known_at,
            kinds=" ".join(q.kinds or ()),
            since=q.since,
            until=q.until,
        ),
    )


def _unit_trail(reads: Reads, q: Query) -> Table:
    trail = unit_trail(
        reads.store,
        q.subject,
        as_of=q.as_of,
        known_at=q.known_at,
        kinds=q.kinds,
        since=q.since,
        until=q.until,
    )
    return _trail_table(UNIT_TRAIL, q.subject, trail, q, q.subject)


def _person_trail(reads: Reads, q: Query) -> Table:
    rid = parse_resident_id(q.subject, plausible=False)
    trail = person_trail(
        reads.store,
        rid,
        as_of=q.as_of,
        known_at=q.known_at,
        kinds=q.kinds,
        since=q.since,
        until=q.until,
    )
    if q.agency is not None:
        units = units_by_id(reads.store, {line.entry.originator_id for line in trail}, None)
        trail = [
            line
            for line in trail
            if (u := units.get(line.entry.originator_id)) is not None and u.agency == q.agency
        ]
    if not trail and not _person_seen(reads.store, rid, q.known_at, q.agency):
        # A trail the filters empty is an empty trail; a person the ledger never saw (in
        # the reader's agency, for a case worker: the same answer, so that no desk learns
        # whether someone is insured elsewhere) is not found, as their rights record is.
        where = f" in agency {q.agency}'s units" if q.agency is not None else ""
        raise NotFound(
            f"no event names the person {mask_resident_id(rid)}{where}", field="resident_id"
        )
    return _trail_table(PERSON_TRAIL, rid, trail, q, mask_resident_id(rid))


def _person_seen(store: ViewStore, rid: str, known_at: datetime | None, agency: str | None) -> bool:
    """Whether any event recorded by ``known_at`` names the person (joined, left, a
    part called due) or assesses them, in ``agency``'s units when one is given."""
    seen = {e.originator_id for e in store.audit(resident_id=rid, known_at=known_at)}
    seen |= {line.unit_id for line in store.person_lines(resident_id=rid, known_at=known_at)}
    if agency is None or not seen:
        return bool(seen)
    return any(u.agency == agency for u in units_by_id(store, seen, None).values())


_TRAIL_FILTERS = ("kind", "since", "until", "as_of", "known_at")
_TRAIL_TERMINAL = ("recorded_at", "on", "version", "type", "actor", "reason", "cited", "what")

UNIT_TRAIL = Report(
    "audit-trail",
    "单位审计轨迹",
    "unit audit trail",
    "every event of the unit, in recorded order",
    AUDIT_COLUMNS,
    _TRAIL_FILTERS,
    _unit_trail,
    terminal=_TRAIL_TERMINAL,
    wrap="what",
)

PERSON_TRAIL = Report(
    "person-audit-trail",
    "个人审计轨迹",
    "person audit trail",
    "every event naming the person, in recorded order",
    AUDIT_COLUMNS,
    _TRAIL_FILTERS,
    _person_trail,
    terminal=_TRAIL_TERMINAL,
    wrap="what",
)


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}
