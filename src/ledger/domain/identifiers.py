"""Identifiers: the unit's USCC (GB 32100-2015) and the person's resident ID (GB 11643).

Both carry a check character. A wrong one is refused with the character it should
have been, never silently accepted. Real registration data holds USCCs that fail the
check, so :func:`parse_uscc` can accept them behind an explicit override and
:func:`uscc_has_valid_check` lets the caller flag them.

Resident IDs are personal information: error messages show them masked
(``110105********002X``), because errors end up in logs and problem details.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from operator import mul

from ledger.domain.divisions import PROVINCES
from ledger.domain.errors import InvalidIdentifier
from ledger.domain.years import LAST_DAY

__all__ = [
    "mask_resident_id",
    "parse_resident_id",
    "parse_uscc",
    "resident_id_check_char",
    "uscc_check_char",
    "uscc_has_valid_check",
]

USCC_RULE = "GB 32100-2015"
RESIDENT_ID_RULE = "GB 11643-1999"

# --- USCC, GB 32100-2015 -------------------------------------------------------------

# I, O, S, V and Z are left out of the code alphabet so they cannot be misread as 1, 0, 5, U, 2.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {char: value for value, char in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# [0-9] rather than \d: \d matches any script's digits in a str pattern.
_USCC_FORM = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a USCC.

    >>> uscc_check_char("91110108MA01XKQ32")
    '8'
    """
    if len(first17) != 17 or not all(char in _USCC_VALUE for char in first17):
        raise InvalidIdentifier(
            f"USCC body {first17!r} must be 17 characters of {_USCC_ALPHABET} ({USCC_RULE})",
            rule=USCC_RULE,
            field="uscc",
        )
    weighted = sum(
        _USCC_VALUE[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return _USCC_ALPHABET[(31 - weighted % 31) % 31]


def parse_uscc(text: str, *, allow_bad_check: bool = False) -> str:
    """Normalise and validate a USCC; with ``allow_bad_check`` a wrong check character passes.

    The override exists for codes as registered that fail the check: they must stay
    importable, and the caller records them as overridden (see :func:`uscc_has_valid_check`).

    >>> parse_uscc(" 91110108ma01xkq328 ")
    '91110108MA01XKQ328'
    >>> parse_uscc("91110108MA01XKQ329")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidIdentifier: USCC 91110108MA01XKQ329: check character should be 8, got 9 (GB 32100-2015)
    >>> parse_uscc("91110108MA01XKQ329", allow_bad_check=True)
    '91110108MA01XKQ329'
    """  # noqa: E501 -- a doctest's expected output cannot be wrapped
    code = text.strip().upper()
    if _USCC_FORM.fullmatch(code) is None:
        raise InvalidIdentifier(
            f"USCC {code!r} is not 18 characters of the form"
            f" 2 code characters, 6 digits, 10 code characters ({USCC_RULE})",
            rule=USCC_RULE,
            field="uscc",
        )
    expected = uscc_check_char(code[:17])
    if expected != code[17] and not allow_bad_check:
        raise InvalidIdentifier(
            f"USCC {code}: check character should be {expected}, got {code[17]} ({USCC_RULE})",
            rule=USCC_RULE,
            field="uscc",
        )
    return code


def uscc_has_valid_check(text: str) -> bool:
    """Whether ``text`` is a well-formed USCC whose check character is right.

    >>> uscc_has_valid_check("91110108MA01XKQ328"), uscc_has_valid_check("91110108MA01XKQ329")
    (True, False)
    """
    code = text.strip().upper()
    return _USCC_FORM.fullmatch(code) is not None and uscc_check_char(code[:17]) == code[17]


# --- Resident ID, GB 11643 -----------------------------------------------------------

_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
# The sum is taken over ASCII codes (bytes) instead of int(char) per digit, three times
# faster; subtracting ord("0") x the weight sum gives the same total.
_ASCII_ZERO_OFFSET = ord("0") * sum(_RESIDENT_ID_WEIGHTS)
_RESIDENT_ID_CHECK_CHARS = frozenset("0123456789X")


def resident_id_check_char(first17: str) -> str:
    """The check character for the first 17 digits of a resident ID.

    >>> resident_id_check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise InvalidIdentifier(
            f"resident ID body {mask_resident_id(first17)} must be 17 digits ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    return _check_char_of_digits(first17)


def parse_resident_id(text: str, *, born_by: date | None = None, plausible: bool = True) -> str:
    """Normalise and validate an 18-character resident ID (a final ``x`` becomes ``X``).

    Besides its form and check character, the ID must be plausible: its area code in a
    province-level division (GB/T 2260, :mod:`ledger.domain.divisions`; a foreigner's
    permanent residence card of 2023 begins with 9 and then one), its birth date on or
    after 1900-01-01 and neither after ``born_by`` (the day of the check, which the
    commands give: nobody insured is born tomorrow) nor after the ledger's last day.
    ``plausible=False`` checks the form and the check character only: for a person
    already recorded (a base change, a departure, a read), so that an ID recorded before
    this rule can still be named.

    Runs once per person per import row, millions of times: plain string tests
    instead of a regex, and cached birth-date checks.

    >>> parse_resident_id("11010519491231002x")
    '11010519491231002X'
    >>> parse_resident_id("110101199003070012")
    Traceback (most recent call last):
    ...
    ledger.domain.errors.InvalidIdentifier: resident ID 110101********0012: check character should be 1, got 2 (GB 11643-1999)
    """  # noqa: E501 -- a doctest's expected output cannot be wrapped
    code = text.strip().upper()
    body = code[:17]
    if len(code) != 18:
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)} must be 18 characters,"
            f" got {len(code)} ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    if not (body.isascii() and body.isdigit()):
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)}: the first 17 characters must be digits"
            f" ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    check = code[17]
    if check not in _RESIDENT_ID_CHECK_CHARS:
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)}: check character must be a digit or X,"
            f" got {check!r} ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    head = _weighted_head(code[:14])
    if head is None:
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)}: the birth date in characters 7-14"
            f" is not a real date ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    head_sum, born, implausible = head
    if implausible and plausible:
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)}: {implausible} ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    last = LAST_DAY if born_by is None or born_by > LAST_DAY else born_by
    if plausible and born > last.toordinal():
        after = "the ledger's last day" if last == LAST_DAY else "the day of the check"
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)}: the birth date in characters 7-14 is"
            f" after {last}, {after} ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    # the last three digits of the body (the sequence number) added to the head's sum
    weighted = head_sum + 2 * ord(code[16]) + 4 * ord(code[15]) + 8 * ord(code[14])
    expected = _RESIDENT_ID_CHECK[(weighted - _TAIL_OFFSET) % 11]
    if expected != check:
        raise InvalidIdentifier(
            f"resident ID {mask_resident_id(code)}: check character should be {expected},"
            f" got {check} ({RESIDENT_ID_RULE})",
            rule=RESIDENT_ID_RULE,
            field="resident_id",
        )
    return code


def mask_resident_id(text: str) -> str:
    """Hide the birth date and all but the edges, for messages and logs.

    >>> mask_resident_id("11010519491231002X")
    '110105********002X'
    """
    if len(text) <= 10:
        return "*" * len(text)
    return f"{text[:6]}{'*' * (len(text) - 10)}{text[-4:]}"


def _check_char_of_digits(digits17: str) -> str:
    weighted = sum(map(mul, digits17.encode("ascii"), _RESIDENT_ID_WEIGHTS))
    return _RESIDENT_ID_CHECK[(weighted - _ASCII_ZERO_OFFSET) % 11]


#: the ASCII offset of the tail's three weighted digits (weights 8, 4, 2)
_TAIL_OFFSET = ord("0") * sum(_RESIDENT_ID_WEIGHTS[14:])


# The first 14 characters (the place of registration and the birth date) are shared by
# many people of a region: their weighted sum and the date check are made once per head
# (an import checks millions of IDs; this was 12% of its time).
@lru_cache(maxsize=1 << 17)
def _weighted_head(first14: str) -> tuple[int, int, str] | None:
    """The weighted sum of the first 14 digits less their ASCII offset, the birth
    date's ordinal and what makes the head implausible ("" when nothing: the area code,
    a birth before 1900); None when the birth date is not a real date."""
    born = _birth_ordinal(first14[6:14])
    if born is None:
        return None
    area = first14[:6]
    province = area[1:3] if area[0] == "9" else area[:2]
    implausible = ""
    if province not in PROVINCES:
        implausible = (
            f"the area code {area} in characters 1-6 names no province-level division (GB/T 2260)"
        )
    elif born < _FIRST_BIRTH:
        implausible = f"the birth date in characters 7-14 is before {FIRST_BIRTH}"
    weights = _RESIDENT_ID_WEIGHTS[:14]
    weighted: int = sum(map(mul, first14.encode("ascii"), weights))
    return weighted - ord("0") * sum(weights), born, implausible


#: nobody insured today was born before it
FIRST_BIRTH = date(1900, 1, 1)
_FIRST_BIRTH = FIRST_BIRTH.toordinal()


# Distinct birth dates in a population are a few tens of thousands; the cache turns
# the date() construction into a dict hit for all but the first occurrence of each.
@lru_cache(maxsize=1 << 16)
def _birth_ordinal(yyyymmdd: str) -> int | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])).toordinal()
    except ValueError:
        return None
