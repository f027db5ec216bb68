"""The example policy sets ship with the package: ``POST /replays`` names one wherever
the server starts, and so does ``ledger replay --policies NAME``; a wheel carries them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ledger.replay import find_policy_set, packaged_policy_sets, policy_set_names
from tests.api.conftest import CHIFENG, Desk, ok, problem
from tests.api.test_replays import chifeng_february, finished, result, start

ROOT = Path(__file__).resolve().parents[2]
CACHES = shutil.ignore_patterns("__pycache__", "*.egg-info")
SETS = ["chifeng-whole-7-percent", "deadline-2022-12-31", "fund-months-above-3"]


def test_a_replay_names_a_shipped_set_from_any_working_directory(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chifeng_february(desk)
    monkeypatch.chdir(tmp_path)  # no examples/ here

    job = ok(
        start(
            desk,
            {"policy_set": "chifeng-whole-7-percent", "region": CHIFENG, "as_of": "2020-12-31"},
        ),
        202,
    )

    assert finished(desk, job["id"])["state"] == "done"
    # halving the whole 7%: 50,000.00 x 1% x 1/2 = 250.00 more reduced
    assert ok(result(desk, job["id"]))["total"]["difference"]["reduced"] == "250.00"


def test_an_unknown_set_is_404_listing_the_shipped_ones(desk: Desk) -> None:
    refused = problem(start(desk, {"policy_set": "no-such-set", "as_of": "2020-12-31"}), 404)

    assert refused["field"] == "policy_set"
    assert all(name in refused["detail"] for name in SETS)


def test_the_shipped_sets_are_the_repositorys_examples() -> None:
    assert policy_set_names(packaged_policy_sets()) == SETS
    assert find_policy_set(SETS[0]).samefile(ROOT / "examples" / SETS[0])


def test_a_wheel_carries_the_sets_and_finds_them_outside_the_repository(tmp_path: Path) -> None:
    # built from a copy: setuptools writes build/ beside the sources it builds
    source = tmp_path / "source"
    for part in ("src", "projections", "api", "examples"):
        shutil.copytree(ROOT / part, source / part, symlinks=True, ignore=CACHES)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip, "--wheel-dir", str(tmp_path / "wheel"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("ledger-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "installed")
        names = set(archive.namelist())
    for name in SETS:
        assert f"ledger/examples/{name}/national-late-fee.toml" in names

    # the unpacked wheel first on the path, run from a directory without examples/
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ledger.replay import find_policy_set, load_policy_set;"
            "p = find_policy_set('deadline-2022-12-31'); load_policy_set(p); print(p)",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "installed")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(tmp_path / "installed/ledger/examples/deadline-2022-12-31")
