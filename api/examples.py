"""Request examples for the OpenAPI document, taken from the seeds' worked examples.

The same figures as ``ledger demo`` (src/ledger/demo.py): Chifeng's 2020 reduction
(赤医保发〔2020〕3号), Lincang's deferral on application (临医保联发〔2020〕14号), Wuhai's
2022 deferral (内医保办发〔2022〕19号) and Jinan's written commitment (济医保发〔2022〕12号).
The identifiers carry valid check characters (GB 32100, GB 11643).
"""

from __future__ import annotations

from typing import Any

#: 赤峰市红山区示例商贸有限公司 (the Chifeng example unit)
CHIFENG_USCC = "91150402MA0N1CF000"
#: its first insured person, base 5,000.00
CHIFENG_PERSON = "150402198001010010"
#: 临沧市临翔区示例茶业有限公司 (the Lincang example unit)
LINCANG_USCC = "91530902MA6K1LC00J"

REGION: dict[str, Any] = {"code": "150400", "name": "赤峰市", "parent": "150000"}
FUND_MONTHS: dict[str, Any] = {"months": 10, "as_of": "2022-07-01"}
UNIT: dict[str, Any] = {
    "uscc": CHIFENG_USCC,
    "name": "赤峰市红山区示例商贸有限公司",
    "unit_type": "enterprise",
    "region": "150400",
    "agency": "150401",
    "unit_number": "N1CF000",
    "established_on": "2012-05-01",
}
CLASSIFICATION: dict[str, Any] = {
    "industry": "retail",
    "employees": 21,
    "revenue": "800",
    "classified_on": "2022-07-20",
}
ASSESSMENT: dict[str, Any] = {"period": "2020-02", "assessed_on": "2020-03-02"}
REVOCATION: dict[str, Any] = {"revoked_on": "2022-08-01"}
DEREGISTRATION: dict[str, Any] = {"requested_on": "2022-11-15"}
DEREGISTRATION_DONE: dict[str, Any] = {"completed_on": "2022-11-21"}
JOINING: dict[str, Any] = {
    "resident_id": CHIFENG_PERSON,
    "base": "5000.00",
    "joined_on": "2012-05-01",
}
BASE_CHANGE: dict[str, Any] = {
    "resident_id": CHIFENG_PERSON,
    "base": "5500.00",
    "since": "2020-07",
}
DEPARTURE: dict[str, Any] = {
    "resident_id": CHIFENG_PERSON,
    "trigger": "resignation",
    "left_on": "2022-10-20",
}
PAYMENT: dict[str, Any] = {"amount": "1350.00", "paid_on": "2020-03-10"}
PAYMENT_BY_ITEM: dict[str, Any] = {
    "amount": "2120.00",
    "paid_on": "2022-08-10",
    "items": [{"period": "2022-07", "part": "individual", "amount": "2120.00"}],
}
DEFERRAL_APPLICATION: dict[str, Any] = {
    "periods": "2020-05..2020-10",
    "applied_on": "2020-05-06",
    "attachments": ["书面申请", "资产负债表"],
}
DEFERRAL_DECISION: dict[str, Any] = {
    "approved": True,
    "decided_on": "2020-05-12",
    "approver": "赤峰市医疗保障局",
}
COMMITMENT: dict[str, Any] = {"months": ["2022-08", "2022-09", "2022-10"], "filed_on": "2022-09-30"}
COMMITMENT_REVIEW: dict[str, Any] = {"accepted": True, "reviewed_on": "2022-10-10"}
COMMITMENT_FALSE: dict[str, Any] = {"found_on": "2022-12-01"}
TOKEN: dict[str, Any] = {"role": "case_worker", "agency": "150401", "name": "王芳"}

#: 赤医保发〔2020〕3号 as in src/ledger/catalogue/data/chifeng-2020-3.toml, its reduction only
POLICY_TOML = """\
[document]
id = "chifeng-2020-3"
number = "赤医保发〔2020〕3号"
title = "赤峰市阶段性减征职工基本医疗保险费实施细则"
issuer = "赤峰市医疗保障局 赤峰市财政局 国家税务总局赤峰市税务局"
issued_on = 2020-03-13
enacted_on = 2020-03-13
version = 1
regions = ["1504"]
seed = "003_e7ba84c3f73a1978.txt"

[reduction]
source = "赤医保发〔2020〕3号 二 (2020年2月起企业单位缴费减半3个月, 只对6%部分)"
periods = "2020-02..2020-04"
eligible_unit_types = ["enterprise"]
shares = ["unit_medical"]
fraction = "0.5"
overpaid = "carry_forward"
"""
