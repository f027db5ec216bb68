"""Money and rates: ``Decimal`` yuan to the fen, never a float.

The ledger's convention (DOMAIN.md, "Conventions"): a person's part is
``base x rate`` rounded half-up to the fen, and a unit's amount is the sum of its
persons' already-rounded amounts. :func:`round_fen` is the one place that rounds;
everything else goes through it so the rounding mode is named exactly once.

These functions run millions of times per import, so they are plain functions on
``Decimal`` (``Money`` and ``Rate`` are NewTypes, not wrapper classes) and do
their arithmetic in a private context: a caller that lowers the thread's decimal
precision or changes its rounding cannot change an amount.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import NewType

from ledger.domain.errors import InvalidValue

__all__ = [
    "FEN",
    "MAX_AMOUNT",
    "ZERO",
    "Money",
    "Rate",
    "apply_rate",
    "check_bound",
    "fen_count",
    "format_money",
    "from_fen",
    "money",
    "money_text",
    "rate",
    "round_fen",
    "total",
]

Money = NewType("Money", Decimal)
"""Yuan with exactly two decimals (fen)."""

Rate = NewType("Rate", Decimal)
"""A fraction between 0 and 1 inclusive, e.g. ``Decimal("0.06")`` for 6%."""

FEN = Decimal("0.01")
ZERO = Money(Decimal("0.00"))

#: The largest amount the ledger records, either side of zero: a payment, a base, a
#: fixed amount, and every part and total an assessment derives from them. 100 billion
#: yuan less a fen is far past any unit's month (a city's largest employer owes a few
#: hundred million), and the views store amounts as PostgreSQL numeric(14,2), twelve
#: integer digits: an amount past those stopped the read side of the whole schema.
#: Ten times this bound still fits a column (``tests/unit/test_money.py``).
MAX_AMOUNT = Money(Decimal("99999999999.99"))

# 28 significant digits hold any realistic amount exactly (10^26 yuan); traps turn
# an amount that cannot be represented into an error instead of a silent NaN.
_CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Plain ASCII digits only: Decimal() alone would also take "1_000", " 5 ", "1e3" and
# full-width digits, none of which belong in an amount column.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def round_fen(value: Decimal) -> Money:
    """Round to the fen, half-up (ROUND_HALF_UP): 0.005 -> 0.01, -0.005 -> -0.01.

    >>> round_fen(Decimal("199.9998"))
    Decimal('200.00')
    >>> round_fen(Decimal("99.995"))
    Decimal('100.00')
    """
    if type(value) is not Decimal:
        value = _decimal_operand(value)
    try:
        quantized = value.quantize(FEN, ROUND_HALF_UP, _CONTEXT)
    except InvalidOperation:
        raise InvalidValue(
            f"amount {value} cannot be rounded to the fen (not finite or too large)",
            field="amount",
        ) from None
    # A zero result may carry a minus sign (-0.001 -> -0.00); it would print as "-0.00".
    # Returned as is, a Money by construction: NewType's call would cost a function call
    # per amount, three per person-line of an import.
    return quantized if quantized else ZERO  # type: ignore[return-value]


def fen_count(value: Decimal) -> int:
    """An amount as a whole number of fen, rounded half-up (``round_fen``): how the views
    keep the person lines' amounts (integers are what PostgreSQL reads fastest).

    >>> fen_count(Decimal("4350.00")), fen_count(Decimal("0.005")), fen_count(Decimal("-1.5"))
    (435000, 1, -150)
    """
    return int(round_fen(value).scaleb(2, _CONTEXT))


def from_fen(count: int) -> Money:
    """A whole number of fen as yuan: ``from_fen(fen_count(m)) == m`` for any Money.

    >>> from_fen(435000), from_fen(-5), from_fen(0)
    (Decimal('4350.00'), Decimal('-0.05'), Decimal('0.00'))
    """
    # from its text: exact at any size (scaleb would round past 28 digits)
    return Money(Decimal(f"{count}E-2")) if count else ZERO


def money(value: str | int | Decimal, *, field: str = "amount") -> Money:
    """Parse an amount in yuan; refuse anything that is not a whole number of fen.

    >>> money("5")
    Decimal('5.00')
    >>> money("1234.5")
    Decimal('1234.50')
    >>> money("1.234")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidValue: amount 1.234 has more than two decimals (fen)
    """
    number = _parse_decimal(value, field=field, kind="an amount")
    try:
        quantized = number.quantize(FEN, ROUND_HALF_UP, _CONTEXT)
    except InvalidOperation:
        raise InvalidValue(f"{field} {value} is too large to be an amount", field=field) from None
    # Trailing zeros ("1.230") are still a whole number of fen, so they pass.
    if quantized != number:
        raise InvalidValue(f"{field} {value} has more than two decimals (fen)", field=field)
    check_bound(quantized, field)
    return Money(quantized) if quantized else ZERO


def check_bound(amount: Decimal, field: str, what: str = "") -> None:
    """InvalidValue naming ``field`` when ``amount`` is past :data:`MAX_AMOUNT`.

    >>> check_bound(Decimal("100000000000.00"), "amount")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidValue: amount 100000000000.00 is past 99,999,999,999.99, the largest amount the ledger records
    """  # noqa: E501 -- a doctest's expected output cannot be wrapped
    if not -MAX_AMOUNT <= amount <= MAX_AMOUNT:
        raise InvalidValue(
            f"{what or field} {amount} is past {MAX_AMOUNT:,}, the largest amount the ledger"
            " records",
            field=field,
            rule="money.max_amount",
        )


def rate(value: str | Decimal, *, field: str = "rate") -> Rate:
    """Parse a rate as a fraction, 0 <= rate <= 1; it is kept unrounded.

    >>> rate("0.06")
    Decimal('0.06')
    >>> rate("6")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidValue: rate 6 is outside 0..1 (a rate is a fraction: 6% is 0.06)
    """
    if isinstance(value, int):
        # Caught here so that 0 and 1 do not slip through as an int instead of a Decimal.
        raise TypeError(f"{field} must be a str or Decimal, not {type(value).__name__}")
    number = _parse_decimal(value, field=field, kind="a rate")
    if not 0 <= number <= 1:
        raise InvalidValue(
            f"{field} {value} is outside 0..1 (a rate is a fraction: 6% is 0.06)",
            field=field,
        )
    return Rate(number)


def apply_rate(base: Decimal, r: Decimal) -> Money:
    """``base x r`` rounded half-up to the fen: one person's part for one month.

    >>> apply_rate(money("3333.33"), rate("0.06"))
    Decimal('200.00')
    """
    return round_fen(_CONTEXT.multiply(base, r))


def total(amounts: Iterable[Decimal]) -> Money:
    """Sum amounts from ``ZERO``: a unit's amount is the sum of its persons' rounded parts.

    >>> total([money("0.01"), money("2.50")])
    Decimal('2.51')
    >>> total([])
    Decimal('0.00')
    """
    with localcontext(_CONTEXT):
        # Decimal + float raises TypeError, so a float in the input cannot be summed in.
        result = sum(amounts, ZERO)
    return round_fen(result)


def format_money(m: Decimal) -> str:
    """Two decimals, plain digits, never an exponent: the form files and the API carry.

    >>> format_money(Decimal("1E+3"))
    '1000.00'
    >>> format_money(money("1234.5"))
    '1234.50'
    >>> format_money(Decimal("-0.00")), format_money(Decimal("0.005")), format_money(Decimal("7"))
    ('0.00', '0.01', '7.00')
    """
    # An amount already to the fen (nearly all: they are stored so, and sums of such
    # keep two places) prints as itself; anything else is rounded by round_fen, not by a
    # "{:.2f}" format, which would round half-even. (str of a Decimal with two places
    # has no exponent; "-0.00" is the one such text that must not be shown.)
    if type(m) is Decimal:
        text = str(m)
        if text[-3:-2] == "." and text[-2:].isdigit() and text != "-0.00":
            return text
    return format(round_fen(m), "f")


def _decimal_operand(value: object) -> Decimal:
    # Slow path of round_fen, kept out of line so the common Decimal case stays short.
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"cannot round a {type(value).__name__} to the fen; use Decimal")


def _parse_decimal(value: object, *, field: str, kind: str) -> Decimal:
    # bool is an int and float is binary: both would become a wrong Decimal silently.
    if isinstance(value, bool | float):
        raise TypeError(f"{field} must not be a {type(value).__name__}; pass a str or Decimal")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text) is None:
            raise InvalidValue(
                f"{field} {value!r} is not {kind}: write digits with an optional"
                " sign and decimal point, e.g. 1234.50",
                field=field,
            )
        number = Decimal(text)
    else:
        raise TypeError(f"{field} must be a str or Decimal, not {type(value).__name__}")
    if not number.is_finite():
        raise InvalidValue(f"{field} {value} is not a finite number", field=field)
    return number


#: an amount as a person or a client types it: yuan with exactly two decimals
_MONEY_TEXT = re.compile(r"(0|[1-9][0-9]*)\.[0-9]{2}")
MONEY_TEXT_RULE = "money_string"


def money_text(text: str, *, field: str = "amount") -> Money:
    """An amount typed at an entrance (the API's JSON strings, the CLI's arguments): yuan
    with exactly two decimals, ``1350.00``, so that ``300`` and ``300.00`` are not two
    spellings of one command; then :func:`money`'s rules. (An import column is read by
    :func:`money` alone: files from other systems write ``300``.)

    >>> money_text("1350.00")
    Decimal('1350.00')
    >>> money_text("300")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidValue: amount '300' is not of the form 1234.50 (yuan with exactly two decimals)
    """  # noqa: E501 -- a doctest's expected output cannot be wrapped
    if _MONEY_TEXT.fullmatch(text) is None:
        if text.startswith("-") and _NUMBER.fullmatch(text):
            raise InvalidValue(
                f"{field} {text!r} is negative: an amount is yuan with exactly two decimals,"
                " 1234.50",
                field=field,
                rule=MONEY_TEXT_RULE,
            )
        raise InvalidValue(
            f"{field} {text!r} is not of the form 1234.50 (yuan with exactly two decimals)",
            field=field,
            rule=MONEY_TEXT_RULE,
        )
    return money(text, field=field)
