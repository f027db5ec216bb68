"""SME size classes per 工信部联企业〔2011〕300号, and the table's loader."""

from __future__ import annotations

import doctest
from datetime import date
from decimal import Decimal

import pytest

from ledger.catalogue.size_table import default_size_table
from ledger.domain import sizeclass as sizeclass_module
from ledger.domain.errors import CatalogueError, InvalidValue
from ledger.domain.sizeclass import (
    Indicator,
    Industry,
    SizeClass,
    SizeTable,
    classify,
    load_size_table,
)

# The table as DOMAIN.md transcribes it, to catch a slip in the data file:
# industry -> (ceiling, medium floor, small floor), indicators in employees/revenue/assets order.
E, R, A = Indicator.EMPLOYEES, Indicator.REVENUE, Indicator.ASSETS
EXPECTED_ROWS: dict[Industry, tuple[dict[Indicator, int], ...]] = {
    Industry.AGRICULTURE: ({R: 20000}, {R: 500}, {R: 50}),
    Industry.INDUSTRY: ({E: 1000, R: 40000}, {E: 300, R: 2000}, {E: 20, R: 300}),
    Industry.CONSTRUCTION: ({R: 80000, A: 80000}, {R: 6000, A: 5000}, {R: 300, A: 300}),
    Industry.WHOLESALE: ({E: 200, R: 40000}, {E: 20, R: 5000}, {E: 5, R: 1000}),
    Industry.RETAIL: ({E: 300, R: 20000}, {E: 50, R: 500}, {E: 10, R: 100}),
    Industry.TRANSPORT: ({E: 1000, R: 30000}, {E: 300, R: 3000}, {E: 20, R: 200}),
    Industry.WAREHOUSING: ({E: 200, R: 30000}, {E: 100, R: 1000}, {E: 20, R: 100}),
    Industry.POSTAL: ({E: 1000, R: 30000}, {E: 300, R: 2000}, {E: 20, R: 100}),
    Industry.LODGING_CATERING: ({E: 300, R: 10000}, {E: 100, R: 2000}, {E: 10, R: 100}),
    Industry.TELECOM: ({E: 2000, R: 100000}, {E: 100, R: 1000}, {E: 10, R: 100}),
    Industry.SOFTWARE_IT: ({E: 300, R: 10000}, {E: 100, R: 1000}, {E: 10, R: 50}),
    Industry.REAL_ESTATE_DEVELOPMENT: (
        {R: 200000, A: 10000},
        {R: 1000, A: 5000},
        {R: 100, A: 2000},
    ),
    Industry.PROPERTY_MANAGEMENT: ({E: 1000, R: 5000}, {E: 300, R: 1000}, {E: 100, R: 500}),
    Industry.LEASING_BUSINESS_SERVICES: ({E: 300, A: 120000}, {E: 100, A: 8000}, {E: 10, A: 100}),
    Industry.OTHER: ({E: 300}, {E: 100}, {E: 10}),
}

RETAIL_ROW = "medium_floor = { employees = 50, revenue = 500 }"


@pytest.fixture(scope="module")
def table() -> SizeTable:
    return default_size_table()


@pytest.fixture(scope="module")
def packaged_text() -> str:
    from importlib.resources import files

    return (files("ledger.catalogue") / "data" / "size_classes.toml").read_text(encoding="utf-8")


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(sizeclass_module)

    assert result.attempted > 0
    assert result.failed == 0


def test_packaged_table_cites_its_document(table: SizeTable) -> None:
    document = table.document

    assert document == "工信部联企业〔2011〕300号"
    assert table.issued == date(2011, 6, 18)
    assert table.issuers == ("工业和信息化部", "国家统计局", "国家发展和改革委员会", "财政部")
    assert table.source == "size_classes.toml"


@pytest.mark.parametrize("industry", list(Industry))
def test_packaged_table_matches_the_document(table: SizeTable, industry: Industry) -> None:
    row = table.thresholds(industry)

    actual = tuple(
        {bound.indicator: bound.value for bound in bounds}
        for bounds in (row.sme_ceiling, row.medium_floor, row.small_floor)
    )

    assert actual == EXPECTED_ROWS[industry]
    assert row.name
    assert row.paragraph.startswith("第四条")


def test_there_are_fifteen_industries() -> None:
    count = len(Industry)

    assert count == 15


@pytest.mark.parametrize(
    ("industry", "employees", "revenue", "expected"),
    [
        (Industry.RETAIL, 8, "90", SizeClass.MICRO),
        (Industry.INDUSTRY, 350, "25000", SizeClass.MEDIUM),
        (Industry.INDUSTRY, 1200, "50000", SizeClass.LARGE),
        (Industry.SOFTWARE_IT, 50, "800", SizeClass.SMALL),
    ],
)
def test_unit_is_classified_from_employees_and_revenue(
    table: SizeTable, industry: Industry, employees: int, revenue: str, expected: SizeClass
) -> None:
    size = classify(table, industry, employees=employees, revenue=Decimal(revenue), assets=None)

    assert size is expected


def test_unit_at_every_ceiling_is_large(table: SizeTable) -> None:
    size = classify(table, Industry.RETAIL, employees=300, revenue=Decimal("20000"), assets=None)

    assert size is SizeClass.LARGE


def test_unit_below_one_ceiling_is_an_sme_however_large_the_other(table: SizeTable) -> None:
    size = classify(table, Industry.RETAIL, employees=300, revenue=Decimal("19999.99"), assets=None)

    assert size is SizeClass.MEDIUM
    assert size.is_sme


