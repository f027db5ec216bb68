"""Policy documents: administrators enact a catalogue file, sent as TOML.

TOML, not JSON: the body is the very file the CLI enacts (``ledger policy enact
FILE``), validated by the same loader, so an error names the same field
(``reduction.fraction: …``) and decimal numbers stay strings (a TOML float is refused).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from ledger.api import examples
from ledger.api.deps import Admin, CurrentActor, IdempotencyKey, LedgerDep, Reader
from ledger.api.jsonbody import JSONRoute
from ledger.api.problems import ApiProblem
from ledger.api.routers import COMMAND_PROBLEMS, READ_PROBLEMS, problems
from ledger.api.schemas.policies import PolicyCheck
from ledger.api.schemas.results import CommandResult
from ledger.api.schemas.types import Command, Day
from ledger.api.schemas.views import PolicyOut
from ledger.application import Result
from ledger.catalogue.loader import parse_catalogue_file
from ledger.projections.audit import decision_detail

router = APIRouter(
    route_class=JSONRoute,
    prefix="/policies",
    tags=["policies"],
    responses=COMMAND_PROBLEMS | problems(415),
)

TOML_TYPES = ("application/toml", "text/plain")
#: the request body of the routes that take a catalogue file
TOML_REQUEST = {
    "requestBody": {
        "required": True,
        "description": "One catalogue file (TOML), as in src/ledger/catalogue/data/.",
        "content": {
            media: {"schema": {"type": "string"}, "example": examples.POLICY_TOML}
            for media in TOML_TYPES
        },
    }
}


@router.get(
    "",
    response_model=list[PolicyOut],
    responses=READ_PROBLEMS,
    summary="Policies in force",
    operation_id="list_policies",
)
def list_policies(_: Reader, ledger: LedgerDep) -> list[PolicyOut]:
    """The documents enacted and not revoked, each at its latest version, by id."""
    documents = sorted(ledger.policies().documents(), key=lambda d: d.id)
    return [
        PolicyOut(
            document_id=d.id,
            number=d.number,
            title=d.title,
            version=d.version,
            issued_on=d.issued_on,
            enacted_on=d.enacted_on,
            regions=list(d.regions),
        )
        for d in documents
    ]


async def toml_body(request: Request) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in TOML_TYPES:
        raise ApiProblem(
            415,
            "unsupported-media-type",
            f"send the catalogue file as application/toml, not {media or 'no content type'}",
            field="Content-Type",
            rule="media-type",
        )
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiProblem(
            422, "invalid-request", "the catalogue file is not UTF-8", rule="utf-8"
        ) from None


TomlBody = Annotated[str, Depends(toml_body)]


class PolicyRevocation(Command):
    """The day the document ends: periods from then on lose its decisions."""

    revoked_on: Day


@router.post(
    "",
    response_model=CommandResult,
    summary="Enact a policy document",
    openapi_extra=TOML_REQUEST,
    operation_id="enact_policy",
)
def enact_policy(
    _: Admin,
    actor: CurrentActor,
    key: IdempotencyKey,
    text: TomlBody,
    ledger: LedgerDep,
) -> Result:
    """Records the document's content; decisions on periods it covers are taken at once
    (retroactivity). The same version and content again records nothing; a changed
    content needs a higher version. Administrators only."""
    file = parse_catalogue_file(text, "the request body")
    return ledger.enact_policy(file, actor, key)


@router.post(
    "/check",
    response_model=PolicyCheck,
    summary="What enacting a policy document would change (a dry run)",
    openapi_extra=TOML_REQUEST,
    operation_id="check_policy",
)
def check_policy(_: Admin, actor: CurrentActor, text: TomlBody, ledger: LedgerDep) -> PolicyCheck:
    """Checks the document against the enacted ones (an overlap without `supersedes`, or
    a version not newer, is refused as enacting it would be) and computes, over the
    recorded facts, the decisions it would record on each unit of its regions. Nothing
    is written: no Idempotency-Key. Administrators only."""
    file = parse_catalogue_file(text, "the request body")
    (preview,) = ledger.check_policies([file], actor)
    return PolicyCheck.model_validate(preview.as_dict(decision_detail))


@router.post(
    "/{document_id}/revocation",
    response_model=CommandResult,
    summary="Revoke a policy document from a date",
    operation_id="revoke_policy",
)
def revoke_policy(
    document_id: Annotated[
        str,
        Path(
            pattern=r"^[a-z0-9][a-z0-9-]*$",
            max_length=100,
            description="The catalogue document id",
            examples=["chifeng-2020-3"],
        ),
    ],
    body: PolicyRevocation,
    _: Admin,
    actor: CurrentActor,
    key: IdempotencyKey,
    ledger: LedgerDep,
) -> Result:
    """Ends the document from ``revoked_on``: the decisions it made for periods starting
    on or after that day are reversed by compensating decisions; earlier periods keep
    theirs. The same date again records nothing. Administrators only."""
    return ledger.revoke_policy(document_id, body.revoked_on, actor, key)
