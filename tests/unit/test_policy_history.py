"""Rules over time: every kind of rule resolved for a region and a period (or a day),
several documents of one kind side by side across the years, overlaps refused.

The documents here are small invented ones (``doc``); the packaged catalogue's own are
used where a seed's behaviour is the point.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger.catalogue.loader import load_catalogue_dir, load_default_catalogue, parse_catalogue_file
from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import PolicySet, check_compatible
from ledger.domain.errors import CatalogueError, Conflict, RuleViolation
from ledger.domain.latefee import DailyRates
from ledger.domain.period import Period
from ledger.domain.policy import upgrade_content
from ledger.domain.terms import Part

WUHAI, JINAN, CHIFENG = "150300", "370100", "150400"


def doc(
    doc_id: str, regions: list[str], supersedes: list[str] | None = None, **rules: Any
) -> CatalogueFile:
    """A catalogue file built from plain data, as a TOML file would give it."""
    return CatalogueFile.model_validate(
        {
            "document": {
                "id": doc_id,
                "number": f"{doc_id} number",
                "title": "t",
                "issuer": "i",
                "issued_on": "2020-01-01",
                "enacted_on": "2020-01-01",
                "version": 1,
                "regions": regions,
                "supersedes": supersedes or [],
            },
            **rules,
        }
    )


def deferral(periods: str, deadline: str = "2030-12-31") -> dict[str, Any]:
    return {
        "source": "s",
        "fund_months_above": 6,
        "eligible_unit_types": ["enterprise"],
        "eligible_size_classes": ["small"],
        "periods": periods,
        "parts": ["unit_medical"],
        "repayment_deadline": deadline,
        "late_fee_from": deadline,
    }


def rates(region: str, since: str, unit_medical: str) -> dict[str, str]:
    return {
        "source": "s",
        "region": region,
        "since": since,
        "unit_medical": unit_medical,
        "unit_maternity": "0.00",
        "individual": "0.02",
    }


# ----------------------------------------------------------------- resolution


def test_two_deferrals_of_one_region_each_rule_on_their_own_periods() -> None:
    policies = PolicySet(
        [
            doc("d2022", ["15"], automatic_deferral=deferral("2022-07..2022-09")),
            doc("d2024", ["15"], automatic_deferral=deferral("2024-01..2024-03")),
        ]
    )

    in_2022 = policies.automatic_deferral(WUHAI, Period(2022, 8))
    in_2024 = policies.automatic_deferral(WUHAI, Period(2024, 2))
    between = policies.automatic_deferral(WUHAI, Period(2023, 5))

    assert (in_2022 and in_2022.document.id, in_2024 and in_2024.document.id) == ("d2022", "d2024")
    assert between is None
    assert [c.document.id for c in policies.automatic_deferrals(WUHAI)] == ["d2022", "d2024"]


def test_a_new_provincial_notice_applies_where_the_citys_own_file_is_not_in_force() -> None:
    """Jinan's own 2022 file is more specific than a Shandong notice, but only for 2022's
    periods: a 2023 provincial notice rules on Jinan's 2023 months."""
    policies = PolicySet(
        [
            doc("jinan-2022", ["3701"], automatic_deferral=deferral("2022-07..2022-09")),
            doc("shandong-2023", ["37"], automatic_deferral=deferral("2023-01..2023-03")),
        ]
    )

    for period, expected in ((Period(2022, 7), "jinan-2022"), (Period(2023, 1), "shandong-2023")):
        cited = policies.automatic_deferral(JINAN, period)
        assert cited is not None
        assert cited.document.id == expected


def test_the_most_specific_document_in_force_wins_and_the_national_one_elsewhere() -> None:
    policies = PolicySet(load_default_catalogue())

    in_wuhai = policies.automatic_deferrals(WUHAI)
    in_ganzi = policies.automatic_deferrals("513322")

    assert [c.document.id for c in in_wuhai] == ["inner-mongolia-2022-19"]
    assert [c.document.id for c in in_ganzi] == ["national-2022-21"]


def test_a_rate_applies_from_its_period_until_the_next_entry_in_any_document() -> None:
    policies = PolicySet(
        [
            doc("locality", [""], rates=[rates("1503", "2022-01", "0.07")]),
            doc("wuhai-2024", ["1503"], rates=[rates("1503", "2024-01", "0.075")]),
        ]
    )

    december = policies.rates(WUHAI, Period(2023, 12))
    january = policies.rates(WUHAI, Period(2024, 1))

    assert (december.document.id, december.rule.unit_medical) == ("locality", Decimal("0.07"))
    assert (january.document.id, january.rule.unit_medical) == ("wuhai-2024", Decimal("0.075"))


def test_a_region_entry_outranks_a_national_one_that_starts_later() -> None:
    policies = PolicySet(
        [doc("a", [""], rates=[rates("1503", "2022-01", "0.07"), rates("", "2023-01", "0.06")])]
    )

    assert policies.rates(WUHAI, Period(2023, 6)).rule.unit_medical == Decimal("0.07")
    assert policies.rates(CHIFENG, Period(2023, 6)).rule.unit_medical == Decimal("0.06")


