"""Which text encoding a CSV file is in, decided by its content: UTF-8 or GB18030.

Spreadsheets on a Chinese desktop save CSV in GB18030 (GBK) unless told otherwise;
others save UTF-8, with or without a byte-order mark. The file is read once, in
chunks, before it is imported:

- a byte-order mark decides (UTF-8's, or GB18030's ``84 31 95 33``);
- a line of non-ASCII text that is valid UTF-8 is evidence of UTF-8: UTF-8 has a
  strict structure that GB18030 text almost never has by chance (the reverse is not
  true: most UTF-8 text also decodes as GB18030, as mojibake);
- a line that is not valid UTF-8 but is valid GB18030 is evidence of GB18030;
- a file with evidence of one kind only is in that encoding; ASCII alone is UTF-8;
- a file with both is **ambiguous** (lines saved in two encodings, or GB18030 text
  that reads as UTF-8 by chance) and is refused, naming a line of each, before
  anything is written.

Lines valid in neither are left to the import, which reports each with its line.
Lines longer than ``MAX_LINE`` are not looked at (the import skips them too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger.domain.errors import InvalidValue

UTF8 = "utf-8"
GB18030 = "gb18030"
UTF8_BOM = b"\xef\xbb\xbf"
GB18030_BOM = b"\x84\x31\x95\x33"
_CHUNK = 1 << 20
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True, slots=True)
class Detected:
    encoding: str
    #: why: the byte-order mark, or the first line that showed it
    because: str


def detect(path: Path, max_line: int) -> Detected:
    """The encoding of the CSV file at ``path`` (see the module's rules)."""
    with path.open("rb") as file:
        head = file.read(4)
        if head.startswith(UTF8_BOM):
            return Detected(UTF8, "a UTF-8 byte-order mark")
        if head.startswith(GB18030_BOM):
            return Detected(GB18030, "a GB18030 byte-order mark")
        file.seek(0)
        utf8_line, gb_line = _evidence(file.read, max_line)
    if utf8_line and gb_line:
        raise InvalidValue(
            f"{path}: mixes text encodings: line {utf8_line} is UTF-8 text, line {gb_line} "
            "is not but reads as GB18030 (GBK); save the whole file in one encoding "
            "(UTF-8 or GB18030) and import it again",
            field="file",
            rule="encoding",
        )
    if gb_line:
        return Detected(GB18030, f"line {gb_line} is GB18030 text")
    return Detected(UTF8, f"line {utf8_line} is UTF-8 text" if utf8_line else "ASCII text")


def _evidence(read: Callable[[int], bytes], max_line: int) -> tuple[int, int]:
    """The first line that is UTF-8 (non-ASCII) and the first that is GB18030 only."""
    utf8_line = gb_line = 0
    for first, block in _blocks(read, max_line):
        if block.isascii():
            continue
        u, g = _classify(block, first)
        utf8_line, gb_line = utf8_line or u, gb_line or g
        if utf8_line and gb_line:
            break
    return utf8_line, gb_line


def _blocks(read: Callable[[int], bytes], max_line: int) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines, each with the number of its first line."""
    number = 1
    tail = b""
    while True:
        chunk = read(_CHUNK)
        data = tail + chunk
        if not chunk:
            if data:
                yield number, data
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > max_line:
                tail = _past_line(read)  # not looked at, nor held whole
                number += 1
            else:
                tail = data
            continue
        yield number, data[:cut]
        number += data.count(b"\n", 0, cut)
        tail = data[cut:]


def _past_line(read: Callable[[int], bytes]) -> bytes:
    """Reads on to the end of the current line; returns what follows it in the chunk."""
    while chunk := read(_CHUNK):
        end = chunk.find(b"\n")
        if end >= 0:
            return chunk[end + 1 :]
    return b""


def _classify(block: bytes, first: int) -> tuple[int, int]:
    """Within a block of whole lines: the first UTF-8 line with non-ASCII text, and the
    first line that only GB18030 reads."""
    try:
        block.decode(UTF8)
    except UnicodeDecodeError:
        pass
    else:
        found = _NON_ASCII.search(block)
        assert found is not None  # the caller passes non-ASCII blocks only
        return first + block.count(b"\n", 0, found.start()), 0
    utf8_line = gb_line = 0
    for n, line in enumerate(block.split(b"\n"), first):
        if line.isascii():
            continue
        try:
            line.decode(UTF8)
            utf8_line = utf8_line or n
        except UnicodeDecodeError:
            try:
                line.decode(GB18030)
                gb_line = gb_line or n
            except UnicodeDecodeError:
                continue
        if utf8_line and gb_line:
            break
    return utf8_line, gb_line
