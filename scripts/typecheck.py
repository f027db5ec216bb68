"""mypy over the package tree as setuptools installs it (scripts/test runs this).

    python scripts/typecheck.py [mypy options] [targets]

projections/ and api/ are installed as ``ledger.projections`` and ``ledger.api`` by the
package-dir mapping of pyproject.toml, but mypy names a file after the folders it sits in
(``api/app.py`` would be a module ``api.app``, and ``ledger.api`` would not exist) and
cannot follow the import hook of setuptools' editable install. So this runs mypy's own
option parsing and build with each source renamed after that same mapping: every file is
checked once, under its installed name, with the configuration in pyproject.toml. Without
targets it checks the package tree, the tests, the benchmarks and itself; with targets, the
package tree is always among them (mypy finds ledger.api nowhere else).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.fscache import FileSystemCache
from mypy.main import process_options
from mypy.modulefinder import BuildSource
from mypy.util import count_stats

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_TREE = ["src/ledger", "projections", "api"]
TARGETS = [*PACKAGE_TREE, "tests", "benchmarks", "scripts/typecheck.py"]


def mapped_folders() -> dict[Path, str]:
    """The folders of [tool.setuptools] package-dir mapped to a package, by folder."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_dir: dict[str, str] = config["tool"]["setuptools"]["package-dir"]
    return {(ROOT / folder).resolve(): name for name, folder in package_dir.items() if name}


def installed_name(source: BuildSource, folders: dict[Path, str]) -> BuildSource:
    """``source`` named as installed: api/routers/units.py is ledger.api.routers.units."""
    if source.path is None:
        return source
    path = Path(source.path).resolve()
    for folder, package in folders.items():
        if path.is_relative_to(folder):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts and parts[-1] == "__init__":
                parts = parts[:-1]
            # rooted with the rest of ledger, so that no bare "api" is importable
            return BuildSource(source.path, ".".join((package, *parts)), None, str(ROOT / "src"))
    return source


def main(argv: list[str]) -> int:
    fscache = FileSystemCache()
    sources, options = process_options([*argv, *PACKAGE_TREE] if argv else TARGETS, fscache=fscache)
    folders = mapped_folders()
    # a file named as a target and inside the package tree is one source, not two
    by_path = {Path(s.path or s.module).resolve(): installed_name(s, folders) for s in sources}
    sources = list(by_path.values())
    messages: list[str] = []

    def report(_file: str | None, new: list[str], _serious: bool) -> None:
        messages.extend(new)
        sys.stdout.writelines(f"{message}\n" for message in new)

    try:
        result = build.build(sources, options, flush_errors=report, fscache=fscache)
        result.manager.metastore.close()
    except CompileError:
        return 2
    errors, _notes, files = count_stats(messages)
    if errors:
        sys.stdout.write(f"Found {errors} errors in {files} files ({len(sources)} checked)\n")
        return 1
    sys.stdout.write(f"Success: no issues found in {len(sources)} source files\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
