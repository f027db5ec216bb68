"""A province over its pooling regions' own databases, joined by PostgreSQL (postgres_fdw).

Each pooling region keeps its ledger, events and views in its own schema, on its own
server if need be (``LEDGER_POSTGRES_SCHEMA``). A *reporting database* of the
province reaches them through ``postgres_fdw``, PostgreSQL's own foreign-data wrapper:
nothing is exported, copied or shipped as files.

In the reporting database, for province ``150000`` (names derive from ``schema``,
by default ``province_150000``):

- ``province_150000.members``: the regions linked (code, server, database, schema);
- per region ``R``: a foreign server ``province_150000_R`` (host, port, database of the
  region's ledger) with a user mapping, and a schema ``province_150000_R`` holding the
  region's view tables as foreign tables (``IMPORT FOREIGN SCHEMA ... LIMIT TO``);
- ``province_150000.<view table>``: a view, the ``UNION ALL`` of the regions' tables,
  for ad-hoc SQL across the province (``SELECT region, count(*) FROM
  province_150000.view_units GROUP BY region``).

:class:`ForeignViewStore` reads one region's views through its foreign tables: the
views code (the deferral list, the statistics) runs on it unchanged, and PostgreSQL
pushes the filters (a unit's id, a region prefix, a month, ``known_at``) down to the
region's server, so only the rows a report needs travel.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from ledger.domain.errors import Conflict, InvalidValue, NotFound, Unavailable
from ledger.projections.pages import Page
from ledger.projections.postgres_store import PostgresViewStore
from ledger.projections.schema import TABLES, TRACKING_NAME, TRACKING_TABLE

__all__ = [
    "ForeignViewStore",
    "Member",
    "Province",
]

_CODE = re.compile(r"^[0-9]{6}$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
#: the tables a region's views are read from (the tracking table: how fresh they are)
IMPORTED = (*(t.name for t in TABLES), TRACKING_TABLE)


@dataclass(frozen=True, slots=True)
class Member:
    """A pooling region linked into a province: where its ledger lives."""

    region: str
    host: str
    port: int
    database: str
    schema: str
    #: the views' position on the region's server (None: not read)
    position: int | None = None

    def url(self) -> str:
        """The region's ledger, as ``LEDGER_DATABASE_URL`` names it (no password:
        libpq's password file or ``PGPASSWORD`` supplies one where needed)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    user: str = "postgres"


def _code(code: str, field: str) -> str:
    if not _CODE.match(code):
        raise InvalidValue(f"{field} {code!r}: a 6-digit division code (GB/T 2260)", field=field)
    return code


