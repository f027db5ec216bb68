"""requirements.lock holds the whole dependency tree, hashed, and agrees with the exact
pins of pyproject.toml: a pin changed without ``scripts/lock`` fails here (and the test
command would install the old version)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: a locked requirement: "name==version" and, on the lines after it, its hashes
ENTRY = re.compile(
    r"^([A-Za-z0-9._-]+)==([^\s;\\]+)[^\n]*((?:\n\s+--hash=sha256:[0-9a-f]{64}.*)+)", re.M
)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked() -> dict[str, tuple[str, int]]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {normalized(m[1]): (m[2], m[3].count("--hash=sha256:")) for m in ENTRY.finditer(text)}


def pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = {}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        name, _, version = spec.partition("==")
        # an environment marker (``; sys_platform == 'linux'``) is not part of the version
        found[normalized(re.sub(r"\[.*\]", "", name))] = version.split(";")[0].strip()
    return found


def test_every_pin_of_pyproject_is_locked_at_its_version() -> None:
    lock = locked()

    stale = {
        name: (version, lock.get(name, ("missing", 0))[0])
        for name, version in pins().items()
        if lock.get(name, ("", 0))[0] != version
    }

    assert not stale, f"requirements.lock is stale (run scripts/lock): {stale}"


def test_every_locked_package_has_a_hash_and_the_build_backend_is_locked() -> None:
    lock = locked()
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    requirements = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]

    assert len(requirements) == len(lock) > len(pins())
    assert all(hashes >= 1 for _, hashes in lock.values())
    assert "setuptools" in lock  # pip install --no-build-isolation -e . builds with it
