"""Money: fen amounts, rates and the one half-up rounding helper."""

from __future__ import annotations

import doctest
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ledger.domain import money as money_module
from ledger.domain.errors import InvalidValue
from ledger.domain.money import (
    FEN,
    ZERO,
    apply_rate,
    format_money,
    money,
    rate,
    round_fen,
    total,
)

HALF_FEN = Decimal("0.005")

amounts = st.decimals(
    min_value=Decimal("-1000000000"),
    max_value=Decimal("1000000000"),
    allow_nan=False,
    allow_infinity=False,
    places=2,
)
unrounded = st.decimals(
    min_value=Decimal("-1000000000"),
    max_value=Decimal("1000000000"),
    allow_nan=False,
    allow_infinity=False,
)
bases = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), allow_nan=False, places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), allow_nan=False, places=4)


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(money_module)

    assert result.attempted > 0
    assert result.failed == 0


def test_person_part_is_base_times_rate() -> None:
    part = apply_rate(money("5000.00"), rate("0.06"))

    assert part == Decimal("300.00")


def test_part_just_below_a_whole_yuan_rounds_up_to_it() -> None:
    # 3333.33 x 0.06 = 199.9998
    part = apply_rate(money("3333.33"), rate("0.06"))

    assert part == Decimal("200.00")


def test_half_a_fen_rounds_up() -> None:
    # 4999.75 x 0.02 = 99.995 exactly: half-up gives 100.00 where half-even would too,
    # so the next case pins the mode down.
    part = apply_rate(money("4999.75"), rate("0.02"))

    assert part == Decimal("100.00")


def test_half_a_fen_rounds_up_even_when_half_even_would_round_down() -> None:
    rounded = round_fen(Decimal("0.125"))

    assert rounded == Decimal("0.13")


def test_negative_half_fen_rounds_away_from_zero() -> None:
    rounded = round_fen(Decimal("-0.005"))

    assert rounded == Decimal("-0.01")


def test_rounding_ignores_the_callers_decimal_context() -> None:
    with localcontext() as context:
        context.prec = 3
        context.rounding = ROUND_HALF_EVEN

        part = apply_rate(money("4999.75"), rate("0.02"))

    assert part == Decimal("100.00")


def test_rounding_a_float_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        round_fen(0.125)  # type: ignore[arg-type]


def test_rounding_to_minus_zero_gives_plain_zero() -> None:
    rounded = round_fen(Decimal("-0.001"))

    assert str(rounded) == "0.00"


def test_unit_amount_is_the_sum_of_persons_rounded_parts() -> None:
    # Two persons at 4999.75 x 2%: each part rounds up to 100.00, while rounding the
    # unit's total base (9999.50 x 2% = 199.99) would give one fen less.
    parts = [apply_rate(money("4999.75"), rate("0.02")) for _ in range(2)]

    unit_amount = total(parts)

    assert unit_amount == Decimal("200.00")
    assert unit_amount != apply_rate(money("9999.50"), rate("0.02"))


def test_amount_is_given_two_decimals() -> None:
    amount = money("5")

    assert amount == Decimal("5.00")
    assert str(amount) == "5.00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, "5.00"), (Decimal("1E+3"), "1000.00"), ("-12.5", "-12.50"), ("1.230", "1.23")],
)
def test_amount_accepts_ints_decimals_and_whole_fen(
    value: str | int | Decimal, expected: str
) -> None:
    amount = money(value)

    assert str(amount) == expected


def test_amount_with_more_than_two_decimals_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        money("1.234")

    assert caught.value.message == "amount 1.234 has more than two decimals (fen)"
    assert caught.value.field == "amount"


def test_refusal_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidValue, match=r"^base 0\.001 ") as caught:
        money(Decimal("0.001"), field="base")

    assert caught.value.field == "base"


@pytest.mark.parametrize(
    "text",
    ["1,234.50", "1_000", "1e3", "", "  ", "NaN", "Infinity", "5.", ".5", "１２", "¥5", "5 00"],
)
def test_amount_text_that_is_not_plain_digits_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="is not an amount"):
        money(text)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_amount_that_is_not_finite_is_refused(value: Decimal) -> None:
    with pytest.raises(InvalidValue, match="not a finite number"):
        money(value)


@pytest.mark.parametrize("value", [1.5, True, None, [1]])
def test_amount_from_float_bool_or_other_types_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        money(value)  # type: ignore[arg-type]


def test_amount_text_may_carry_surrounding_spaces() -> None:
    amount = money(" 12.30 ")

    assert amount == Decimal("12.30")


def test_minus_zero_amount_is_plain_zero() -> None:
    amount = money("-0.00")

    assert format_money(amount) == "0.00"


@pytest.mark.parametrize(("text", "expected"), [("0", "0"), ("0.06", "0.06"), ("1", "1")])
def test_rate_between_zero_and_one_inclusive_is_accepted(text: str, expected: str) -> None:
    parsed = rate(text)

    assert parsed == Decimal(expected)


