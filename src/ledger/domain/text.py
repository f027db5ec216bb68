"""Free text as the ledger records it (names, numbers, reasons, attachments' titles).

Control characters are refused: a NUL cannot be stored in a PostgreSQL text column, so
one would stop the views' runner at that event for good; a line break or an escape in a
name would forge lines in logs and in the reports' files. Nothing legitimate needs them
(a unit's name, an approver, a destination, a reason are one line of text).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from ledger.domain.errors import InvalidValue

#: line and paragraph separators, and the bidirectional controls that reorder what a
#: line shows (Trojan Source): they would forge lines or hide text as surely
_REFUSED = {"Cc", "Cs", "Zl", "Zp"}
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_plain(value: str, field: str) -> str:
    """``value`` unchanged, or InvalidValue naming the field and the character."""
    for char in value:
        if unicodedata.category(char) in _REFUSED or char in _BIDI:
            raise InvalidValue(
                f"{field} contains the control character U+{ord(char):04X}; "
                "write it as one line of plain text",
                field=field,
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
