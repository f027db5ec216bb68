"""Code words of the domain shared by the rules and the aggregates."""

from __future__ import annotations

from enum import StrEnum


class UnitType(StrEnum):
    """单位类型, in the words of the seeds."""

    enterprise = "enterprise"
    individual_business = "individual_business"  # 以单位方式参保的个体工商户
    social_organisation = "social_organisation"  # 社会团体, 基金会, 社会服务机构, 律所, 会计所
    government_organ = "government_organ"  # 机关
    public_institution = "public_institution"  # 事业单位


class Part(StrEnum):
    """The three parts of a person's monthly contribution (单位医疗, 单位生育, 个人)."""

    unit_medical = "unit_medical"
    unit_maternity = "unit_maternity"
    individual = "individual"


#: the unit part (单位缴费): what the 2022 deferral defers
UNIT_PARTS = (Part.unit_medical, Part.unit_maternity)
#: payment allocation order without instructions: individual before unit (DOMAIN.md)
ALLOCATION_ORDER = (Part.individual, Part.unit_medical, Part.unit_maternity)


class Trigger(StrEnum):
    """What calls a deferred amount due (医保发〔2022〕21号 四; 济医保发〔2022〕12号 附件)."""

    resignation = "resignation"
    retirement = "retirement"
    transfer = "transfer"
    deregistration = "deregistration"
    false_commitment = "false_commitment"


class ClassSource(StrEnum):
    """Where a unit's size class comes from (医保发〔2022〕21号 三)."""

    data = "data"
    commitment = "commitment"


class DeferralKind(StrEnum):
    automatic = "automatic"  # 2022, 免申即享
    commitment = "commitment"  # 2022, 承诺书
    application = "application"  # 2020, 申请缓缴
