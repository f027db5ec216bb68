"""The desk's Chinese words for the ledger's codes: event types, parts, states, roles.

A code without a word here is shown as it is (a new event type is never hidden).
"""

from __future__ import annotations

EVENTS = {
    "Registered": "参保登记",
    "Classified": "企业划型",
    "CommitmentFiled": "提交承诺书",
    "CommitmentReviewed": "承诺书审核",
    "CommitmentFoundFalse": "承诺不实",
    "PersonJoined": "人员参保",
    "BaseChanged": "缴费基数变更",
    "PersonLeft": "人员减少",
    "PeriodAssessed": "核定征集",
    "AssessmentRevoked": "撤销核定",
    "PaymentCollected": "缴费回传",
    "DeregistrationRequested": "申请注销",
    "DeregistrationCompleted": "注销完成",
    "DeferralApplied": "申请缓缴",
    "ReductionApplied": "减征",
    "RefundOwed": "退费",
    "CreditCarriedForward": "转入待转基金",
    "CreditApplied": "待转基金冲抵",
    "DeferralGranted": "准予缓缴",
    "DeferralShifted": "缓缴期顺延",
    "DeferralRefused": "不予缓缴",
    "AssessmentSplit": "分拆核定",
    "DeferredAmountCalledDue": "缓缴费款提前到期",
    "ReductionReversed": "冲正减征",
    "RefundReversed": "冲正退费",
    "CreditCarriedForwardReversed": "冲正待转基金",
    "CreditAppliedReversed": "冲正待转基金冲抵",
    "DeferralWithdrawn": "撤回缓缴",
    "DeferralRefusalWithdrawn": "撤回不予缓缴",
}

PARTS = {
    "unit_medical": "单位医疗",
    "unit_maternity": "单位生育",
    "individual": "个人",
}

UNIT_TYPES = {
    "enterprise": "企业",
    "individual_business": "以单位方式参保的个体工商户",
    "social_organisation": "社会组织",
    "government_organ": "机关",
    "public_institution": "事业单位",
}

ROLES = {"case_worker": "经办人员", "inspector": "稽核人员", "admin": "管理员"}

#: the rights record's states of a part and of the personal-account credit
STATES = {
    "paid": "已缴",
    "reduced_paid": "减征后已缴",
    "deferred": "缓缴（视同缴费）",
    "called_due": "提前到期",
    "unpaid": "未缴",
    "credited": "已划入",
    "back_credited": "已补划",
    "withheld": "暂停划入",
    "pending": "待划入",
    "no_rule": "无划入规则",
}

TRIGGERS = {"resignation": "离职", "retirement": "退休", "transfer": "关系转移"}

REPLAY_STATES = {"queued": "排队中", "running": "运行中", "done": "已完成", "failed": "失败"}

REMINDER_KINDS = {"deferred": "缓缴期满", "called_due": "提前到期"}

LEVELS = {
    "agency": "经办机构",
    "county": "县（区）",
    "prefecture": "市",
    "province": "省",
    "total": "合计",
}

#: the replay's measures
MEASURES = {
    "assessed": "核定",
    "reduced": "减征",
    "refunded": "退费",
    "carried_forward": "转入待转基金",
    "credit_held": "待转基金余额",
    "late_fee": "滞纳金",
    "outstanding": "欠费",
    "deferred": "缓缴",
    "called_due": "提前到期",
}

#: the words of codes that mean one thing wherever they appear (a reminder's kind
#: ``deferred`` is not a month's state ``deferred``: reports look those up by column)
ALL = {
    **EVENTS,
    **PARTS,
    **UNIT_TYPES,
    **ROLES,
    **STATES,
    **TRIGGERS,
    **REPLAY_STATES,
    **MEASURES,
}


def label(code: object) -> str:
    """The Chinese word for a code, or the code itself."""
    text = str(getattr(code, "value", code))
    return ALL.get(text, text)
