"""Schemathesis over the OpenAPI document: generated requests to every operation, valid
and invalid, answered without a server error and as documented (status codes, media
types, response schemas).

Bounded to run in seconds and derandomized, so CI sees the same requests every run.
The unit of the documented examples (赤峰市红山区示例商贸有限公司) exists, so requests
built from the examples reach the ledger's rules, not only the validation.

Schemathesis' own pytest integration (``from_fixture``) does not run under pytest 9,
so the operations are driven with its Hypothesis strategies, one subtest each.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ledger.api import examples
from ledger.application import Ledger
from tests.api.conftest import SETUP, Prepared

MAX_EXAMPLES = 12
ADMIN_PREFIXES = ("/regions", "/policies", "/tokens", "/replays")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def at_known_records(case: Any) -> Any:
    """Valid requests name the region and unit that exist, to get past the 404s."""
    known = {"uscc": examples.CHIFENG_USCC, "code": "150400"}
    for name in set(case.path_parameters or {}) & set(known):
        case.path_parameters[name] = known[name]
    return case


def fuzz(operation: Any, headers: dict[str, str]) -> None:
    """Valid and invalid requests to one operation, each response checked."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.POSITIVE).map(at_known_records),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    call()


def test_no_operation_answers_with_a_server_error(
    app: FastAPI, prepared: Prepared, subtests: pytest.Subtests
) -> None:
    ledger: Ledger = app.state.ledger
    ledger.register_region("150400", "赤峰市", "150000", SETUP)
    ledger.register_unit(**{**examples.UNIT, "established_on": date(2012, 5, 1)}, actor=SETUP)
    tokens = prepared.tokens
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]

    for operation in operations:
        admin = operation.path.startswith(ADMIN_PREFIXES)
        token = tokens.admin if admin else tokens.case_worker
        with subtests.test(msg=operation.label):
            fuzz(operation, {"Authorization": f"Bearer {token}"})

    assert len(operations) == 37
