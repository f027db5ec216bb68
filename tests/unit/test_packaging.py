"""One package tree without symlinks: pyproject.toml maps projections/ and api/ to
ledger.projections and ledger.api, and lists every package folder (setuptools' find
cannot rename a folder), so a new subpackage left out of the list fails here rather than
going missing from the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setuptools_config() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools: dict[str, object] = config["tool"]["setuptools"]
    return setuptools


def package_folders() -> dict[str, Path]:
    """Every folder holding an ``__init__.py`` under a mapped folder, by package name."""
    package_dir = setuptools_config()["package-dir"]
    assert isinstance(package_dir, dict)
    found = {}
    for name, folder in package_dir.items():
        base = ROOT / folder
        roots = [base / "ledger"] if name == "" else [base]
        for root in roots:
            prefix = "ledger" if name == "" else name
            for init in root.rglob("__init__.py"):
                parts = init.parent.relative_to(root).parts
                found[".".join((prefix, *parts))] = init.parent
    return found


def test_projections_and_api_are_mapped_into_the_ledger_package() -> None:
    package_dir = setuptools_config()["package-dir"]

    assert package_dir == {
        "": "src",
        "ledger.projections": "projections",
        "ledger.api": "api",
        "ledger.examples": "examples",
    }


def test_every_package_folder_is_listed_for_setuptools() -> None:
    listed = setuptools_config()["packages"]
    assert isinstance(listed, list)

    assert sorted(listed) == sorted(package_folders())


def test_the_package_tree_holds_no_symlinks() -> None:
    linked = [
        path.relative_to(ROOT)
        for folder in ("src", "projections", "api", "examples", "tests")
        for path in (ROOT / folder).rglob("*")
        if path.is_symlink()
    ]

    assert linked == []
