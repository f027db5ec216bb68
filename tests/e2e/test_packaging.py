"""projections/ and api/ install as ledger.projections and ledger.api (pyproject's
package-dir mapping, no symlinks): in the editable install the tests run against, and in
a wheel, with the desk's templates and stylesheet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import ledger

ROOT = Path(__file__).resolve().parents[2]
CACHES = shutil.ignore_patterns("__pycache__", "*.egg-info")
#: imports the app and prints where every ledger module it loaded came from
WHERE = """
import ledger.api, ledger.api.desk.routers, ledger.projections, ledger.examples
from ledger.api.app import create_app
print(ledger.api.__file__, ledger.projections.__file__, ledger.api.desk.routers.__file__)
for name, module in sorted(sys.modules.items()):
    if name.startswith("ledger") and getattr(module, "__file__", None):
        print(module.__file__)
"""
#: setuptools' editable finder (of the working tree, in the tests' environment) left out,
#: so that it cannot fill a gap in a wheel
WITHOUT_EDITABLE = (
    "sys.meta_path[:] = [f for f in sys.meta_path if not f.__module__.startswith('__editable__')]"
)


def python(code: str, cwd: Path, **env: str) -> list[Path]:
    ran = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}"],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return [Path(word) for word in ran.stdout.split()]


def sources(folder: str) -> set[str]:
    return {str(p.relative_to(ROOT / folder)) for p in (ROOT / folder).rglob("*.py")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (setuptools writes build/ beside them)."""
    where = tmp_path_factory.mktemp("wheel")
    source = where / "source"
    for part in ("src", "projections", "api", "examples"):
        shutil.copytree(ROOT / part, source / part, ignore=CACHES)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip, "--wheel-dir", str(where / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (found,) = (where / "dist").glob("ledger-*.whl")
    return found


def test_the_editable_install_maps_the_top_level_folders_from_any_directory(
    tmp_path: Path,
) -> None:
    if Path(ledger.__file__).resolve().parent != ROOT / "src" / "ledger":
        pytest.skip("ledger is not installed from this working tree")

    api, projections, desk_routers, *_ = python(WHERE, cwd=tmp_path)  # no api/ here

    assert api == ROOT / "api" / "__init__.py"
    assert projections == ROOT / "projections" / "__init__.py"
    assert desk_routers == ROOT / "api" / "desk" / "routers" / "__init__.py"


def test_a_wheel_carries_the_read_side_and_the_api_under_ledger(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())

    for folder, package in (("projections", "ledger/projections"), ("api", "ledger/api")):
        assert {f"{package}/{name}" for name in sources(folder)} <= names
    assert "ledger/api/desk/templates/base.html" in names
    assert "ledger/api/desk/static/desk.css" in names
    assert "ledger/py.typed" in names
    assert "ledger/catalogue/data/national-late-fee.toml" in names
    assert not any(name.startswith(("api/", "projections/", "examples/")) for name in names)


def test_a_wheel_imports_its_api_and_read_side_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "installed")

    # the unpacked wheel first on the path, run from a directory without the sources
    installed = tmp_path / "installed"
    api, projections, _, *loaded = python(
        WITHOUT_EDITABLE + WHERE, cwd=tmp_path, PYTHONPATH=str(installed)
    )

    assert api == installed / "ledger" / "api" / "__init__.py"
    assert projections == installed / "ledger" / "projections" / "__init__.py"
    assert len(loaded) > 50
    assert [path for path in loaded if not path.is_relative_to(installed)] == []
