"""Reads catalogue files (TOML) into typed rules, refusing anything malformed.

An error names the file and the dotted field, e.g.
``chifeng-2020-3.toml: reduction.fraction: Input should be greater than 0``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from ledger.catalogue.model import CatalogueFile
from ledger.domain.errors import CatalogueError

#: files in a catalogue directory that are not policy documents
NOT_DOCUMENTS = frozenset({"size_classes.toml"})


def parse_catalogue_file(text: str, source: str) -> CatalogueFile:
    """Parses one file's text; ``source`` is the name used in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source}: not valid TOML: {exc}", field="") from exc
    try:
        return CatalogueFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise CatalogueError(f"{source}: {where}: {first['msg']}{more}", field=where) from exc


def load_catalogue_dir(directory: Path) -> list[CatalogueFile]:
    """Every policy document in a directory, sorted by file name."""
    if not directory.is_dir():
        raise CatalogueError(f"{directory}: not a directory of catalogue files")
    paths = sorted(p for p in directory.glob("*.toml") if p.name not in NOT_DOCUMENTS)
    if not paths:
        raise CatalogueError(f"{directory}: holds no catalogue files (*.toml)")
    files = [parse_catalogue_file(p.read_text(encoding="utf-8"), p.name) for p in paths]
    _check_unique_ids(files, str(directory))
    return files


def load_default_catalogue() -> list[CatalogueFile]:
    """The catalogue shipped with the package: the five seeds, the law, the locality file."""
    data = resources.files("ledger.catalogue") / "data"
    files = [
        parse_catalogue_file(entry.read_text(encoding="utf-8"), entry.name)
        for entry in sorted(data.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml") and entry.name not in NOT_DOCUMENTS
    ]
    _check_unique_ids(files, "ledger.catalogue/data")
    return files


def default_catalogue_dir() -> Path:
    """The shipped catalogue directory as a filesystem path (it is installed as files)."""
    return Path(str(resources.files("ledger.catalogue") / "data"))


def _check_unique_ids(files: Iterable[CatalogueFile], where: str) -> None:
    seen: set[str] = set()
    for f in files:
        if f.document.id in seen:
            raise CatalogueError(f"{where}: two files carry document id {f.document.id!r}")
        seen.add(f.document.id)
