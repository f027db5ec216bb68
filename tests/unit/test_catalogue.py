from __future__ import annotations

from datetime import date

import pytest

from ledger.catalogue.loader import load_default_catalogue, parse_catalogue_file
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet
from ledger.domain.errors import CatalogueError, RuleViolation
from ledger.domain.period import Period

JULY_2022 = Period(2022, 7)


def test_enacted_content_resolves_like_the_file_it_came_from() -> None:
    files = load_default_catalogue()
    recorded = [CatalogueFile.model_validate(f.content()) for f in files]

    from_files, from_record = PolicySet(files), PolicySet(recorded)

    for region in ("150300", "370100", "513322"):
        before = from_files.automatic_deferral(region, JULY_2022)
        after = from_record.automatic_deferral(region, JULY_2022)
        assert before is not None
        assert after is not None
        assert after.rule == before.rule
        assert isinstance(after.rule.repayment_deadline, date)


def test_inner_mongolia_deadline_overrides_the_national_notice_that_leaves_it_local() -> None:
    policies = PolicySet(load_default_catalogue())

    rule = policies.automatic_deferral("150300", JULY_2022)

    assert rule is not None
    assert rule.document.number == "内医保办发〔2022〕19号"
    assert rule.rule.repayment_deadline == date(2023, 6, 30)
    assert rule.rule.late_fee_from == date(2023, 7, 1)
    assert rule.rule.shift_if_first_paid == 1


def test_a_local_value_the_operator_did_not_supply_refuses_the_decision() -> None:
    files = [f for f in load_default_catalogue() if f.document.id != "locality"]
    policies = PolicySet(files)

    with pytest.raises(RuleViolation, match=r"医保发〔2022〕21号 leaves .*repayment_deadline"):
        policies.automatic_deferral("513322", JULY_2022)


def test_chifeng_rates_are_seven_percent_unit_and_two_percent_individual() -> None:
    policies = PolicySet(load_default_catalogue())

    rates = policies.rates("150402", Period(2020, 2)).rule

    assert (rates.unit_medical, rates.unit_maternity, rates.individual) == (
        rates.unit_medical.__class__("0.06"),
        rates.unit_maternity.__class__("0.01"),
        rates.individual.__class__("0.02"),
    )


def test_due_date_is_the_fifteenth_of_the_following_month() -> None:
    policies = PolicySet(load_default_catalogue())

    assert policies.due_date("150400", Period(2020, 12)) == date(2021, 1, 15)


def test_a_float_rate_in_a_catalogue_file_is_refused_naming_file_and_field() -> None:
    text = """
[document]
id = "x"
number = "X"
title = "t"
issuer = "i"
issued_on = 2020-01-01
enacted_on = 2020-01-01
version = 1
regions = [""]
[[rates]]
source = "s"
region = ""
since = "2020-01"
unit_medical = 0.07
unit_maternity = "0.01"
individual = "0.02"
"""
    with pytest.raises(CatalogueError, match=r"^bad\.toml: rates\.0\.unit_medical: .*strings"):
        parse_catalogue_file(text, "bad.toml")


def test_a_missing_document_number_is_refused_naming_the_field() -> None:
    text = '[document]\nid = "x"\n'

    with pytest.raises(CatalogueError, match=r"^x\.toml: document\.number"):
        parse_catalogue_file(text, "x.toml")


def test_a_policy_set_holding_two_versions_of_one_document_is_refused() -> None:
    # issue 13.5: a replay's set held both and the last silently won; the set itself now
    # refuses, whoever builds it (the API's inline files, a library caller)
    catalogue = {f.document.id: f for f in load_default_catalogue()}
    chifeng = catalogue["chifeng-2020-3"]
    content = chifeng.content()
    content["document"]["version"] = 2
    content["reduction"]["fraction"] = "0.4"
    amended = CatalogueFile.model_validate(content)

    with pytest.raises(CatalogueError) as refused:
        PolicySet([chifeng, amended])

    assert "chifeng-2020-3" in refused.value.message
    assert refused.value.field == "document.id"
    assert PolicySet([chifeng, chifeng]).files["chifeng-2020-3"] == chifeng  # the same file twice