def test_no_rule_of_a_kind_for_a_period_is_refused_naming_region_and_period() -> None:
    policies = PolicySet([doc("a", [""], rates=[rates("1503", "2022-01", "0.07")])])

    with pytest.raises(RuleViolation, match="no contribution rates for region 150300 in 2021-12"):
        policies.rates(WUHAI, Period(2021, 12))


def test_late_fees_are_counted_at_the_rate_of_each_day() -> None:
    count = {"source": "s", "day_count": "after_due_through_payment"}
    law = count | {"since": "2011-07-01", "daily_rate": "0.0005"}
    changed = count | {"since": "2024-01-01", "daily_rate": "0.0003"}
    policies = PolicySet([doc("law", [""], late_fee=law), doc("law-2024", [""], late_fee=changed)])
    rates_of_wuhai = policies.daily_rates(WUHAI)

    # 2023-12-22..2024-01-10: 10 days at 0.05% and 10 at 0.03% on 1,000.00 = 5.00 + 3.00
    fee = rates_of_wuhai.fee(Decimal("1000.00"), date(2023, 12, 21), date(2024, 1, 10))

    assert fee == Decimal("8.00")
    assert policies.late_fee(WUHAI, date(2023, 12, 31)).document.id == "law"
    assert policies.late_fee(WUHAI, date(2024, 1, 1)).document.id == "law-2024"


def test_one_daily_rate_gives_the_laws_principal_times_rate_times_days() -> None:
    rates_ = DailyRates.flat(Decimal("0.0005"))

    assert rates_.fee(Decimal("10000.00"), date(2023, 6, 30), date(2023, 7, 31)) == Decimal(
        "155.00"
    )
    assert rates_.fee(Decimal("10000.00"), date(2023, 6, 30), date(2023, 6, 30)) == Decimal("0.00")


# ------------------------------------------------------------------ overlaps


def test_two_documents_ruling_on_the_same_region_and_periods_are_refused_naming_both() -> None:
    files = [
        doc("d2022", ["15"], automatic_deferral=deferral("2022-07..2022-09")),
        doc("other", ["15"], automatic_deferral=deferral("2022-09..2022-12")),
    ]

    with pytest.raises(Conflict) as refused:
        check_compatible(files)

    assert "d2022 (d2022 number) and other (other number)" in refused.value.message
    assert "automatic_deferral" in refused.value.message
    assert refused.value.field == "document.supersedes"


def test_a_document_that_supersedes_the_other_takes_over_where_both_rule() -> None:
    old = doc("d2022", ["15"], automatic_deferral=deferral("2022-07..2022-09"))
    new = doc("d2022b", ["15"], ["d2022"], automatic_deferral=deferral("2022-09..2022-12"))

    check_compatible([old, new])
    policies = PolicySet([old, new])

    september = policies.automatic_deferral(WUHAI, Period(2022, 9))
    july = policies.automatic_deferral(WUHAI, Period(2022, 7))
    assert (september and september.document.id, july and july.document.id) == ("d2022b", "d2022")


def test_two_rates_from_the_same_month_for_one_region_are_refused() -> None:
    files = [
        doc("locality", [""], rates=[rates("1503", "2024-01", "0.07")]),
        doc("wuhai-2024", ["1503"], rates=[rates("1503", "2024-01", "0.075")]),
    ]

    with pytest.raises(Conflict, match=r"locality .* and wuhai-2024 .* both rule on rates"):
        check_compatible(files)


def test_documents_of_other_regions_or_other_periods_do_not_overlap() -> None:
    check_compatible(
        [
            doc("a", ["15"], automatic_deferral=deferral("2022-07..2022-09")),
            doc("b", ["3701"], automatic_deferral=deferral("2022-07..2022-09")),
            doc("c", ["15"], automatic_deferral=deferral("2022-10..2022-12")),
            doc("d", [""], automatic_deferral=deferral("2022-07..2022-09")),
        ]
    )


def test_the_packaged_catalogue_holds_no_overlap() -> None:
    check_compatible(load_default_catalogue())


def test_a_directory_with_overlapping_documents_is_refused_naming_both_files(
    tmp_path: Any,
) -> None:
    for name, periods in (("a", "2022-07..2022-09"), ("b", "2022-08..2022-10")):
        (tmp_path / f"{name}.toml").write_text(_deferral_toml(name, periods), encoding="utf-8")

    with pytest.raises(
        CatalogueError, match=r"a \(A\) and b \(B\) both rule on automatic_deferral"
    ):
        load_catalogue_dir(tmp_path)


def header(doc_id: str, number: str, region: str, day: str) -> str:
    """A catalogue file's [document] table, as a TOML file says it."""
    return (
        f'[document]\nid = "{doc_id}"\nnumber = "{number}"\ntitle = "t"\nissuer = "i"\n'
        f'issued_on = {day}\nenacted_on = {day}\nversion = 1\nregions = ["{region}"]\n'
    )


