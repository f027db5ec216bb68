"""Statements both sides' PostgreSQL stores make alike: dollar-quote tags, and large
values compressed with lz4.

PostgreSQL compresses a value when its row passes about 2 kB (TOAST): an assessment
event's state, an assessment's person-line arrays in the views, the audit detail of a
large event, a kept balance. Its default method, pglz, was the server's largest single
cost in a rebuild of the views (``pglz_compress`` 3.5% of the machine's samples under
``perf``, more than any other function of the server) and slowed the import's inserts.
lz4 compresses and reads back several times faster for about the same size: measured
alternated on the benchmarks' histories, the server's CPU in a rebuild of the views -8
to -14%, the import's insert phase 15.1 -> 11.5 s (issues 11.3 and 11.5).

lz4 is PostgreSQL's since version 14 when built with it (Debian's and the PostgreSQL
project's packages are); elsewhere nothing changes. Only a column's method is set (a
catalog change): values stored before keep theirs, and PostgreSQL reads both.
"""

from __future__ import annotations

from psycopg.sql import SQL, Composed, Literal

__all__ = ["LOCK_WAIT", "dollar_tag", "lz4_statement"]

#: how long setting a table's columns waits for its readers: behind a long one (a dump,
#: a replay's read) the ALTER would hold every later save or read of the table in the
#: lock's queue. Past it (or in a deadlock: a caller holding a weaker lock of the table
#: while another asks too) the columns stay as they are until the next open. Run it in
#: a transaction of its own: the exclusive lock is held until the transaction ends.
LOCK_WAIT = "2s"


def dollar_tag(word: str, names: tuple[str, ...]) -> str:
    """A dollar-quote tag that none of ``names`` (which the quoted text holds) contains."""
    tag = f"${word}$"
    while any(tag in name for name in names):
        tag = tag[:-1] + "_$"
    return tag


def lz4_statement(schema: str, table: str) -> Composed:
    """A statement that sets every compressible column of ``schema.table`` not set yet
    to lz4, in one ``ALTER TABLE``, when the server offers lz4; otherwise it does nothing.

    Opening a store runs it each time, and each time it only reads the catalog: the
    ``ALTER TABLE`` (a moment's exclusive lock of the table) is made once, by the first
    process that finds a column not set (a new table, or a store made before), and only
    if the table's readers let it within ``LOCK_WAIT``."""
    tag = dollar_tag("lz4", (schema, table))
    # A PostgreSQL before 14 has neither the setting nor ``attcompression``: PL/pgSQL
    # plans each statement when it first runs it, so the return comes first.
    return SQL(
        "DO {tag} DECLARE columns text; waited text := current_setting('lock_timeout'); BEGIN "
        "IF NOT EXISTS (SELECT FROM pg_settings WHERE name = 'default_toast_compression' "
        "AND 'lz4' = ANY (enumvals)) THEN RETURN; END IF; "
        "SELECT string_agg(format('ALTER COLUMN %I SET COMPRESSION lz4', a.attname), ', ') "
        "INTO columns FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = {schema} AND c.relname = {table} AND a.attnum > 0 "
        "AND NOT a.attisdropped AND a.attstorage IN ('x', 'm') AND a.attcompression <> 'l'; "
        "IF columns IS NOT NULL THEN BEGIN "
        "PERFORM set_config('lock_timeout', {wait}, true); EXECUTE {alter} || columns; "
        "PERFORM set_config('lock_timeout', waited, true); "
        "EXCEPTION WHEN lock_not_available OR deadlock_detected THEN NULL; END; END IF; "
        "END {tag}"
    ).format(
        tag=SQL(tag),
        wait=Literal(LOCK_WAIT),
        schema=Literal(schema),
        table=Literal(table),
        alter=SQL("format('ALTER TABLE %I.%I ', {}, {})").format(Literal(schema), Literal(table)),
    )
