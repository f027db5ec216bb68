"""Command groups of the ``ledger`` CLI: the write use cases, one command each."""

from __future__ import annotations

import getpass
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from ledger.application import Actor, Ledger
from ledger.bootstrap import build_ledger
from ledger.catalogue.loader import load_catalogue_dir, load_default_catalogue, parse_catalogue_file
from ledger.catalogue.model import CatalogueFile
from ledger.cli import as_json, out, refusals_exit
from ledger.domain.errors import InvalidValue
from ledger.domain.identifiers import parse_uscc
from ledger.domain.money import money_text
from ledger.domain.period import Period, PeriodRange
from ledger.settings import Settings

app = typer.Typer(
    name="ledger",
    help="Event-sourced ledger of employee medical-insurance contributions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
region_app = typer.Typer(help="Pooling regions (统筹地区).", no_args_is_help=True)
policy_app = typer.Typer(
    help="The policy catalogue: enact, amend (a higher version) or revoke documents.",
    no_args_is_help=True,
)
unit_app = typer.Typer(help="Units (参保单位): register, classify, show.", no_args_is_help=True)
person_app = typer.Typer(help="Insured persons of a unit.", no_args_is_help=True)
deferral_app = typer.Typer(help="Deferral on application (2020).", no_args_is_help=True)
commitment_app = typer.Typer(help="Written commitments (承诺书, 2022).", no_args_is_help=True)
app.add_typer(region_app, name="region")
app.add_typer(policy_app, name="policy")
app.add_typer(unit_app, name="unit")
app.add_typer(person_app, name="person")
app.add_typer(deferral_app, name="deferral")
app.add_typer(commitment_app, name="commitment")

ActorOpt = Annotated[str, typer.Option("--actor", envvar="LEDGER_ACTOR", help="Who acts.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why: recorded in every event.")]
KeyOpt = Annotated[
    str | None, typer.Option("--key", help="Idempotency key: a retry returns the first result.")
]
On = Annotated[str, typer.Option("--on", help="Business date (YYYY-MM-DD); default today.")]
CatalogueFiles = Annotated[list[Path] | None, typer.Argument(help="Catalogue files (TOML).")]
CatalogueDir = Annotated[
    Path | None, typer.Option("--dir", help="Every file of a catalogue directory.")
]
PackagedCatalogue = Annotated[
    bool, typer.Option("--default", help="The packaged catalogue (the seeds, law, calendars).")
]


UnitCode = Annotated[
    str,
    typer.Argument(
        metavar="USCC",
        help="The unit's USCC (统一社会信用代码).",
        show_default=False,
        callback=lambda text: unit_code(text),
    ),
]


def unit_code(text: str) -> str:
    """A registered unit's USCC, read as the API reads it: a code of the wrong form is an
    invalid identifier (GB 32100), not an unknown unit; a registered code may carry a bad
    check character (registered with --allow-bad-check)."""
    return parse_uscc(text, allow_bad_check=True)


def amount(text: str, field: str = "amount") -> Decimal:
    """An amount as the API takes it: yuan with exactly two decimals (1350.00)."""
    return money_text(text, field=field)


def payment_item(text: str) -> tuple[Period, str, Decimal]:
    """``--item PERIOD:PART:AMOUNT`` (2020-04:individual:100.00)."""
    fields = text.split(":")
    if len(fields) != 3:
        raise InvalidValue(
            f"--item {text!r} is not PERIOD:PART:AMOUNT (2020-04:individual:100.00)",
            field="item",
        )
    period, part, share = fields
    return Period.parse(period), part, amount(share, "item")


def ledger() -> Ledger:
    return build_ledger(Settings())


def actor(name: str, reason: str) -> Actor:
    return Actor(name or f"cli:{getpass.getuser()}", reason, f"cli-{uuid.uuid4().hex[:12]}")


def day(text: str, field: str = "date") -> date:
    """A business date option: YYYY-MM-DD, today (CST) when empty."""
    from ledger.clocks import business_date

    return business_date(text, field)


def founded(text: str) -> date:
    """A unit's founding date: YYYY-MM-DD from 1800 (today when empty)."""
    from ledger.clocks import business_date
    from ledger.domain.years import check_founded

    return business_date(text, "established", check=check_founded)


# ------------------------------------------------------------------ regions


@region_app.command("register")
@refusals_exit
def region_register(
    code: str,
    name: str,
    parent: str = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Register a pooling region by its 6-digit code."""
    as_json(ledger().register_region(code, name, parent, actor(who, why), key))


@region_app.command("fund-months")
@refusals_exit
def region_fund_months(
    code: str,
    months: int,
    as_of: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Declare the fund's payable months (gates the 2022 deferral)."""
    result = ledger().declare_fund_months(code, months, day(as_of), actor(who, why), key)
    as_json(result)


# ----------------------------------------------------------------- policies


@policy_app.command("enact")
@refusals_exit
def policy_enact(
    files: CatalogueFiles = None,
    directory: CatalogueDir = None,
    default: PackagedCatalogue = False,
    who: ActorOpt = "",
    why: ReasonOpt = "",
) -> None:
    """Enact policy documents; retroactive decisions are recorded at once. The batch is
    checked first: nothing is enacted if one of them would be refused by the catalogue's
    rules (an overlap with an enacted document, a version not newer)."""
    catalogue = chosen_catalogue(files, directory, default)
    ledger_ = ledger()
    ledger_.check_enactable(catalogue)
    for file in catalogue:
        result = ledger_.enact_policy(file, actor(who, why or f"enact {file.document.number}"))
        out.print(
            f"{file.document.number} v{file.document.version}: {len(result['events'])} events"
        )


def chosen_catalogue(
    files: list[Path] | None, directory: Path | None, default: bool
) -> list[CatalogueFile]:
    """The files named, a directory's, or the packaged catalogue."""
    if default:
        catalogue = load_default_catalogue()
    elif directory is not None:
        catalogue = load_catalogue_dir(directory)
    else:
        catalogue = [
            parse_catalogue_file(p.read_text(encoding="utf-8"), p.name) for p in files or []
        ]
    if not catalogue:
        raise typer.BadParameter("name files, --dir or --default")
    return catalogue


@policy_app.command("revoke")
@refusals_exit
def policy_revoke(
    document_id: Annotated[str, typer.Argument(help="The document id, e.g. chifeng-2020-3.")],
    revoked_on: Annotated[str, typer.Option("--on", help="The day it ends (YYYY-MM-DD).")],
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Revoke a document from a date: its decisions for periods from then on are reversed."""
    result = ledger().revoke_policy(
        document_id, day(revoked_on, "revoked_on"), actor(who, why), key
    )
    as_json(result)


@policy_app.command("list")
@refusals_exit
def policy_list() -> None:
    """The documents in force, with version and enactment date."""
    for doc in ledger().policies().documents():
        out.print(f"{doc.id:28} {doc.number}  v{doc.version}  enacted {doc.enacted_on}")


# -------------------------------------------------------------------- units


@unit_app.command("register")
@refusals_exit
def unit_register(
    uscc: str,
    name: str,
    region: Annotated[str, typer.Option(help="Pooling region code.")],
    agency: Annotated[str, typer.Option(help="Agency code (医保经办机构代码).")],
    unit_type: Annotated[
        str, typer.Option("--type", help="enterprise, individual_business, …")
    ] = "enterprise",
    unit_number: Annotated[str, typer.Option("--number", help="医保单位编号.")] = "",
    established: Annotated[str, typer.Option(help="Date the unit was set up.")] = "",
    allow_bad_check: Annotated[
        bool, typer.Option(help="Accept a USCC whose check character fails (flagged).")
    ] = False,
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Register a unit under its USCC."""
    result = ledger().register_unit(
        uscc=uscc,
        name=name,
        unit_type=unit_type,
        region=region,
        agency=agency,
        unit_number=unit_number,
        established_on=founded(established),
        actor=actor(who, why),
        allow_bad_check=allow_bad_check,
        key=key,
    )
    as_json(result)


@unit_app.command("classify")
@refusals_exit
def unit_classify(
    uscc: UnitCode,
    industry: Annotated[str, typer.Option(help="Industry of the 300号 table.")],
    size_class: Annotated[
        str | None, typer.Option("--class", help="large|medium|small|micro")
    ] = None,
    employees: Annotated[int | None, typer.Option()] = None,
    revenue: Annotated[str | None, typer.Option(help="10,000 yuan")] = None,
    assets: Annotated[str | None, typer.Option(help="10,000 yuan")] = None,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Classify a unit from data (企业划型): a class, or the indicators to compute it."""
    result = ledger().classify_unit(
        uscc,
        industry=industry,
        classified_on=day(on),
        actor=actor(who, why),
        size_class=size_class,
        employees=employees,
        revenue=Decimal(revenue) if revenue else None,
        assets=Decimal(assets) if assets else None,
        key=key,
    )
    as_json(result)


@unit_app.command("assess")
@refusals_exit
def unit_assess(
    uscc: UnitCode,
    period: str,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Assess a period (核定) from the members' current bases."""
    as_json(ledger().assess(uscc, Period.parse(period), day(on), actor(who, why), key=key))


@unit_app.command("revoke")
@refusals_exit
def unit_revoke(
    uscc: UnitCode,
    period: str,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Revoke an unpaid assessment."""
    result = ledger().revoke_assessment(uscc, Period.parse(period), day(on), actor(who, why), key)
    as_json(result)


@unit_app.command("pay", context_settings={"ignore_unknown_options": True})
@refusals_exit
def unit_pay(
    uscc: UnitCode,
    paid: Annotated[str, typer.Argument(metavar="AMOUNT", help="Yuan with two decimals (300.00).")],
    on: On = "",
    item: Annotated[
        list[str] | None, typer.Option(help="PERIOD:PART:AMOUNT, repeatable (回传 per item).")
    ] = None,
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Record a payment collected by the tax bureau."""
    total = amount(paid)
    items = [payment_item(text) for text in item or []]
    result = ledger().collect_payment(
        uscc, day(on), total, actor(who, why), items=items or None, key=key
    )
    as_json(result)


@unit_app.command("deregister")
@refusals_exit
def unit_deregister(
    uscc: UnitCode,
    complete: Annotated[bool, typer.Option(help="Complete a requested deregistration.")] = False,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Request deregistration (calls every deferred amount due), or complete it."""
    ledger_ = ledger()
    if complete:
        as_json(ledger_.complete_deregistration(uscc, day(on), actor(who, why), key))
    else:
        as_json(ledger_.request_deregistration(uscc, day(on), actor(who, why), key))


# ------------------------------------------------------------------ persons

BaseArg = Annotated[
    str | None,
    typer.Argument(metavar="[BASE]", help="The contribution base (or --base).", show_default=False),
]
BaseOpt = Annotated[
    str | None, typer.Option("--base", help="The contribution base, yuan (5000.00).")
]


def one_of(given: str | None, option: str | None, name: str, what: str) -> str:
    """A value given either after the arguments or as --NAME, not both, not neither."""
    if given is not None and option is not None and given != option:
        raise InvalidValue(f"give {what} once: {given} and --{name} {option}", field=name)
    value = option if option is not None else given
    if value is None:
        raise InvalidValue(f"give {what}: --{name}", field=name)
    return value


def one_base(given: str | None, option: str | None) -> Decimal:
    return amount(one_of(given, option, "base", "the contribution base (5000.00)"), "base")


@person_app.command("join")
@refusals_exit
def person_join(
    uscc: UnitCode,
    resident_id: str,
    base_given: BaseArg = None,
    base_option: BaseOpt = None,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """A person joins a unit with a contribution base (--base 5000.00, or after the ID)."""
    base = one_base(base_given, base_option)
    as_json(ledger().join_person(uscc, resident_id, base, day(on), actor(who, why), key))


@person_app.command("base")
@refusals_exit
def person_base(
    uscc: UnitCode,
    resident_id: str,
    base_given: BaseArg = None,
    since_given: Annotated[
        str | None, typer.Argument(metavar="[SINCE]", help="The first period, YYYY-MM.")
    ] = None,
    base_option: BaseOpt = None,
    since_option: Annotated[
        str | None, typer.Option("--since", help="The first period it applies to, YYYY-MM.")
    ] = None,
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Change a person's contribution base from a period on (--base B --since YYYY-MM, or
    both after the ID)."""
    base = one_base(base_given, base_option)
    since = one_of(since_given, since_option, "since", "the first period (YYYY-MM)")
    result = ledger().change_base(
        uscc, resident_id, base, Period.parse(since), actor(who, why), key
    )
    as_json(result)


@person_app.command("leave")
@refusals_exit
def person_leave(
    uscc: UnitCode,
    resident_id: str,
    trigger: Annotated[str, typer.Argument(help="resignation | retirement | transfer")],
    on: On = "",
    destination: str = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """A person resigns, retires or transfers out; deferred unit part falls due."""
    result = ledger().person_left(
        uscc, resident_id, trigger, day(on), actor(who, why), destination, key
    )
    as_json(result)


# ---------------------------------------------------------------- deferrals


@deferral_app.command("apply")
@refusals_exit
def deferral_apply(
    uscc: UnitCode,
    periods: Annotated[str, typer.Argument(help="YYYY-MM..YYYY-MM")],
    attachment: Annotated[list[str] | None, typer.Option(help="Documents filed.")] = None,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Apply for a deferral (2020): limits of the region's policy apply."""
    result = ledger().apply_for_deferral(
        uscc,
        PeriodRange.parse(periods),
        day(on),
        attachment or ["written application", "balance sheet"],
        actor(who, why),
        key,
    )
    as_json(result)


@deferral_app.command("decide")
@refusals_exit
def deferral_decide(
    uscc: UnitCode,
    approve: Annotated[bool, typer.Option("--approve/--refuse")],
    approver: str = "",
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """The approver's decision on a pending application."""
    result = ledger().decide_deferral_application(
        uscc, approve, day(on), approver, actor(who, why), key
    )
    as_json(result)


@commitment_app.command("file")
@refusals_exit
def commitment_file(
    uscc: UnitCode,
    months: Annotated[
        list[str] | None,
        typer.Argument(
            help="The chosen months, YYYY-MM each, where the rule lets the unit choose "
            "(Jinan); none where it does not (Inner Mongolia)."
        ),
    ] = None,
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """File a written commitment (承诺书), with the chosen deferral months if any."""
    result = ledger().file_commitment(
        uscc, [Period.parse(m) for m in months or []], day(on), actor(who, why), key
    )
    as_json(result)


@commitment_app.command("review")
@refusals_exit
def commitment_review(
    uscc: UnitCode,
    accept: Annotated[bool, typer.Option("--accept/--reject")],
    on: On = "",
    who: ActorOpt = "",
    why: ReasonOpt = "",
    key: KeyOpt = None,
) -> None:
    """Review a filed commitment (within the working days the policy sets)."""
    as_json(ledger().review_commitment(uscc, accept, day(on), actor(who, why), key))


@commitment_app.command("false")
@refusals_exit
def commitment_false(
    uscc: UnitCode, on: On = "", who: ActorOpt = "", why: ReasonOpt = "", key: KeyOpt = None
) -> None:
    """Record that a commitment was found false: deferred principal and late fees due."""
    as_json(ledger().find_commitment_false(uscc, day(on), actor(who, why), key))