def _deferral_toml(doc_id: str, periods: str) -> str:
    return (
        header(doc_id, doc_id.upper(), "15", "2022-06-30")
        + f"""
[automatic_deferral]
source = "s"
fund_months_above = 6
eligible_unit_types = ["enterprise"]
eligible_size_classes = ["small"]
periods = "{periods}"
parts = ["unit_medical"]
repayment_deadline = 2023-06-30
late_fee_from = 2023-07-01
"""
    )


# ------------------------------------------------- base limits, fixed amounts


LIMITS_TOML = (
    header("limits", "L", "1503", "2024-01-01")
    + """
[[base_limits]]
source = "s"
region = "1503"
since = "2024-01"
floor = "{floor}"
ceiling = "{ceiling}"
"""
)


def test_a_base_is_held_between_the_floor_and_the_ceiling_in_force() -> None:
    file = parse_catalogue_file(LIMITS_TOML.format(floor="4200", ceiling="21000.00"), "l.toml")
    policies = PolicySet([file])

    limits = policies.base_limits(WUHAI, Period(2024, 3))

    assert limits is not None
    assert (limits.rule.floor, limits.rule.ceiling) == (Decimal("4200.00"), Decimal("21000.00"))
    assert [limits.rule.hold(Decimal(b)) for b in ("3000.00", "5000.00", "30000.00")] == [
        Decimal("4200.00"),
        Decimal("5000.00"),
        Decimal("21000.00"),
    ]
    assert policies.base_limits(WUHAI, Period(2023, 12)) is None


def test_a_ceiling_under_the_floor_is_refused_naming_file_and_field() -> None:
    text = LIMITS_TOML.format(floor="21000.00", ceiling="4200.00")

    with pytest.raises(
        CatalogueError, match=r"^l\.toml: base_limits\.0: ceiling 4200\.00 is under"
    ):
        parse_catalogue_file(text, "l.toml")


def test_a_fixed_amount_with_three_decimals_is_refused_naming_file_and_field() -> None:
    text = LIMITS_TOML.split("[[base_limits]]")[0] + (
        '[[fixed_amounts]]\nsource = "s"\nregion = "1503"\nsince = "2024-01"\n'
        'part = "individual"\namount = "5.005"\n'
    )

    with pytest.raises(CatalogueError, match=r"^f\.toml: fixed_amounts\.0\.amount: .*two decimals"):
        parse_catalogue_file(text, "f.toml")


def test_fixed_amounts_are_resolved_per_part() -> None:
    fixed = {"source": "s", "region": "1503", "since": "2024-01", "part": "individual"}
    policies = PolicySet([doc("f", ["1503"], fixed_amounts=[fixed | {"amount": "5.00"}])])

    found = policies.fixed_amounts(WUHAI, Period(2024, 1))

    assert {part: c.rule.amount for part, c in found.items()} == {Part.individual: Decimal("5.00")}
    assert policies.fixed_amounts(WUHAI, Period(2023, 12)) == {}


def test_content_recorded_before_rules_were_period_aware_is_read_as_it_was_meant() -> None:
    """A ledger enacted by an earlier version keeps its policies readable (the policy
    events' upcaster): the late fee from the document's enactment, an application rule for
    its year's periods."""
    files = {f.document.id: f.content() for f in load_default_catalogue()}
    law, lincang = files["national-late-fee"], files["lincang-2020-14"]
    del law["late_fee"]["since"]
    del lincang["application_deferral"]["periods"]

    for content in (law, lincang):
        upgrade_content(content)
    read = [CatalogueFile.model_validate(c) for c in (law, lincang)]

    assert read[0].late_fee is not None
    assert read[0].late_fee.since == date(2011, 7, 1)
    assert read[1].application_deferral is not None
    assert str(read[1].application_deferral.periods) == "2020-01..2020-12"


def test_a_revoked_document_rules_on_the_periods_before_its_revocation() -> None:
    files = [
        doc("locality", [""], rates=[rates("1503", "2022-01", "0.07")]),
        doc("wuhai-2024", ["1503"], rates=[rates("1503", "2024-01", "0.075")]),
        doc("d2022", ["15"], automatic_deferral=deferral("2022-07..2022-09")),
    ]
    policies = PolicySet(files, {"wuhai-2024": date(2024, 6, 15), "d2022": date(2022, 8, 1)})

    in_may, in_july = policies.rates(WUHAI, Period(2024, 5)), policies.rates(WUHAI, Period(2024, 7))
    july, august = (policies.automatic_deferral(WUHAI, Period(2022, m)) for m in (7, 8))

    # June began before the revocation: it keeps the 2024 rates; July has the older ones again
    assert (in_may.document.id, in_july.document.id) == ("wuhai-2024", "locality")
    assert policies.rates(WUHAI, Period(2024, 6)).document.id == "wuhai-2024"
    assert (july and july.document.id, august) == ("d2022", None)
    assert "d2022" not in policies
    assert [d.id for d in policies.documents()] == ["locality"]
