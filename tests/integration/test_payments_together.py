"""Payments decided by one thread and saved together (``Ledger.collect_payments``),
against real SQLite and PostgreSQL: each payment gets what ``collect_payment`` would
give it (its result, its first result replayed, its refusal), a revoked token decides
nothing, and a payment whose save lost a race is decided again alone while the others
of its batch are saved."""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger
from ledger.demo import make_uscc
from ledger.domain.errors import InvalidValue
from ledger.domain.token import Token
from ledger.domain.unit import Unit
from ledger.usecases.together import PaymentAsked, Revoked
from tests.conftest import StoreConfig
from tests.integration.conftest import settings_of

CHIFENG = make_uscc("91150402MA0N1CF00")
WUHAI = make_uscc("91150302MA0Q1WH00")
WUHAI_JULY = make_uscc("92150302MA0Q2WH00")
ACTOR = Actor("case-worker:together", "", "req-together")
ADMIN = Actor("admin:together", "revoked in a test", "req-revoke")


def token(ledger: Ledger, agency: str) -> Token:
    issued = ledger.issue_token(role="case_worker", agency=agency, name="t", actor=ADMIN)
    assert issued.secret is not None
    found = ledger.authenticate(issued.secret)
    assert found is not None
    return found


def asked(holder: Token, uscc: str, key: str, amount: str = "10.00") -> PaymentAsked:
    return PaymentAsked(
        holder,
        uscc,
        date(2024, 1, 10),
        Decimal(amount),
        None,
        ACTOR,
        key,
        contextvars.copy_context(),
    )


def test_each_payment_of_a_batch_gets_what_it_would_get_alone(demo: Ledger) -> None:
    wuhai = token(demo, "150301")
    chifeng = token(demo, "150401")
    first = demo.collect_payment(WUHAI_JULY, date(2024, 1, 10), "10.00", ACTOR, key="once")

    outcomes = demo.collect_payments(
        [
            asked(chifeng, CHIFENG, "new-1"),
            asked(wuhai, WUHAI_JULY, "once"),  # its key recorded: the first result
            asked(wuhai, WUHAI, "zero", amount="0"),
        ]
    )

    assert isinstance(outcomes[0], dict)
    assert outcomes[0]["command"] == "collect_payment"
    assert outcomes[0]["events"][0]["type"] == "PaymentCollected"
    assert outcomes[1] == first
    assert isinstance(outcomes[2], InvalidValue)
    assert outcomes[2].field == "amount"
    again = demo.collect_payment(CHIFENG, date(2024, 1, 10), "10.00", ACTOR, key="new-1")
    assert again == outcomes[0]  # recorded with its key, as alone


def test_a_token_revoked_since_it_was_kept_decides_nothing(demo: Ledger) -> None:
    holder = token(demo, "150401")
    demo.revoke_token(str(holder.id), ADMIN)
    before = demo.unit(CHIFENG).version

    outcomes = demo.collect_payments([asked(holder, CHIFENG, "after-revoke")])

    assert isinstance(outcomes[0], Revoked)
    assert demo.unit(CHIFENG).version == before


def test_a_payment_that_loses_a_race_is_decided_again_and_the_others_saved(
    store: StoreConfig, demo: Ledger
) -> None:
    chifeng, wuhai = token(demo, "150401"), token(demo, "150301")
    for uscc in (CHIFENG, WUHAI):  # kept by this process
        demo.collect_payment(uscc, date(2024, 1, 9), "1.00", ACTOR, key=f"warm-{uscc}")
    other = build_ledger(settings_of(store), configure_logs=False)
    save_apart = demo.group_commit.save_apart

    def another_process_first(lists: Sequence[Sequence[Any]]) -> list[Exception | None]:
        # after the batch decided, before it saves: another process pays for Chifeng
        other.collect_payment(CHIFENG, date(2024, 1, 11), "5.00", ACTOR, key="elsewhere")
        return save_apart(lists)

    demo.group_commit.save_apart = another_process_first  # type: ignore[method-assign]
    splits = demo.group_commit.stats.splits
    try:
        outcomes = demo.collect_payments(
            [asked(chifeng, CHIFENG, "raced"), asked(wuhai, WUHAI, "not-raced")]
        )
    finally:
        other.close()

    assert all(isinstance(o, dict) for o in outcomes)
    assert demo.group_commit.stats.splits == splits + 1  # the two saved apart, then one again
    paid = [
        (e.paid_on, e.amount)
        for e in demo.events.get(demo.unit(CHIFENG).id)
        if isinstance(e, Unit.PaymentCollected)
    ]
    # the other process's first, then the raced payment, decided again after it
    assert paid[-2:] == [
        (date(2024, 1, 11), Decimal("5.00")),
        (date(2024, 1, 10), Decimal("10.00")),
    ]
    alone = demo.collect_payment(WUHAI, date(2024, 1, 10), "10.00", ACTOR, key="not-raced")
    assert alone == outcomes[1]
