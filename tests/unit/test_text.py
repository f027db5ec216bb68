"""Free text the ledger records: one line of plain text, in any script."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.domain.errors import InvalidValue
from ledger.domain.text import check_plain, check_plain_fields
from ledger.projections.encoding import copy_text


def test_a_chinese_name_with_brackets_is_plain_text() -> None:
    assert check_plain("赤峰市红山区示例商贸（有限）公司 No.3", "name") == (
        "赤峰市红山区示例商贸（有限）公司 No.3"
    )


@pytest.mark.parametrize(
    "char", ["\x00", "\n", "\r", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e"]
)
def test_a_control_character_is_refused_naming_the_field_and_the_character(char: str) -> None:
    with pytest.raises(InvalidValue, match=f"U\\+{ord(char):04X}") as refused:
        check_plain(f"单位{char}名称", "name")

    assert refused.value.field == "name"


@pytest.mark.parametrize(
    "char",
    [
        "\ufeff",  # byte-order mark / zero-width no-break space
        "\u200b",  # zero-width space
        "\u200c",  # zero-width non-joiner
        "\u200d",  # zero-width joiner
        "\u2060",  # word joiner
        "\u00ad",  # soft hyphen
        "\ufff9",  # interlinear annotation anchor
        "\ufffa",
        "\ufffb",
        "\U000e0001",  # language tag
        "\U000e0041",  # tag letter A
        "\U000e007f",  # cancel tag
        "\ufffe",  # noncharacters
        "\uffff",
        "\ufdd0",
        "\U0010ffff",
        "\ud800",  # a lone surrogate
    ],
)
def test_an_invisible_character_or_a_noncharacter_is_refused_naming_it(char: str) -> None:
    # issue 13.7: accepted in names, they make two texts that look alike differ (or one
    # hide another) in lists, reports and files
    with pytest.raises(InvalidValue, match=f"U\\+{ord(char):04X}") as refused:
        check_plain(f"单位{char}名称", "name")

    assert refused.value.field == "name"


@pytest.mark.parametrize(
    "text",
    [
        "\u1828\u1822\u180e\u1821 赤峰",  # Mongolian with its vowel separator (U+180E)
        "葛\U000e0100",  # an ideographic variation sequence (a rare form of a name)
        "\U00031350",  # CJK Extension H, newer than Python's Unicode tables
        "\ue000",  # a private-use character, where bureaus keep characters Unicode lacks
        "ئۇيغۇر",  # Uyghur in Arabic script
        "བོད",  # Tibetan
    ],
)
def test_scripts_and_rare_characters_of_real_names_are_plain_text(text: str) -> None:
    assert check_plain(text, "name") == text


def test_texts_in_a_list_are_named_by_their_place() -> None:
    with pytest.raises(InvalidValue) as refused:
        check_plain_fields({"attachments": ["书面申请", "资产\x00负债表"]})

    assert refused.value.field == "attachments[1]"


def test_a_skipped_field_may_hold_line_breaks() -> None:
    check_plain_fields({"content": "line one\nline two"}, skip=frozenset({"content"}))


@given(st.text())
def test_copy_text_never_sends_a_nul_or_an_unescaped_line_break(value: str) -> None:
    sent = copy_text(value)

    assert "\0" not in sent
    assert "\n" not in sent
    assert "\t" not in sent
