"""The policies as the ledger knew them at an instant: what views "as known at" use."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from ledger.catalogue.policyset import PolicySet
from tests.acceptance.conftest import ACTOR, Agency


def test_an_amended_rate_and_a_revocation_are_known_only_from_when_recorded(
    agency: Agency,
) -> None:
    ledger = agency.ledger
    law = ledger.policies().files["national-late-fee"]
    assert law.late_fee is not None
    first = datetime.now(UTC)
    amended = law.model_copy(
        update={
            "document": law.document.model_copy(update={"version": 2}),
            "late_fee": law.late_fee.model_copy(update={"daily_rate": Decimal("0.001")}),
        }
    )
    ledger.enact_policy(amended, ACTOR)
    second = datetime.now(UTC)
    ledger.revoke_policy("chifeng-2020-3", date(2020, 4, 1), ACTOR)

    at_first = ledger.policies_known_at(first)
    at_second = ledger.policies_known_at(second)
    now = ledger.policies_known_at(None)

    def rate(policies: PolicySet) -> Decimal:
        return policies.late_fee("150400", date(2023, 1, 1)).rule.daily_rate

    assert (rate(at_first), rate(at_second), rate(now)) == (
        Decimal("0.0005"),
        Decimal("0.001"),
        Decimal("0.001"),
    )
    assert "chifeng-2020-3" in at_second
    assert "chifeng-2020-3" not in now
    # nothing was known before the catalogue was enacted
    assert ledger.policies_known_at(datetime(2000, 1, 1, tzinfo=UTC)).documents() == []
