"""The audit trail of a unit or a person: order, who, why, the policy, and the filters."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.projections.audit import AuditLine, person_trail, unit_trail
from tests.unit.projections import seeds
from tests.unit.projections.conftest import LEAVER, WUHAI_SME


def types(lines: list[AuditLine]) -> list[str]:
    return [line.entry.type for line in lines]


def test_a_units_trail_is_every_event_in_recorded_order_with_actor_and_reason() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    trail = unit_trail(store, seeds.LINCANG_UNIT, as_of=None, known_at=None)

    assert types(trail)[:4] == ["Registered", "PersonJoined", "PersonJoined", "PeriodAssessed"]
    assert [line.entry.recorded_at for line in trail] == sorted(
        line.entry.recorded_at for line in trail
    )
    assert {(line.entry.actor, line.entry.reason) for line in trail} == {
        ("case-worker:views", "views test")
    }


def test_decisions_name_the_policy_document_and_the_fact_that_caused_them() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    trail = unit_trail(store, seeds.LINCANG_UNIT, as_of=None, known_at=None, kinds=["RefundOwed"])

    (refund,) = trail
    assert refund.is_decision
    assert refund.entry.document == "lincang-2020-14"
    assert refund.entry.policy.startswith("临医保联发〔2020〕14号 v1: ")
    # decided when the notice was enacted (2020-03-14), for February already paid
    assert refund.on == date(2020, 3, 14)
    assert refund.entry.caused_by == "PolicyEnacted 临医保联发〔2020〕14号 v1"


def test_as_of_leaves_out_what_happened_later_in_business_time() -> None:
    store = seeds.store_for(seeds.lincang_ledger)

    trail = unit_trail(store, seeds.LINCANG_UNIT, as_of=date(2020, 3, 31), known_at=None)

    assert types(trail) == [
        "Registered",
        "PersonJoined",
        "PersonJoined",
        "PeriodAssessed",  # February, 2020-03-02
        "PaymentCollected",  # 2020-03-05
        "ReductionApplied",  # 2020-03-14
        "RefundOwed",
    ]


def test_known_at_and_the_recorded_time_window_filter_on_the_second_clock() -> None:
    store = seeds.store_for(seeds.lincang_ledger)
    everything = unit_trail(store, seeds.LINCANG_UNIT, as_of=None, known_at=None)
    cut = everything[4].entry.recorded_at

    known = unit_trail(store, seeds.LINCANG_UNIT, as_of=None, known_at=cut)
    since = unit_trail(store, seeds.LINCANG_UNIT, as_of=None, known_at=None, since=cut)

    assert known == everything[:5]
    assert since == everything[4:]


def test_a_persons_trail_holds_the_events_naming_them_and_their_assessments(
    wuhai_events: list[Any],
) -> None:
    store = seeds.store_of(wuhai_events)

    trail = person_trail(store, LEAVER, as_of=None, known_at=None)

    assert types(trail) == [
        "PersonJoined",
        "PeriodAssessed",
        "PeriodAssessed",
        "PeriodAssessed",
        "PersonLeft",
        "DeferredAmountCalledDue",
    ]
    called = trail[-1]
    assert called.entry.policy.startswith("内医保办发〔2022〕19号 v1: ")
    assert called.entry.caused_by.startswith("PersonLeft resignation")


def test_a_persons_trail_filtered_by_kind_and_business_date(wuhai_events: list[Any]) -> None:
    store = seeds.store_of(wuhai_events)

    assessed = person_trail(store, LEAVER, as_of=None, known_at=None, kinds=["PeriodAssessed"])
    before_leaving = person_trail(store, LEAVER, as_of=date(2022, 10, 1), known_at=None)

    assert [line.on for line in assessed] == [date(2022, 7, 5), date(2022, 8, 5), date(2022, 9, 5)]
    assert "PersonLeft" not in types(before_leaving)


def test_the_unit_trail_of_the_wuhai_retailer_shows_five_payments(
    wuhai_events: list[Any],
) -> None:
    store = seeds.store_of(wuhai_events)

    payments = unit_trail(store, WUHAI_SME, as_of=None, known_at=None, kinds=["PaymentCollected"])

    # three individual parts, the resigned person's 1,260.00, the late 21,000.00
    assert [line.entry.detail["amount"] for line in payments] == [
        "2120.00",
        "2120.00",
        "2120.00",
        "1260.00",
        "21000.00",
    ]