class Province:
    """The reporting database's side of a province: links, members, foreign stores."""

    def __init__(self, reporting_url: str, province: str, schema: str = "") -> None:
        self.url = reporting_url
        self.province = _code(province, "province")
        if province[2:] != "0000":
            raise InvalidValue(f"province {province!r} must end in 0000", field="province")
        self.schema = schema or f"province_{province}"
        if not _NAME.match(self.schema):
            raise InvalidValue(
                f"schema {self.schema!r}: lower-case letters, digits and _ only", field="schema"
            )

    # ------------------------------------------------------------------ linking

    def link(self, region: str, url: str, schema: str) -> Member:
        """Links a region's ledger (``url``, ``schema``) into the province: its foreign
        server, user mapping and foreign tables, then the province's views again."""
        _code(region, "region")
        if region[:2] != self.province[:2]:
            raise InvalidValue(
                f"region {region} is not in province {self.province}", field="region"
            )
        if not _NAME.match(schema):
            raise InvalidValue(f"schema {schema!r}: lower-case letters, digits and _ only")
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise InvalidValue(f"{url!r}: a region's ledger is a postgresql:// URL", field="url")
        member = Member(
            region,
            parts.hostname or "127.0.0.1",
            parts.port or 5432,
            unquote(parts.path.lstrip("/")) or "postgres",
            schema,
            user=unquote(parts.username or "postgres"),
        )
        password = unquote(parts.password or "")
        with self._refusals(f"link region {region}"):
            self._link(member, password)
        return member

    def _link(self, member: Member, password: str) -> None:
        region, schema = member.region, member.schema
        server = sql.Identifier(self._remote(region))
        with self._connect() as conn, conn.transaction():
            self._lock(conn)
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgres_fdw")
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(self._ident()))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.members (region text PRIMARY KEY, "
                    "host text NOT NULL, port int NOT NULL, database text NOT NULL, "
                    "schema_name text NOT NULL, username text NOT NULL, "
                    "linked_at timestamptz NOT NULL DEFAULT now())"
                ).format(self._ident())
            )
            self._dropped(conn, region)  # linked again: the new address replaces the old
            conn.execute(
                sql.SQL("CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})").format(
                    server,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(k), sql.Literal(v))
                        for k, v in (
                            ("host", member.host),
                            ("port", str(member.port)),
                            ("dbname", member.database),
                            # filters go to the region's server; rows come in pages of 5,000
                            ("fetch_size", "5000"),
                        )
                    ),
                )
            )
            mapping = [("user", member.user)] + ([("password", password)] if password else [])
            conn.execute(
                sql.SQL("CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS ({})").format(
                    server,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(k), sql.Literal(v))
                        for k, v in mapping
                    ),
                )
            )
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(server))
            conn.execute(
                sql.SQL("IMPORT FOREIGN SCHEMA {} LIMIT TO ({}) FROM SERVER {} INTO {}").format(
                    sql.Identifier(schema),
                    sql.SQL(", ").join(sql.Identifier(t) for t in IMPORTED),
                    server,
                    server,
                )
            )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.members (region, host, port, database, schema_name, username) "
                    "VALUES (%s, %s, %s, %s, %s, %s)"
                ).format(self._ident()),
                (region, member.host, member.port, member.database, schema, member.user),
            )
            self._union(conn)

    def unlink(self, region: str) -> None:
        """Takes a region out of the province (its own ledger is untouched)."""
        with self._refusals(f"unlink region {region}"), self._connect() as conn, conn.transaction():
            self._lock(conn)
            if not self._dropped(conn, region):
                raise NotFound(f"region {region} is not linked into {self.schema}", field="region")
            self._union(conn)

    def members(self, *, positions: bool = False) -> list[Member]:
        """The regions linked, in code order; with ``positions``, each one's views
        position read from its server (a region that cannot be reached: Unavailable)."""
        with self._connect() as conn:
            if not self._exists(conn):
                return []
            rows = conn.execute(
                sql.SQL(
                    "SELECT region, host, port, database, schema_name, username "
                    "FROM {}.members ORDER BY region"
                ).format(self._ident())
            ).fetchall()
            found = []
            for region, host, port, database, schema, user in rows:
                position = None
                if positions:
                    position = self._position(conn, region)
                found.append(Member(region, host, port, database, schema, position, user))
            return found

    @contextmanager
    def store(self, region: str) -> Iterator[ForeignViewStore]:
        """The views of one linked region, read through its foreign tables."""
        store = ForeignViewStore(self.url, self._remote(region))
        try:
            yield store
        finally:
            store.close()

    # ----------------------------------------------------------------- helpers

    def _remote(self, region: str) -> str:
        return f"{self.schema}_{region}"

    @contextmanager
    def _refusals(self, what: str) -> Iterator[None]:
        """The database's refusals as the ledger's: a server that cannot be reached
        (exit 3), anything else refused (exit 2: no privilege, no postgres_fdw)."""
        try:
            yield
        except psycopg.OperationalError as exc:  # the wrapper's connection errors included
            raise Unavailable(f"{what}: {str(exc).strip()}") from exc
        except psycopg.Error as exc:
            raise Conflict(f"{what}: the reporting database refused: {str(exc).strip()}") from exc

    def _ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema)

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise Unavailable(f"the reporting database cannot be reached: {exc}") from exc

    def _lock(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        # two operators linking at once would race on the views
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"ledger:{self.schema}",))

    def _exists(self, conn: psycopg.Connection[tuple[Any, ...]]) -> bool:
        found = conn.execute("SELECT to_regclass(%s)", (f'"{self.schema}".members',)).fetchone()
        return bool(found and found[0])

    def _dropped(self, conn: psycopg.Connection[tuple[Any, ...]], region: str) -> bool:
        if not self._exists(conn):
            return False
        gone = conn.execute(
            sql.SQL("DELETE FROM {}.members WHERE region = %s").format(self._ident()), (region,)
        ).rowcount
        self._drop_member(conn, region)
        return bool(gone)

    def _drop_member(self, conn: psycopg.Connection[tuple[Any, ...]], region: str) -> None:
        """The region's foreign server, mapping and tables (and the views over them)."""
        self._union(conn, only_drop=True)
        remote = sql.Identifier(self._remote(region))
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(remote))
        conn.execute(sql.SQL("DROP SERVER IF EXISTS {} CASCADE").format(remote))

    def _union(self, conn: psycopg.Connection[tuple[Any, ...]], *, only_drop: bool = False) -> None:
        """The province's views: each view table, UNION ALL over the linked regions."""
        for table in TABLES:
            view = sql.Identifier(table.name)
            conn.execute(sql.SQL("DROP VIEW IF EXISTS {}.{}").format(self._ident(), view))
        if only_drop:
            return
        regions = [
            r
            for (r,) in conn.execute(
                sql.SQL("SELECT region FROM {}.members ORDER BY region").format(self._ident())
            ).fetchall()
        ]
        if not regions:
            return
        linked = self._linked_columns(conn, regions)
        for table in TABLES:
            # A region linked before the views had this table or one of its columns is
            # left out of this view until it is linked again (the reports refuse it,
            # naming it): so that it can be, and the others linked or unlinked meanwhile.
            current = [r for r in regions if set(table.column_names) <= linked[(r, table.name)]]
            if not current:
                continue
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in table.column_names)
            branches = sql.SQL(" UNION ALL ").join(
                sql.SQL("SELECT {} FROM {}.{}").format(
                    columns, sql.Identifier(self._remote(r)), sql.Identifier(table.name)
                )
                for r in current
            )
            conn.execute(
                sql.SQL("CREATE VIEW {}.{} AS {}").format(
                    self._ident(), sql.Identifier(table.name), branches
                )
            )

    def _linked_columns(
        self, conn: psycopg.Connection[tuple[Any, ...]], regions: list[str]
    ) -> defaultdict[tuple[str, str], set[str]]:
        """(region, view table) -> the columns its foreign table has here."""
        schemas = {self._remote(r): r for r in regions}
        found: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        for schema, table, column in conn.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = ANY(%s)",
            (list(schemas),),
        ).fetchall():
            found[(schemas[schema], table)].add(column)
        return found

    def _position(self, conn: psycopg.Connection[tuple[Any, ...]], region: str) -> int:
        try:
            row = conn.execute(
                sql.SQL("SELECT position FROM {}.{} WHERE name = %s").format(
                    sql.Identifier(self._remote(region)), sql.Identifier(TRACKING_TABLE)
                ),
                (TRACKING_NAME,),
            ).fetchone()
        except psycopg.Error as exc:  # the wrapper's own errors (SQLSTATE HV...) included
            raise Unavailable(f"region {region}'s server cannot be reached: {exc}") from exc
        return int(row[0]) if row else 0


class ForeignViewStore(PostgresViewStore):
    """A region's views read in the reporting database, through its foreign tables.

    Read-only: the region's own server writes its views (``ledger project`` or the
    server's follower there)."""

    def _create(self) -> None:
        """Nothing to create: the tables are the region's, imported."""

    def write(
        self, page: Page, position: int, *, after: int | None = None, durable: bool = True
    ) -> None:
        raise Conflict("a province's copy of a region's views is read-only")

    def clear(self) -> None:
        raise Conflict("a province's copy of a region's views is read-only")

    def create_indexes(self) -> None:
        raise Conflict("a province's copy of a region's views is read-only")
