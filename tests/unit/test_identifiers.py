"""USCC (GB 32100-2015) and resident ID (GB 11643) validation."""

from __future__ import annotations

import doctest
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain import identifiers as identifiers_module
from ledger.domain.divisions import PROVINCES
from ledger.domain.errors import InvalidIdentifier
from ledger.domain.identifiers import (
    mask_resident_id,
    parse_resident_id,
    parse_uscc,
    resident_id_check_char,
    uscc_check_char,
    uscc_has_valid_check,
)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
RESIDENT_ID_CHECK_CHARS = "0123456789X"
DIGITS = "0123456789"

VALID_USCCS = ["91110108MA01XKQ328", "92440300L2R8T6W130", "91350200776049653A"]
VALID_RESIDENT_IDS = ["11010519491231002X", "110101199003070011"]


@st.composite
def usccs(draw: st.DrawFn) -> str:
    body = (
        draw(st.text(st.sampled_from(USCC_ALPHABET), min_size=2, max_size=2))
        + draw(st.text(st.sampled_from(DIGITS), min_size=6, max_size=6))
        + draw(st.text(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9))
    )
    return body + uscc_check_char(body)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(sorted(PROVINCES)))
    region = province + draw(st.text(st.sampled_from(DIGITS), min_size=4, max_size=4))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    sequence = draw(st.text(st.sampled_from(DIGITS), min_size=3, max_size=3))
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + resident_id_check_char(body)


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(identifiers_module)

    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_uscc_is_accepted_as_is(code: str) -> None:
    parsed = parse_uscc(code)

    assert parsed == code
    assert uscc_has_valid_check(code)


def test_uscc_is_trimmed_and_uppercased() -> None:
    parsed = parse_uscc("  91350200776049653a\n")

    assert parsed == "91350200776049653A"


def test_uscc_with_wrong_check_character_is_refused_naming_the_right_one() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_uscc("91110108MA01XKQ329")

    assert caught.value.message == (
        "USCC 91110108MA01XKQ329: check character should be 8, got 9 (GB 32100-2015)"
    )
    assert caught.value.field == "uscc"


def test_uscc_with_wrong_check_character_passes_only_when_overridden_and_is_flagged() -> None:
    parsed = parse_uscc("91110108ma01xkq329", allow_bad_check=True)

    assert parsed == "91110108MA01XKQ329"
    assert not uscc_has_valid_check(parsed)


@pytest.mark.parametrize(
    "code",
    [
        "91110108MA01XKQ32",  # 17 characters
        "91110108MA01XKQ3288",  # 19 characters
        "9111010AMA01XKQ328",  # letter in the 6-digit region code
        "91110108MA01XKO328",  # O is not in the alphabet
        "91110108MA01XKI328",  # nor is I
        "91110108MA01XKQ32Z",  # nor Z, even as check character
        "９1110108MA01XKQ328",  # full-width digit
        "",
    ],
)
def test_malformed_uscc_is_refused_even_with_the_override(code: str) -> None:
    with pytest.raises(InvalidIdentifier, match="GB 32100-2015"):
        parse_uscc(code, allow_bad_check=True)


def test_malformed_uscc_has_no_valid_check() -> None:
    result = uscc_has_valid_check("91110108MA01XKO328")

    assert result is False


@pytest.mark.parametrize("code", VALID_USCCS)
def test_uscc_check_character_of_examples(code: str) -> None:
    check = uscc_check_char(code[:17])

    assert check == code[17]


@pytest.mark.parametrize("body", ["91110108MA01XKQ3", "91110108MA01XKQ3O"])
def test_uscc_check_character_needs_17_alphabet_characters(body: str) -> None:
    with pytest.raises(InvalidIdentifier, match="17 characters"):
        uscc_check_char(body)


@pytest.mark.parametrize("code", VALID_RESIDENT_IDS)
def test_valid_resident_id_is_accepted_as_is(code: str) -> None:
    parsed = parse_resident_id(code)

    assert parsed == code


def test_resident_id_lowercase_x_becomes_uppercase() -> None:
    parsed = parse_resident_id(" 11010519491231002x ")

    assert parsed == "11010519491231002X"


def test_resident_id_with_wrong_check_character_is_refused_naming_the_right_one() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id("110101199003070012")

    assert "check character should be 1, got 2 (GB 11643-1999)" in caught.value.message
    assert caught.value.field == "resident_id"


def test_resident_id_in_an_error_is_masked() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        parse_resident_id("110101199003070012")

    assert "110101199003070012" not in caught.value.message
    assert "19900307" not in caught.value.message
    assert "110101********0012" in caught.value.message


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("110101199002300010", "not a real date"),  # 30 February
        ("110101199013070010", "not a real date"),  # month 13
        ("11010119900307001", "must be 18 characters, got 17"),
        ("1101011990030700111", "must be 18 characters, got 19"),
        ("11010119900307001A", "digit or X"),
        ("1101011990030700X1", "first 17 characters must be digits"),  # X only as check
        ("１10101199003070011", "first 17 characters must be digits"),
    ],
)
def test_malformed_resident_id_is_refused(code: str, problem: str) -> None:
    with pytest.raises(InvalidIdentifier, match=problem):
        parse_resident_id(code)


