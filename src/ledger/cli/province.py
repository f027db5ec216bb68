"""``ledger province link|unlink|show``, and the province behind ``ledger report
statistics|deferral-list --province``.

``LEDGER_DATABASE_URL`` names the province's reporting database (PostgreSQL); each
region's ledger stays where it is, reached through ``postgres_fdw``
(``ledger.projections.province``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import psycopg
import typer

from ledger.cli import out, refusals_exit
from ledger.cli.app import app
from ledger.cli.reads import emit_rows
from ledger.clocks import ReadClocks
from ledger.domain.errors import InvalidValue
from ledger.domain.period import Period
from ledger.settings import Settings

if TYPE_CHECKING:
    from ledger.projections.deferrals import DeferralListRow
    from ledger.projections.province import Province

province_app = typer.Typer(
    help="A province over its pooling regions' own databases (PostgreSQL postgres_fdw).",
    no_args_is_help=True,
)
app.add_typer(province_app, name="province")

ProvinceCode = Annotated[str, typer.Argument(help="The province's code, e.g. 150000.")]


def _province(code: str) -> Province:
    from ledger.projections.province import Province

    settings = Settings()
    if settings.store_kind != "postgres":
        raise InvalidValue(
            "a province's reporting database is PostgreSQL: set LEDGER_DATABASE_URL "
            "to a postgresql:// URL",
            field="database_url",
        )
    return Province(settings.database_url, code)


@province_app.command("link")
@refusals_exit
def link(
    province: ProvinceCode,
    region: Annotated[str, typer.Option(help="The pooling region's code, e.g. 150400.")],
    url: Annotated[str, typer.Option(help="The region's ledger: postgresql://user@host:port/db")],
    schema: Annotated[str, typer.Option(help="The region's schema (LEDGER_POSTGRES_SCHEMA).")],
) -> None:
    """Links a region's ledger into the province (again: its new address replaces the old)."""
    from ledger.bootstrap import build_ledger, open_view_store

    target = _province(province)
    # the region's view tables must exist there to be imported
    member_settings = Settings(database_url=url, postgres_schema=schema)
    build_ledger(member_settings, configure_logs=False).close()
    open_view_store(member_settings, None).close()
    member = target.link(region, url, schema)
    out.print(
        f"linked {region} ({member.host}:{member.port}/{member.database}, schema {schema}) "
        f"into {target.schema}"
    )


@province_app.command("unlink")
@refusals_exit
def unlink(
    province: ProvinceCode,
    region: Annotated[str, typer.Option(help="The pooling region's code.")],
) -> None:
    """Takes a region out of the province; its ledger is untouched."""
    target = _province(province)
    target.unlink(region)
    out.print(f"unlinked {region} from {target.schema}")


@province_app.command("show")
@refusals_exit
def show(province: ProvinceCode) -> None:
    """The regions linked, where they live, and their views' position there."""
    target = _province(province)
    members = target.members(positions=True)
    emit_rows(
        f"{target.schema}: {len(members)} region(s)",
        ["region", "server", "database", "schema", "views position"],
        ([m.region, f"{m.host}:{m.port}", m.database, m.schema, str(m.position)] for m in members),
        {"views position"},
    )


def province_deferral_rows(
    code: str,
    *,
    month: Period,
    clocks: ReadClocks,
    agency: str | None,
    withheld_out: list[str] | None = None,
) -> list[DeferralListRow]:
    """The deferral list of a province: each region's, computed on its own views (read
    through the reporting database's foreign tables) with its own enacted policies,
    after its views are caught up with its events, as every read does."""
    from ledger.bootstrap import build_ledger, open_view_store
    from ledger.projections.deferrals import deferral_list
    from ledger.projections.items import withheld
    from ledger.projections.runner import catch_up

    target = _province(code)
    members = target.members()
    if not members:
        raise InvalidValue(
            f"no region is linked into {target.schema}: ledger province link {code} …",
            field="province",
        )
    rows: list[DeferralListRow] = []
    for member in members:
        settings = Settings(database_url=member.url(), postgres_schema=member.schema)
        ledger = build_ledger(settings)
        try:
            own = open_view_store(settings, ledger)
            try:
                catch_up(ledger, own)
            finally:
                own.close()
            policies = ledger.policies_known_at(clocks.known_at)
        finally:
            ledger.close()
        with target.store(member.region) as store:
            try:
                rows += deferral_list(
                    store,
                    month=month,
                    clocks=clocks,
                    policies=policies,
                    region=code,
                    agency=agency,
                )
                if withheld_out is not None and store.set_aside():  # set aside there
                    scope = store.units(region=code, agency=agency, known_at=clocks.known_at)
                    withheld_out += [u.uscc for u in withheld(store, scope)]
            except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn) as missing:
                # a link imports the region's view tables as they were then: a table
                # added since (view_quarantine, view_assessed_lines) or a column renamed
                # since (person lines' amounts in fen: bases_fen) is not there
                what = missing.diag.message_primary or "a view table"
                raise InvalidValue(
                    f"region {member.region} was linked into {target.schema} before its views "
                    f"had the tables and columns they have now ({what}): link it again "
                    f"(ledger province link {code} --region {member.region} …)",
                    field="province",
                ) from None
    return sorted(rows, key=lambda r: (r.region, r.agency, r.uscc))
