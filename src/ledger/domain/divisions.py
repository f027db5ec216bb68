"""Province-level administrative divisions: the first two digits of an area code.

A resident ID (GB 11643) begins with the six-digit code of the place where it was
issued, from GB/T 2260 (中华人民共和国行政区划代码), whose first two digits name the
province-level division. Codes of counties and prefectures change every year; those of
the 34 province-level divisions below have not changed since Chongqing's (50) in 1997,
and an ID keeps the code it was issued under, so these are what a plausible ID starts
with.
"""

from __future__ import annotations

__all__ = ["PERMITS", "PROVINCES"]

#: GB/T 2260: the 34 province-level divisions
_GB_T_2260 = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}

#: Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证申领发放
#: 办法, 国办发〔2018〕81号) carry an 18-digit number of the same form beginning 810000,
#: 820000 and 830000: Taiwan's residents hold 83, not GB/T 2260's 71.
PERMITS = {"83": "台湾居民居住证"}

PROVINCES: dict[str, str] = {**_GB_T_2260, **PERMITS}
