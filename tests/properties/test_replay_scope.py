"""Replay in proportion to what changes, as a property: on drawn histories and drawn
reforms (the example sets, a document of a drawn kind added over drawn periods that may
meet the history or miss it, a recorded document left out, the locality file amended
with the region's rates from a drawn month), the scoped replay's report is byte for byte
the full replay's.

Each example records two units' histories (months assessed and paid, under the
documents of the region; in Wuhai, each unit unclassified, an SME or large, the fund
paying 5 or 9 months, the second unit's facts dated up to 300 days late, so some fall
between the 2022 deferral's two deadlines) in an in-memory ledger, then replays the
drawn reform twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import event, given

from ledger.catalogue.loader import load_default_catalogue
from ledger.catalogue.model import CatalogueFile, RateRule
from ledger.catalogue.policyset import PolicySet
from ledger.domain.identifiers import resident_id_check_char, uscc_check_char
from ledger.domain.money import ZERO, round_fen
from ledger.domain.period import Period, PeriodRange
from ledger.replay import load_policy_set, render, run_replay
from tests.acceptance.test_replay_scope import deadline_moved_to
from tests.properties.test_measures import ACTOR, SETTINGS, bases, ledger_with, owed
from tests.properties.test_policy_history import HISTORIES, KINDS, distant_document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SETS = ("chifeng-whole-7-percent", "deadline-2022-12-31", "fund-months-above-3")
AS_OF = date(2024, 6, 30)


def reform_of(choice: str, kind: str, region: str, periods: PeriodRange) -> PolicySet:
    if choice in SETS:
        return load_policy_set(EXAMPLES / choice)
    if choice == "deadline later":
        return deadline_moved_to(date(2023, 12, 31))
    files = load_default_catalogue()
    if choice == "added":
        return PolicySet([*files, distant_document(kind, region, periods)])
    if choice == "locality":
        return PolicySet([_locality_v2(f, region[:4], periods.start) for f in files])
    left_out = {"150400": "chifeng-2020-3", "530900": "lincang-2020-14"}.get(
        region, "inner-mongolia-2022-19"
    )
    return PolicySet([f for f in files if f.document.id != left_out])


def _locality_v2(file: CatalogueFile, prefix: str, since: Period) -> CatalogueFile:
    """The locality file, version 2, with the region's rates changed from ``since`` on
    (an entry of that month replaced, or one added)."""
    if file.document.id != "locality":
        return file
    entry = RateRule(
        source="s",
        region=prefix,
        since=since,
        unit_medical=Decimal("0.05"),
        unit_maternity=Decimal("0.01"),
        individual=Decimal("0.03"),
    )
    kept = tuple(r for r in file.rates if (r.region, r.since) != (prefix, since))
    return file.model_copy(
        update={
            "document": file.document.model_copy(update={"version": 2}),
            "rates": (*kept, entry),
        }
    )


@SETTINGS
@given(
    history=st.sampled_from(HISTORIES),
    drawn=bases,
    months=st.lists(st.integers(min_value=1, max_value=6), min_size=2, max_size=2),
    offset=st.integers(min_value=0, max_value=20),
    paid=st.lists(st.sampled_from(["0", "0.5", "1"]).map(Decimal), min_size=6, max_size=6),
    choice=st.sampled_from(
        [*SETS, "deadline-2022-12-31", "deadline later", "added", "left out", "locality"]
    ),
    kind=st.sampled_from(KINDS),
    start=st.integers(min_value=-12, max_value=12),
    length=st.integers(min_value=1, max_value=6),
    classes=st.lists(st.sampled_from([None, "small", "large"]), min_size=2, max_size=2),
    fund_months=st.sampled_from([5, 9]),
    delay=st.integers(min_value=0, max_value=300),
)
def test_a_scoped_replay_reports_what_a_full_replay_reports(
    history: tuple[str, str, Period, tuple[str, ...]],
    drawn: list[Decimal],
    months: list[int],
    offset: int,
    paid: list[Decimal],
    choice: str,
    kind: str,
    start: int,
    length: int,
    classes: list[str | None],
    fund_months: int,
    delay: int,
) -> None:
    scoped_equals_full(
        history=history,
        drawn=drawn,
        months=months,
        offset=offset,
        paid=paid,
        choice=choice,
        kind=kind,
        start=start,
        length=length,
        classes=classes,
        fund_months=fund_months,
        delay=delay,
    )


@SETTINGS
@given(
    history=st.just(HISTORIES[2]),
    drawn=bases,
    months=st.lists(st.integers(min_value=1, max_value=6), min_size=2, max_size=2),
    offset=st.integers(min_value=0, max_value=20),
    paid=st.lists(st.sampled_from(["0", "0.5", "1"]).map(Decimal), min_size=6, max_size=6),
    choice=st.sampled_from(["deadline-2022-12-31", "deadline later"]),
    kind=st.sampled_from(KINDS),
    start=st.integers(min_value=-12, max_value=12),
    length=st.integers(min_value=1, max_value=6),
    classes=st.lists(st.sampled_from([None, "small", "large"]), min_size=2, max_size=2),
    fund_months=st.sampled_from([5, 9]),
    delay=st.integers(min_value=0, max_value=300),
)
def test_a_changed_deadline_replays_only_where_it_decided_and_reports_what_a_full_replay_does(
    history: tuple[str, str, Period, tuple[str, ...]],
    drawn: list[Decimal],
    months: list[int],
    offset: int,
    paid: list[Decimal],
    choice: str,
    kind: str,
    start: int,
    length: int,
    classes: list[str | None],
    fund_months: int,
    delay: int,
) -> None:
    """Wuhai and the 2022 deadline moved earlier or later: the finer reach (units the
    notice decided on, facts after the record's deadline and by a later one) on drawn
    size classes, fund months and late facts."""
    scoped_equals_full(
        history=history,
        drawn=drawn,
        months=months,
        offset=offset,
        paid=paid,
        choice=choice,
        kind=kind,
        start=start,
        length=length,
        classes=classes,
        fund_months=fund_months,
        delay=delay,
    )


def scoped_equals_full(
    history: tuple[str, str, Period, tuple[str, ...]],
    drawn: list[Decimal],
    months: list[int],
    offset: int,
    paid: list[Decimal],
    choice: str,
    kind: str,
    start: int,
    length: int,
    classes: list[str | None],
    fund_months: int,
    delay: int,
) -> None:
    code, name, first, documents = history
    ledger = ledger_with(*documents)
    ledger.register_region(code, name, code[:2] + "0000", ACTOR)
    if code == "150300":
        ledger.declare_fund_months(code, fund_months, date(2022, 7, 1), ACTOR)
    for n, (count, begins) in enumerate(zip(months, (first, first + offset), strict=True)):
        body = f"91{code}MA000000{n}"
        uscc = body + uscc_check_char(body)
        ledger.register_unit(
            uscc=uscc,
            name=f"{name}{n}",
            unit_type="enterprise",
            region=code,
            agency=f"{code}001",
            unit_number=f"U{n}",
            established_on=date(2010, 5, 1),
            actor=ACTOR,
        )
        for k, base in enumerate(drawn, 1):
            rid = f"{code}19850101{n}{k:02d}"
            ledger.join_person(
                uscc, rid + resident_id_check_char(rid), base, date(2010, 5, 1), ACTOR
            )
        late = timedelta(days=delay * n)  # the second unit's facts dated later
        size_class = classes[n] if code == "150300" else None
        if size_class is not None:
            ledger.classify_unit(
                uscc,
                industry="other",
                size_class=size_class,
                classified_on=begins.first_day + late,
                actor=ACTOR,
            )
        for period, share in zip(PeriodRange(begins, begins + (count - 1)), paid, strict=False):
            on = (period + 1).first_day + late
            ledger.assess(uscc, period, on, ACTOR)
            amount = round_fen(owed(ledger, uscc) * share)
            if amount > ZERO:
                ledger.collect_payment(uscc, on + timedelta(days=9), amount, ACTOR)
    periods = PeriodRange(first + start, first + (start + length - 1))
    reform = reform_of(choice, kind, code, periods)

    replayed: list[int] = []
    scoped = run_replay(ledger, reform, as_of=AS_OF, counted=lambda _, n: replayed.append(n))
    full = run_replay(ledger, reform, as_of=AS_OF, full=True)

    assert render(scoped, "json") == render(full, "json")
    # what the examples exercised (--hypothesis-show-statistics)
    event(f"{replayed[0]} of 2 units replayed")
    event("the reform differs" if full.units else "the reform changes nothing")
    ledger.close()
