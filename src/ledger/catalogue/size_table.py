"""The size-class table shipped with the package (工信部联企业〔2011〕300号)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from ledger.domain.sizeclass import SizeTable, load_size_table

__all__ = ["default_size_table"]

_FILENAME = "size_classes.toml"


@cache
def default_size_table() -> SizeTable:
    """The packaged table, read and validated once per process (it is immutable)."""
    resource = files("ledger.catalogue") / "data" / _FILENAME
    return load_size_table(resource.read_text(encoding="utf-8"), _FILENAME)
