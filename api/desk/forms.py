"""Forms of the desk: what each field is, what was typed, and why it was refused.

A form's fields become the API's request body (the same pydantic model, so the same
validation), and a refusal, by the model or by the ledger, is shown beside the field it
names (``field`` of the error), or above the form when it names none of them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from ledger.api.deps import KEY_PATTERN
from ledger.api.problems import ApiProblem
from ledger.domain.errors import Conflict, LedgerError, NotFound, RuleViolation

#: where a refusal that names no field of the form is shown
FORM = ""
KEY_FIELD = "idempotency_key"
REASON_FIELD = "reason"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    #: text | date | select | checkboxes | list (words separated by spaces or commas)
    kind: str = "text"
    hint: str = ""
    placeholder: str = ""
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()
    default: str | tuple[str, ...] = ""
    readonly: bool = False


@dataclass(slots=True)
class FormState:
    """What the form shows: the values typed, the errors per field, the idempotency key."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def typed(form: FormData, fields: Iterable[Field]) -> dict[str, Any]:
    """The values as typed, to show the form again."""
    values: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkboxes":
            values[f.name] = [str(v) for v in form.getlist(f.name)]
        else:
            raw = form.get(f.name)
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
    return values


def received(form: FormData, fields: Sequence[Field]) -> FormState:
    """What was sent: the values typed, and the form's idempotency key. A key no form of
    the desk could have made is refused above the form (with a fresh one to send again)."""
    key = str(form.get(KEY_FIELD) or "")
    state = FormState(values=typed(form, fields), key=key)
    if re.fullmatch(KEY_PATTERN, key) is None:
        state.key = uuid.uuid4().hex
        state.refuse(FORM, "表单已过期，请再提交一次")
    return state


def body_of(values: dict[str, Any], fields: Iterable[Field]) -> dict[str, Any]:
    """The request body the API would have been sent: empty fields left out (the model's
    defaults apply, or it refuses the field as missing), lists split."""
    body: dict[str, Any] = {}
    for f in fields:
        value = values.get(f.name)
        if f.kind == "list":
            value = [w for w in re.split(r"[\s,，、]+", value or "") if w]
        if value in ("", [], None):
            continue  # the model says whether it was required ("missing")
        body[f.name] = value
    return body


#: Chinese for the API's validation rules (pydantic's error types and ours)
RULES = {
    "missing": "必填",
    "money_string": "金额写作两位小数，如 1350.00",
    "decimal_string": "写作数字，如 4500",
    "date": "日期写作 YYYY-MM-DD",
    "period": "所属期写作 YYYY-MM",
    "period_range": "写作 YYYY-MM..YYYY-MM，如 2020-05..2020-10",
    "string_too_short": "必填",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不符",
    "enum": "请从列表中选择",
    "literal_error": "请从列表中选择",
    "too_short": "至少填写一项",
    "too_long": "项数过多",
    "list_type": "至少填写一项",
    "value_error": "输入有误",
}


def validation_errors(exc: ValidationError, state: FormState, names: Sequence[str]) -> None:
    for error in exc.errors():
        loc = error.get("loc", ())
        name = str(loc[0]) if loc and str(loc[0]) in names else FORM
        kind = str(error.get("type", ""))
        words = RULES.get(kind, "输入有误")
        state.refuse(name, f"{words}（{error.get('msg', '')}）")


def _heading(exc: LedgerError | ApiProblem) -> str:
    if isinstance(exc, ApiProblem):
        return "无权操作" if exc.status == 403 else "请求有误"
    if isinstance(exc, RuleViolation):
        return "政策或法律规则不允许"
    if isinstance(exc, Conflict):
        return "与已记录的内容冲突"
    if isinstance(exc, NotFound):
        return "未找到"
    return "输入有误"


def refusal(exc: LedgerError | ApiProblem, state: FormState, names: Sequence[str]) -> None:
    """A refusal of the ledger (or the API's rules) beside the field it names."""
    # The API's 403 for another agency names the rule, not a field: the agency field.
    named = (exc.field or exc.rule).split(".")[0].split("[")[0]
    rule = f"，规则 {exc.rule}" if exc.rule else ""
    detail = exc.message if isinstance(exc, LedgerError) else exc.detail
    state.refuse(named if named in names else FORM, f"{_heading(exc)}{rule}：{detail}")
