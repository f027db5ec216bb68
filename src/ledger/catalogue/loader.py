"""Reads catalogue files (TOML) into typed rules, refusing anything malformed.

An error names the file and the dotted field, e.g.
``chifeng-2020-3.toml: reduction.fraction: Input should be greater than 0``.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ledger.catalogue.model import CatalogueFile
from ledger.catalogue.policyset import check_compatible
from ledger.domain.errors import CatalogueError, Conflict, InvalidValue
from ledger.domain.text import check_plain
from ledger.domain.years import check_day

#: files in a catalogue directory that are not policy documents
NOT_DOCUMENTS = frozenset({"size_classes.toml"})


def parse_catalogue_file(text: str, source: str) -> CatalogueFile:
    """Parses one file's text; ``source`` is the name used in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source}: not valid TOML: {exc}", field="") from exc
    except RecursionError:
        # tomllib parses arrays and inline tables recursively: "[[[[…" a few thousand
        # deep exhausts the stack. No catalogue file nests more than three levels.
        raise CatalogueError(
            f"{source}: not a catalogue file: arrays or tables nested too deeply", field=""
        ) from None
    try:
        check_leaves(data)
    except InvalidValue as exc:
        raise CatalogueError(f"{source}: {exc.message}", field=exc.field) from None
    try:
        return CatalogueFile.model_validate(data)
    except RecursionError:
        raise CatalogueError(
            f"{source}: not a catalogue file: arrays or tables nested too deeply", field=""
        ) from None
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
    check_policy_set(files, str(directory), [p.name for p in paths])
    return files


def load_default_catalogue() -> list[CatalogueFile]:
    """The catalogue shipped with the package: the five seeds, the law, the locality file."""
    data = resources.files("ledger.catalogue") / "data"
    entries = [
        entry
        for entry in sorted(data.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml") and entry.name not in NOT_DOCUMENTS
    ]
    files = [parse_catalogue_file(e.read_text(encoding="utf-8"), e.name) for e in entries]
    check_policy_set(files, "ledger.catalogue/data", [e.name for e in entries])
    return files


def default_catalogue_dir() -> Path:
    """The shipped catalogue directory as a filesystem path (it is installed as files)."""
    return Path(str(resources.files("ledger.catalogue") / "data"))


def check_policy_set(files: list[CatalogueFile], where: str, names: list[str]) -> None:
    """A directory is one policy set: each document once, no two documents ruling on the
    same kind, region and period unless one supersedes the other."""
    seen: dict[str, str] = {}
    for f, name in zip(files, names, strict=True):
        if f.document.id in seen:
            raise CatalogueError(
                f"{where}: {seen[f.document.id]} and {name} carry the same document id "
                f"{f.document.id!r}",
                field="document.id",
            )
        seen[f.document.id] = name
    try:
        check_compatible(files)
    except Conflict as exc:
        raise CatalogueError(f"{where}: {exc.message}", field=exc.field) from None


def check_leaves(data: Any) -> None:
    """The ledger's rules for what every entrance takes, on a document as parsed from
    TOML, before the model's own: its texts and keys (number, title, sources: cited in
    every decision, served to every role) are plain text, its dates within the ledger's
    years; each named by its dotted place (``document.title``, ``reduction.shares.0``).
    Walked with a stack, not recursion (the depth is the file's to choose), in the
    file's order, so the first refused value is the one named."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        place, value = stack.pop()
        children: list[tuple[str, Any]] = []
        if isinstance(value, str):
            check_plain(value, place)
        elif isinstance(value, date):
            check_day(value, place)
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{place}.{key}" if place else str(key)
                check_plain(str(key), name)
                children.append((name, item))
        elif isinstance(value, list):
            children = [(f"{place}.{n}" if place else str(n), v) for n, v in enumerate(value)]
        stack.extend(reversed(children))