def test_resident_id_check_character_needs_17_digits() -> None:
    with pytest.raises(InvalidIdentifier, match="17 digits"):
        resident_id_check_char("1101051949123100X")


def test_mask_hides_everything_but_the_edges() -> None:
    masked = mask_resident_id("110101199003070011")

    assert masked == "110101********0011"


@given(usccs())
def test_generated_uscc_is_accepted(code: str) -> None:
    parsed = parse_uscc(code)

    assert parsed == code
    assert uscc_has_valid_check(code)


@given(usccs(), st.sampled_from(USCC_ALPHABET))
def test_uscc_with_any_other_check_character_is_refused(code: str, replacement: str) -> None:
    tampered = code[:17] + replacement

    if replacement == code[17]:
        assert parse_uscc(tampered) == code
    else:
        with pytest.raises(InvalidIdentifier, match=f"should be {code[17]}, got {replacement}"):
            parse_uscc(tampered)


@given(usccs(), st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_uscc_detects_any_single_substitution(code: str, position: int, char: str) -> None:
    tampered = code[:position] + char + code[position + 1 :]

    if tampered == code:
        assert uscc_has_valid_check(tampered)
    else:
        assert not uscc_has_valid_check(tampered)


@given(resident_ids())
def test_generated_resident_id_is_accepted(code: str) -> None:
    parsed = parse_resident_id(code)

    assert parsed == code


@given(resident_ids(), st.sampled_from(RESIDENT_ID_CHECK_CHARS))
def test_resident_id_with_any_other_check_character_is_refused(code: str, replacement: str) -> None:
    tampered = code[:17] + replacement

    if replacement == code[17]:
        assert parse_resident_id(tampered) == code
    else:
        with pytest.raises(InvalidIdentifier, match=f"should be {code[17]}, got {replacement}"):
            parse_resident_id(tampered)


@given(resident_ids(), st.integers(0, 16), st.sampled_from(DIGITS))
def test_resident_id_detects_any_single_digit_substitution(
    code: str, position: int, digit: str
) -> None:
    tampered = code[:position] + digit + code[position + 1 :]

    if tampered == code:
        assert parse_resident_id(tampered) == code
    else:
        with pytest.raises(InvalidIdentifier):
            parse_resident_id(tampered)


# ------------------------------------------------- plausibility (issue 13.8)


def _rid(area: str, birth: str, sequence: str = "001") -> str:
    body = f"{area}{birth}{sequence}"
    return body + resident_id_check_char(body)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        pytest.param(_rid("110105", "20990101"), "after 2026-12-06", id="born-in-2099"),
        pytest.param(_rid("110105", "20261207"), "after 2026-12-06", id="born-tomorrow"),
        pytest.param(_rid("110105", "21000101"), "after 2026-12-06", id="born-in-2100"),
        pytest.param(_rid("110105", "18000101"), "before 1900-01-01", id="born-in-1800"),
        pytest.param(_rid("000000", "19800101"), "area code 000000", id="area-000000"),
        pytest.param(_rid("990101", "19800101"), "area code 990101", id="no-province-99"),
        pytest.param(_rid("720101", "19800101"), "area code 720101", id="no-province-72"),
    ],
)
def test_an_implausible_resident_id_is_refused_naming_what_is_wrong(code: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        parse_resident_id(code, born_by=date(2026, 12, 6))

    assert reason in refused.value.message
    assert refused.value.field == "resident_id"
    assert code[6:14] not in refused.value.message  # the birth date stays masked


def test_without_the_day_of_the_check_the_ledgers_last_day_bounds_a_birth() -> None:
    assert parse_resident_id(_rid("110105", "20990101")) == _rid("110105", "20990101")
    with pytest.raises(InvalidIdentifier, match="after 2099-12-31"):
        parse_resident_id(_rid("110105", "21000101"))


@pytest.mark.parametrize(
    "code",
    [
        _rid("110105", "19000101"),  # born on the first day allowed
        _rid("820000", "19800101"),  # Macao
        _rid("830000", "19800101"),  # a Taiwan resident's residence permit
        _rid("654301", "20261206"),  # Xinjiang, born on the day of the check
        _rid("915156", "19800101"),  # a foreigner's permanent residence card (2023): 9, 51
    ],
)
def test_plausible_resident_ids_of_every_kind_pass(code: str) -> None:
    assert parse_resident_id(code, born_by=date(2026, 12, 6)) == code


def test_the_province_codes_are_those_of_gb_t_2260() -> None:
    assert len(PROVINCES) == 34 + 1  # 34 province-level divisions, and 83 of the permits
    assert PROVINCES["15"] == "内蒙古自治区"
    assert "00" not in PROVINCES


def test_an_id_recorded_before_the_rule_can_still_be_named_by_form_alone() -> None:
    recorded = _rid("000000", "18000101")

    assert parse_resident_id(recorded, plausible=False) == recorded
    with pytest.raises(InvalidIdentifier):
        parse_resident_id(recorded[:-1] + ("0" if recorded[-1] != "0" else "1"), plausible=False)
