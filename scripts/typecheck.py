"""mypy over the package tree as setuptools installs it (scripts/test runs this).

    python scripts/typecheck.py [mypy options] [targets, from the repository's root]

projections/ and api/ are installed as ``ledger.projections`` and ``ledger.api`` by the
package-dir mapping of pyproject.toml, but mypy names a file after the folders it sits in
(``api/app.py`` would be a module ``api.app``, and ``ledger.api`` would not exist) and
cannot follow the import hook of setuptools' editable install. So this runs mypy's own
option parsing and build with each source renamed after that same mapping: every file is
checked once, under its installed name, with the configuration in pyproject.toml. Without
targets it checks the package tree, the tests, the benchmarks and these scripts; with targets, the
package tree is always among them (mypy finds ledger.api nowhere else).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.fscache import FileSystemCache
from mypy.main import process_options
from mypy.modulefinder import BuildSource
from mypy.util import count_stats

from installed import ROOT, installed_name

PACKAGE_TREE = ["src/ledger", "projections", "api"]
TARGETS = [*PACKAGE_TREE, "tests", "benchmarks", "scripts"]


def installed(source: BuildSource) -> BuildSource:
    """``source`` named as installed: api/routers/units.py is ledger.api.routers.units."""
    name = installed_name(Path(source.path)) if source.path else None
    if name is None:
        return source
    # rooted with the rest of ledger, so that no bare "api" is importable
    return BuildSource(source.path, name, None, str(ROOT / "src"))


def main(argv: list[str]) -> int:
    os.chdir(ROOT)  # pyproject.toml's configuration, and the targets, from the root
    fscache = FileSystemCache()
    sources, options = process_options([*argv, *PACKAGE_TREE] if argv else TARGETS, fscache=fscache)
    # a file named as a target and inside the package tree is one source, not two
    by_path = {Path(s.path or s.module).resolve(): installed(s) for s in sources}
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
