"""The case workers' everyday commands as forms: the fields, the API's request model, and
the API's own route function that runs it.

A form is submitted to the very function the API route is (``ledger.api.routers``), with
the body validated by the route's own model: the desk cannot drift from the API's rules
or use cases. (The route's dependencies, the role, the unit's agency, the actor and the
idempotency key, are resolved by ``ledger.api.desk.routers.commands`` with the API's
own functions.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger.api.auth import Principal
from ledger.api.desk.forms import Field
from ledger.api.desk.labels import TRIGGERS, UNIT_TYPES
from ledger.api.routers import commitments, deferrals, payments, persons, units
from ledger.api.schemas.commitments import CommitmentFiling
from ledger.api.schemas.deferrals import DeferralApplication
from ledger.api.schemas.payments import PaymentCollection
from ledger.api.schemas.persons import Departure, PersonJoining
from ledger.api.schemas.types import Command
from ledger.api.schemas.units import AssessmentRequest, UnitRegistration
from ledger.application import Actor, Ledger, Result


@dataclass(frozen=True, slots=True)
class Call:
    """What a command needs besides its body."""

    uscc: str
    principal: Principal
    actor: Actor
    key: str
    ledger: Ledger


@dataclass(frozen=True, slots=True)
class CommandForm:
    slug: str
    title: str
    fields: tuple[Field, ...]
    model: type[Command]
    run: Callable[[Call, Any], Result]
    #: what the page says once it is recorded
    done: str
    hint: str = ""


DATE_HINT = "YYYY-MM-DD"
RID = Field("resident_id", "居民身份号码", placeholder="18 位", hint="GB 11643，校验位将被核对")

REGISTER = CommandForm(
    "register",
    "参保登记",
    (
        Field("uscc", "统一社会信用代码", placeholder="18 位", hint="GB 32100，校验位将被核对"),
        Field("name", "单位名称"),
        Field("unit_type", "单位类型", "select", choices=tuple(UNIT_TYPES.items())),
        Field("region", "统筹地区代码", placeholder="150400"),
        Field("agency", "医保经办机构代码", readonly=True, hint="您所在的经办机构"),
        Field("unit_number", "医保单位编号", required=False),
        Field("established_on", "成立日期", "date", placeholder=DATE_HINT),
    ),
    UnitRegistration,
    lambda c, body: units.register_unit(body, c.principal, c.actor, c.key, c.ledger),
    "单位已登记",
)

JOIN = CommandForm(
    "persons",
    "人员参保",
    (
        RID,
        Field("base", "缴费基数（元/月）", placeholder="5000.00"),
        Field("joined_on", "参保日期", "date", placeholder=DATE_HINT),
    ),
    PersonJoining,
    lambda c, body: persons.join_person(c.uscc, body, c.actor, c.key, c.ledger),
    "人员已参保",
)

LEAVE = CommandForm(
    "departures",
    "人员减少",
    (
        RID,
        Field("trigger", "原因", "select", choices=tuple(TRIGGERS.items())),
        Field("left_on", "减少日期", "date", placeholder=DATE_HINT),
        Field("destination", "转往（关系转移时）", required=False),
    ),
    Departure,
    lambda c, body: persons.person_left(c.uscc, body, c.actor, c.key, c.ledger),
    "人员减少已记录",
    hint="离职、退休或关系转移：该人员的缓缴单位缴费随即到期（医保发〔2022〕21号）。",
)

ASSESS = CommandForm(
    "assessments",
    "核定征集",
    (
        Field("period", "费款所属期", placeholder="2022-07", hint="YYYY-MM"),
        Field("assessed_on", "核定日期", "date", placeholder=DATE_HINT),
    ),
    AssessmentRequest,
    lambda c, body: units.assess(c.uscc, body, c.actor, c.key, c.ledger),
    "已核定",
    hint="按月末在册人员及其当期缴费基数核定；已施行政策的减征、缓缴分拆随之决定。",
)

PAY = CommandForm(
    "payments",
    "缴费回传",
    (
        Field("amount", "金额（元）", placeholder="1350.00", hint="两位小数"),
        Field("paid_on", "缴费日期", "date", placeholder=DATE_HINT),
    ),
    PaymentCollection,
    lambda c, body: payments.collect_payment(c.uscc, body, c.actor, c.key, c.ledger),
    "缴费已记录",
    hint="未指明费款时按约定顺序冲抵：先未缓缴的个人部分、单位部分（所属期从早到晚），"
    "再提前到期的本金，再缓缴本金；多缴部分转入待转基金。",
)

DEFER = CommandForm(
    "deferral-applications",
    "申请缓缴",
    (
        Field("periods", "缓缴所属期", placeholder="2020-05..2020-10", hint="YYYY-MM..YYYY-MM"),
        Field("applied_on", "申请日期", "date", placeholder=DATE_HINT),
        Field(
            "attachments",
            "附件",
            "checkboxes",
            choices=(("书面申请", "书面申请"), ("资产负债表", "资产负债表")),
            default=("书面申请", "资产负债表"),
            required=False,
        ),
    ),
    DeferralApplication,
    lambda c, body: deferrals.apply_for_deferral(c.uscc, body, c.actor, c.key, c.ledger),
    "缓缴申请已记录",
    hint="2020 年申请缓缴：月数和最晚期限按本地区政策核对。",
)

COMMIT = CommandForm(
    "commitments",
    "提交承诺书",
    (
        Field("months", "缓缴月份", "list", placeholder="2022-08 2022-09 2022-10", hint="空格分隔"),
        Field("filed_on", "提交日期", "date", placeholder=DATE_HINT),
    ),
    CommitmentFiling,
    lambda c, body: commitments.file_commitment(c.uscc, body, c.actor, c.key, c.ledger),
    "承诺书已提交",
    hint="无法通过数据划型的单位以承诺书申请 2022 年缓缴（济医保发〔2022〕12号）。",
)

#: the commands on a unit, in the order the unit's page offers them
UNIT_COMMANDS = {c.slug: c for c in (PAY, ASSESS, JOIN, LEAVE, DEFER, COMMIT)}
