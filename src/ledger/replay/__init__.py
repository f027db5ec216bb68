"""Policy replay (issue 5): what a different policy set would have made of the facts.

    policy_set = load_policy_set(Path("examples/chifeng-whole-7-percent"))
    report = run_replay(ledger, policy_set, region="150400", as_of=date(2020, 6, 30))
    render(report, "html")  # bytes; also "json" and "csv"

No framework here: the CLI (``ledger replay``) and the HTTP routes wrap these.
"""

from __future__ import annotations

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
    "load_policy_set",
    "render",
    "run_replay",
]


def load_policy_set(directory: Path) -> PolicySet:
    """A directory of catalogue files as one policy set (each file validated on load;
    an error names the file and the field)."""
    return PolicySet(load_catalogue_dir(directory))