def test_unit_exactly_at_both_medium_floors_is_medium(table: SizeTable) -> None:
    size = classify(table, Industry.RETAIL, employees=50, revenue=Decimal("500"), assets=None)

    assert size is SizeClass.MEDIUM


def test_unit_at_one_medium_floor_only_is_small(table: SizeTable) -> None:
    size = classify(table, Industry.RETAIL, employees=50, revenue=Decimal("499"), assets=None)

    assert size is SizeClass.SMALL


def test_construction_classifies_by_revenue_and_assets(table: SizeTable) -> None:
    size = classify(
        table,
        Industry.CONSTRUCTION,
        employees=None,
        revenue=Decimal("90000"),
        assets=Decimal("5000"),
    )

    assert size is SizeClass.MEDIUM


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        ("20000", SizeClass.LARGE),
        ("500", SizeClass.MEDIUM),
        ("50", SizeClass.SMALL),
        ("49.99", SizeClass.MICRO),
    ],
)
def test_agriculture_classifies_by_revenue_alone(
    table: SizeTable, revenue: str, expected: SizeClass
) -> None:
    size = classify(
        table, Industry.AGRICULTURE, employees=None, revenue=Decimal(revenue), assets=None
    )

    assert size is expected


def test_missing_figure_that_could_make_the_unit_an_sme_is_asked_for(table: SizeTable) -> None:
    with pytest.raises(InvalidValue, match=r"cannot classify.*needs revenue") as caught:
        classify(table, Industry.INDUSTRY, employees=1200, revenue=None, assets=None)

    assert caught.value.field == "revenue"


def test_missing_figure_that_decides_medium_is_asked_for(table: SizeTable) -> None:
    with pytest.raises(InvalidValue, match=r"is medium.*needs revenue"):
        classify(table, Industry.RETAIL, employees=60, revenue=None, assets=None)


def test_missing_figure_that_cannot_change_the_class_is_not_needed(table: SizeTable) -> None:
    # 8 employees: an SME (below 300) that reaches neither the medium nor the small
    # employee floor, whatever its revenue.
    size = classify(table, Industry.RETAIL, employees=8, revenue=None, assets=None)

    assert size is SizeClass.MICRO


def test_unit_with_no_figures_cannot_be_classified(table: SizeTable) -> None:
    with pytest.raises(InvalidValue, match="no figures"):
        classify(table, Industry.OTHER, employees=None, revenue=None, assets=None)


@pytest.mark.parametrize(
    ("employees", "revenue"), [(-1, Decimal("1")), (1, Decimal("-1")), (1, Decimal("NaN"))]
)
def test_negative_or_non_finite_figures_are_refused(
    table: SizeTable, employees: int, revenue: Decimal
) -> None:
    with pytest.raises(InvalidValue):
        classify(table, Industry.RETAIL, employees=employees, revenue=revenue, assets=None)


@pytest.mark.parametrize(("employees", "revenue"), [(8, 90.0), (8.0, Decimal("90")), (True, None)])
def test_float_or_bool_figures_are_refused(
    table: SizeTable, employees: object, revenue: object
) -> None:
    with pytest.raises(TypeError):
        classify(
            table,
            Industry.RETAIL,
            employees=employees,  # type: ignore[arg-type]
            revenue=revenue,  # type: ignore[arg-type]
            assets=None,
        )


def test_only_large_is_not_an_sme() -> None:
    smes = {size for size in SizeClass if size.is_sme}

    assert smes == {SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO}


def test_packaged_text_loads_with_every_industry(packaged_text: str) -> None:
    loaded = load_size_table(packaged_text, "size_classes.toml")

    assert set(loaded.industries) == set(Industry)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (RETAIL_ROW, "", "size_classes.toml: industry.retail.medium_floor: is missing"),
        (
            RETAIL_ROW,
            "medium_floor = { employees = 50.0, revenue = 500 }",
            "size_classes.toml: industry.retail.medium_floor.employees: must be an integer",
        ),
        (
            RETAIL_ROW,
            "medium_floor = { employees = 50 }",
            "size_classes.toml: industry.retail.small_floor: must use the same indicators",
        ),
        (
            RETAIL_ROW,
            "medium_floor = { employees = 5, revenue = 500 }",
            "size_classes.toml: industry.retail.small_floor.employees: 10 is above the medium",
        ),
        (RETAIL_ROW, "medium_flor = {}", "size_classes.toml: industry.retail.medium_flor: unknown"),
        ("[industry.other]", "[industry.others]", "size_classes.toml: industry.others: unknown"),
        ("issued = 2011-06-18", 'issued = "2011-06-18"', "size_classes.toml: source.issued:"),
        ("[source]", "[source", "size_classes.toml: not valid TOML"),
    ],
)
def test_bad_table_is_refused_naming_file_and_field(
    packaged_text: str, old: str, new: str, message: str
) -> None:
    assert old in packaged_text
    broken = packaged_text.replace(old, new, 1)

    with pytest.raises(CatalogueError) as caught:
        load_size_table(broken, "size_classes.toml")

    assert caught.value.message.startswith(message)


def test_unknown_indicator_is_refused(packaged_text: str) -> None:
    broken = packaged_text.replace(
        "sme_ceiling = { employees = 300 }", "sme_ceiling = { employees = 300, staff = 1 }"
    )

    with pytest.raises(CatalogueError, match=r"industry\.other\.sme_ceiling\.staff: unknown"):
        load_size_table(broken, "size_classes.toml")
