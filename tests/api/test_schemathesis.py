"""Schemathesis over the OpenAPI document: generated requests to every operation, valid
and invalid, answered without a server error and as documented, with every check
Schemathesis has (status codes, media types, headers and response schemas; invalid
data refused; valid data not refused for its form; 405 with Allow; authentication).

Bounded to run in seconds and derandomized, so CI sees the same requests every run.
The unit of the documented examples (赤峰市红山区示例商贸有限公司) exists, so requests
built from the examples reach the ledger's rules, not only the validation.

Schemathesis' own pytest integration (``from_fixture``) does not run under pytest 9,
so the operations are driven with its Hypothesis strategies, one subtest each.

Stateful: sequences of operations where each step acts on what an earlier one created
(a unit registered, then persons, assessments, payments on it). The routes answer with
the command's events, not the resource, so Schemathesis cannot infer these links; the
test adds them to the document it loads (``linked``): the created resource's key is
taken from the creating request's body (``$request.body#/uscc``) or path.
"""

from __future__ import annotations

import copy
import itertools
from datetime import date
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.config import PositiveDataAcceptanceConfig
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.specs.openapi import checks as openapi_checks

from ledger.api import examples
from ledger.application import Ledger
from ledger.domain.identifiers import uscc_check_char
from tests.api.conftest import AGENCY, SETUP, Prepared

MAX_EXAMPLES = 12
ADMIN_PREFIXES = ("/regions", "/policies", "/tokens", "/replays")
assert openapi_checks  # imported for its registrations: the OpenAPI checks
#: every check Schemathesis has: no 5xx, statuses, media types, headers and bodies as
#: documented, invalid data refused, valid data accepted, 405 with Allow, required
#: headers, authentication not ignored, resources gone after deletion...
CHECKS = REGISTERED_CHECKS.get_all()
#: what valid data may answer: besides success and authorisation, a refusal by a rule
#: (422: a check character, a policy's limit) or by what is recorded (409), which the
#: document cannot state as a schema
POSITIVE_DATA = PositiveDataAcceptanceConfig(
    expected_statuses=["2xx", "401", "403", "404", "409", "422"]
)


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
    schema.config.checks.positive_data_acceptance = POSITIVE_DATA
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]

    for operation in operations:
        admin = operation.path.startswith(ADMIN_PREFIXES)
        token = tokens.admin if admin else tokens.case_worker
        with subtests.test(msg=operation.label):
            fuzz(operation, {"Authorization": f"Bearer {token}"})

    assert len(operations) == 38


KNOWN_UNIT = {"region": "150400", "agency": AGENCY, "unit_type": "enterprise"}
#: collections whose POST creates a resource, and the path parameter that names it
CREATED = {"/units": "uscc", "/regions": "code"}


def linked(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with links: from a creating POST (and from every operation on
    the created resource) to every operation on that resource."""
    linked = copy.deepcopy(document)
    paths: dict[str, dict[str, Any]] = linked["paths"]
    for collection, name in CREATED.items():
        prefix = f"{collection}/{{{name}}}"
        targets = {
            op["operationId"]: op["operationId"]
            for path, item in paths.items()
            if path.startswith(prefix)
            for op in item.values()
        }
        sources = [(collection, f"$request.body#/{name}")]
        sources += [(path, f"$request.path.{name}") for path in paths if path.startswith(prefix)]
        for path, source in sources:
            for op in paths[path].values():
                for status, response in op["responses"].items():
                    if status.startswith("2"):
                        response["links"] = {
                            target: {"operationId": target, "parameters": {name: source}}
                            for target in targets
                        }
    return linked


def test_sequences_of_operations_answer_without_a_server_error(
    app: FastAPI, prepared: Prepared
) -> None:
    ledger: Ledger = app.state.ledger
    ledger.register_region("150400", "赤峰市", "150000", SETUP)
    tokens = prepared.tokens
    document = linked(app.openapi())
    # Token routes would revoke the scenario's own tokens (they are covered one by one above).
    document["paths"] = {p: o for p, o in document["paths"].items() if p.startswith(("/u", "/r"))}
    schema = schemathesis.openapi.from_dict(document)
    schema.config.checks.positive_data_acceptance = POSITIVE_DATA
    schema.app = app

    serial = itertools.count(1)

    class Desk(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # A unit of the case worker's agency in the known region, under a new USCC, so
            # that the steps linked to it act on a unit that exists.
            if case.operation.label == "POST /units" and isinstance(case.body, dict):
                body = f"91150402MA{next(serial):07d}"
                case.body |= {"uscc": body + uscc_check_char(body), **KNOWN_UNIT}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            admin = case.operation.path.startswith(ADMIN_PREFIXES)
            token = tokens.admin if admin else tokens.case_worker
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(
            self, response: Response, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Desk.run(
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
