"""The demo's SQLite file, made once by ``ledger demo`` and copied for each test that
reads or writes it (the demo takes seconds; a copy, milliseconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.test_cli_demo import run_ledger


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("demo")
    result = run_ledger("demo", "--db", "demo.db", cwd=where)
    assert result.returncode == 0, result.stderr
    return where / "demo.db"


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> tuple[Path, str]:
    """A working directory holding a copy of the demo's file, and its database URL."""
    for suffix in ("", "-wal", "-shm"):
        source = demo_template.with_name(demo_template.name + suffix)
        if source.exists():
            shutil.copyfile(source, tmp_path / f"demo.db{suffix}")
    return tmp_path, f"sqlite:///{tmp_path / 'demo.db'}"
