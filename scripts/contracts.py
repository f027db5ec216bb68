"""The import contracts of pyproject.toml ([tool.importlinter]), checked on the package
tree as installed (scripts/test runs this).

    python scripts/contracts.py [lint-imports options]

import-linter's graph builder (grimp) finds ``ledger`` by its folder and walks it, so it
would never see projections/ and api/, which setuptools maps into ``ledger`` from beside
src/ (package-dir): the contracts would hold vacuously. So the Python files of every
installed package are laid out as setuptools installs them in a temporary folder (copies:
the same lines, so the line numbers reported are the sources'), and lint-imports runs with
that folder first on the path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from installed import ROOT, packages


def lay_out(target: Path) -> int:
    """Copies each installed package's Python files to its place under ``target``."""
    copied = 0
    for name, folder in packages().items():
        place = target.joinpath(*name.split("."))
        place.mkdir(parents=True, exist_ok=True)
        for source in folder.glob("*.py"):
            shutil.copy2(source, place / source.name)
            copied += 1
    return copied


def main(argv: list[str]) -> int:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    with tempfile.TemporaryDirectory(prefix="ledger-contracts-") as tree:
        lay_out(Path(tree))
        env = {**os.environ, "PYTHONPATH": tree}
        command = [str(lint_imports), "--no-cache", *argv]
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
