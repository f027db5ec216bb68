"""Free text as the ledger records it (names, numbers, reasons, attachments' titles, and
the text of policy documents): one rule for all of it.

Refused, each naming the field and the character:

- control characters (Unicode Cc), line and paragraph separators (Zl, Zp): a NUL cannot
  be stored in a PostgreSQL text column, so one stopped the views' runner at that event
  for good; a line break or an escape in a name forges lines in logs and report files;
- the bidirectional controls that reorder what a line shows (Trojan Source, U+202E …);
- every other invisible formatting character (Unicode Cf: U+FEFF, zero-width spaces and
  joiners U+200B-U+200D, the word joiner, the soft hyphen, interlinear annotation
  U+FFF9-U+FFFB, the tag characters U+E0000-U+E007F): two names that look alike would
  differ, or one would carry text nobody sees, in lists, reports and the tax bureau's
  files. The one exception is U+180E, the Mongolian vowel separator, which spells
  Mongolian words (Inner Mongolia's units carry Mongolian names);
- noncharacters (U+FDD0-U+FDEF and the last two code points of every plane, U+FFFE,
  U+FFFF, …), which Unicode reserves for a program's internal use, never interchange;
- lone surrogates (Cs), which are no character at all.

Letters of every script pass, and so do private-use characters (where bureaus keep
rare characters of names that Unicode lacks), variation selectors (an ideographic
variation sequence picks a name's written form) and code points newer than Python's
Unicode tables (CJK extensions added since): refusing what is merely unknown would
refuse real names.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from ledger.domain.errors import InvalidValue

_CONTROLS = {"Cc", "Zl", "Zp"}
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: formatting characters a real text needs: the Mongolian vowel separator
_FORMAT_ALLOWED = frozenset("\u180e")
_TAGS = range(0xE0000, 0xE0080)
_NONCHARACTERS = range(0xFDD0, 0xFDF0)


def refusal(char: str) -> str | None:
    """What ``char`` is, if the text rule refuses it; None for a character of text."""
    category = unicodedata.category(char)
    code = ord(char)
    if category in _CONTROLS or char in _BIDI:
        return "the control character"
    if category == "Cs":
        return "the lone surrogate"
    if (category == "Cf" and char not in _FORMAT_ALLOWED) or code in _TAGS:
        return "the invisible formatting character"
    if code in _NONCHARACTERS or code & 0xFFFE == 0xFFFE:
        return "the noncharacter"
    return None


def check_plain(value: str, field: str) -> str:
    """``value`` unchanged, or InvalidValue naming the field and the character."""
    if value.isascii() and value.isprintable():
        return value  # the common case, without a look-up per character
    for char in value:
        what = refusal(char)
        if what is not None:
            raise InvalidValue(
                f"{field} contains {what} U+{ord(char):04X}; write it as one line of plain text",
                field=field,
                rule="plain_text",
            )
    return value


def check_plain_fields(values: Mapping[str, Any], skip: frozenset[str] = frozenset()) -> None:
    """Every text of a command's input (lists of texts too), but the fields in ``skip``."""
    for name, value in values.items():
        if name in skip:
            continue
        if isinstance(value, str):
            check_plain(value, name)
        elif isinstance(value, list | tuple):
            for n, item in enumerate(value):
                if isinstance(item, str):
                    check_plain(item, f"{name}[{n}]")
