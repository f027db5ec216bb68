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
