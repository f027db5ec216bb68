"""The package tree as setuptools installs it, read from pyproject.toml.

projections/ and api/ (and examples/) are installed as ledger.projections and ledger.api
by ``[tool.setuptools] package-dir``; tools that name a module after the folders it sits
in (mypy, import-linter's graph builder) need to be told. scripts/typecheck.py and
scripts/contracts.py use this, so the mapping is written once, in pyproject.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _setuptools() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools: dict[str, Any] = config["tool"]["setuptools"]
    return setuptools


def package_dir() -> dict[str, Path]:
    """``[tool.setuptools.package-dir]``: a package name ("" for the root) and its folder."""
    mapping: dict[str, str] = _setuptools()["package-dir"]
    return {name: (ROOT / folder).resolve() for name, folder in mapping.items()}


def folder_of(package: str) -> Path:
    """The folder setuptools takes ``package`` from: its nearest mapped ancestor's folder
    and the rest of its name (ledger.api.routers is api/routers)."""
    mapping = package_dir()
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in mapping:
            return mapping[prefix].joinpath(*parts[cut:])
    return mapping[""].joinpath(*parts)


def packages() -> dict[str, Path]:
    """Every package setuptools installs (``[tool.setuptools] packages``) and its folder."""
    return {name: folder_of(name) for name in _setuptools()["packages"]}


def installed_name(path: Path) -> str | None:
    """The module a Python file is installed as (api/routers/units.py is
    ledger.api.routers.units), None outside the installed packages."""
    path = path.resolve()
    for name, folder in packages().items():
        if path.parent == folder:
            return name if path.stem == "__init__" else f"{name}.{path.stem}"
    return None
