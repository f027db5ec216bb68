"""Policy replay (issue 5): what a different policy set would have made of the facts.

    policy_set = load_policy_set(find_policy_set("chifeng-whole-7-percent"))
    report = run_replay(ledger, policy_set, region="150400", as_of=date(2020, 6, 30))
    render(report, "html")  # bytes; also "json" and "csv"

Only what the documents the set changes, adds or removes reach is replayed
(:mod:`ledger.replay.scope`); ``full=True`` replays everything, ``workers=N`` spreads
the units over N processes: the report is the same.

No framework here: the CLI (``ledger replay``) and the HTTP routes wrap these.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from ledger.catalogue.loader import load_catalogue_dir
from ledger.catalogue.policyset import PolicySet
from ledger.replay.render import FORMATS, render
from ledger.replay.report import ReplayReport
from ledger.replay.run import Progress, run_replay

__all__ = [
    "FORMATS",
    "Progress",
    "ReplayReport",
    "find_policy_set",
    "load_policy_set",
    "packaged_policy_sets",
    "policy_set_names",
    "render",
    "run_replay",
]


def load_policy_set(directory: Path) -> PolicySet:
    """A directory of catalogue files as one policy set (each file validated on load;
    an error names the file and the field)."""
    return PolicySet(load_catalogue_dir(directory))


def packaged_policy_sets() -> Path:
    """The example policy sets shipped with the package (the repository's examples/,
    package data of ``ledger``): found wherever the ledger runs, not in the working
    directory."""
    return Path(str(files("ledger.examples")))


def policy_set_names(root: Path) -> list[str]:
    """The policy sets of a directory: its subdirectories holding a whole catalogue (a
    ``locality.toml`` among its files; examples/notices holds documents to add, not a
    set)."""
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if (d / "locality.toml").is_file())


def find_policy_set(name: str, root: Path | None = None) -> Path:
    """The directory of the policy set ``name`` in ``root`` (the packaged examples by
    default); a refusal lists the sets there."""
    from ledger.domain.errors import NotFound

    where = root or packaged_policy_sets()
    if name in policy_set_names(where):
        return where / name
    known = ", ".join(policy_set_names(where)) or "none"
    raise NotFound(f"no policy set {name!r} in {where} (there: {known})", field="policy_set")