def test_rate_keeps_its_precision() -> None:
    parsed = rate(Decimal("0.0005"))

    assert parsed == Decimal("0.0005")


@pytest.mark.parametrize("text", ["1.01", "-0.01", "6"])
def test_rate_outside_zero_to_one_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match=r"outside 0\.\.1"):
        rate(text)


@pytest.mark.parametrize("text", ["6%", "0,06", "NaN"])
def test_rate_text_that_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        rate(text)


@pytest.mark.parametrize("value", [0.06, 1, True])
def test_rate_from_float_int_or_bool_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        rate(value)  # type: ignore[arg-type]


def test_total_of_nothing_is_zero() -> None:
    result = total([])

    assert result == ZERO
    assert str(result) == "0.00"


def test_total_refuses_a_float_among_the_amounts() -> None:
    with pytest.raises(TypeError):
        total([money("1.00"), 0.1])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1E+3"), "1000.00"),
        (Decimal("1234.5"), "1234.50"),
        (Decimal("1E+20"), "100000000000000000000.00"),
        (Decimal("-7"), "-7.00"),
        (Decimal("0.005"), "0.01"),
    ],
)
def test_format_is_plain_with_two_decimals(value: Decimal, expected: str) -> None:
    text = format_money(value)

    assert text == expected


@given(unrounded)
def test_rounding_is_idempotent_and_within_half_a_fen(value: Decimal) -> None:
    rounded = round_fen(value)

    assert round_fen(rounded) == rounded
    assert abs(rounded - value) <= HALF_FEN
    assert rounded == rounded.quantize(FEN)


@given(unrounded)
def test_exact_half_fen_always_rounds_away_from_zero(value: Decimal) -> None:
    rounded = round_fen(value)

    if abs(rounded - value) == HALF_FEN:
        assert abs(rounded) > abs(value)


@given(st.lists(bases, max_size=50), rates)
def test_sum_of_rounded_parts_is_within_half_a_fen_per_person_of_rounded_sum(
    person_bases: list[Decimal], unit_rate: Decimal
) -> None:
    unit_amount = total(apply_rate(money(b), unit_rate) for b in person_bases)

    rounded_once = round_fen(total(person_bases) * unit_rate)

    assert abs(unit_amount - rounded_once) <= HALF_FEN * len(person_bases) + HALF_FEN


@given(amounts)
def test_amount_round_trips_through_its_text(value: Decimal) -> None:
    amount = money(value)

    assert money(format_money(amount)) == amount
    assert format_money(money(format_money(amount))) == format_money(amount)


# -------------------------------------------------------- the largest amount (issue 13.1)


def test_the_largest_amount_is_accepted_and_a_fen_more_is_refused_naming_the_field() -> None:
    assert money("99999999999.99") == money_module.MAX_AMOUNT

    with pytest.raises(InvalidValue) as refused:
        money("100000000000.00", field="base")

    assert refused.value.field == "base"
    assert "99,999,999,999.99" in refused.value.message


@pytest.mark.parametrize("text", ["5000000000000.00", "-100000000000.00", "1" + "0" * 20])
def test_amounts_past_the_largest_are_refused_either_side_of_zero(text: str) -> None:
    with pytest.raises(InvalidValue):
        money(text)


def test_the_largest_amount_fits_the_views_money_columns_with_room_for_fixed_amounts() -> None:
    # numeric(14,2) holds 12 integer digits: a part of a person's line (base x rate, at
    # most the base, plus a fixed amount) and a unit's total are held to MAX_AMOUNT by
    # the assessment, so a column never sees more than ten times it.
    from ledger.projections.schema import _SQL_TYPES, ColumnType

    postgres = _SQL_TYPES[ColumnType.money][0]
    precision, scale = (int(n) for n in postgres.removeprefix("numeric(").rstrip(")").split(","))
    largest_stored = Decimal(10) ** (precision - scale) - FEN

    assert largest_stored >= money_module.MAX_AMOUNT * 10


@given(unrounded)
def test_fen_count_is_the_half_up_rounded_amount_in_fen_and_from_fen_gives_it_back(
    value: Decimal,
) -> None:
    fen = money_module.fen_count(value)

    assert fen == round_fen(value) * 100
    assert money_module.from_fen(fen) == round_fen(value)
    assert money_module.from_fen(fen).as_tuple().exponent == -2


@given(st.integers(min_value=-(10**30), max_value=10**30))
@example(10**30 + 1)  # past the 28 digits a context would round to
def test_from_fen_is_exact_at_any_size(fen: int) -> None:
    amount = money_module.from_fen(fen)

    assert amount.as_tuple().exponent == -2
    with localcontext() as exact:
        exact.prec = 64  # the check's own product must not round
        assert amount * 100 == fen
