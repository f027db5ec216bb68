"""The eventsourcing library's stock ProjectionRunner, writing the same rows as ours.

A ``Projection`` whose ``process_event`` maps the event with ``journal.rows_of`` and
writes its rows and the tracking record through a ``PostgresTrackingRecorder``
subclass in one transaction per event (the library's contract), into tables of
the same shape as the views (``schema.create_statements``) in a schema of its own.
The comparison point of ``bench_rebuild``: what the issue calls (b).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.sql import SQL

from ledger.projections.encoding import row_encoder
from ledger.projections.journal import AssessedLines, PersonLine, Row, rows_of
from ledger.projections.schema import TABLES, create_statements

# SQLite's parameter tuples are plain text and numbers: PostgreSQL casts them to the
# columns' types, as an INSERT written by hand would.
_ENCODE = {t.row_type: row_encoder(t, "sqlite") for t in TABLES}


def _assessed(position: int, ordinal: int, lines: list[PersonLine]) -> tuple[Any, ...]:
    """An ``AssessedLines`` row as parameters: arrays as lists, which psycopg sends as arrays."""
    row = AssessedLines.of(lines)
    head = _ENCODE[AssessedLines](position, ordinal, row)[:8]
    arrays = (
        row.resident_ids,
        row.bases_fen,
        row.unit_medical_fen,
        row.unit_maternity_fen,
        row.individual_fen,
    )
    held = None if row.declared_bases_fen is None else list(row.declared_bases_fen)
    return (*head, *map(list, arrays), held)


class StockView(PostgresTrackingRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        # The library runs these when it creates its tracking table (Composed SQL).
        self.sql_create_statements.extend(
            SQL(statement).format() for statement in create_statements("postgres", datastore.schema)
        )
        self.inserts = {
            t.row_type: f'INSERT INTO "{datastore.schema}".{t.name} ({", ".join(t.column_names)}) '
            f"VALUES ({', '.join(['%s'] * len(t.column_names))})"
            for t in TABLES
        }

    def insert_rows(self, rows: list[Row], tracking: Tracking) -> None:
        grouped: dict[type[Any], list[Any]] = defaultdict(list)
        lines = [(o, r) for o, r in enumerate(rows) if isinstance(r, PersonLine)]
        position = tracking.notification_id
        for ordinal, row in enumerate(rows):
            if not isinstance(row, PersonLine):
                grouped[type(row)].append(_ENCODE[type(row)](position, ordinal, row))
        if lines:  # one event's lines: one row of arrays, as the views keep them
            grouped[AssessedLines].append(_assessed(position, lines[0][0], [r for _, r in lines]))
        with self.datastore.transaction(commit=True) as curs:
            for row_type, params in grouped.items():
                curs.executemany(self.inserts[row_type], params)
            self._insert_tracking(curs, tracking)


class StockProjection(Projection[StockView]):
    name = "stockviews"

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_rows(rows_of(domain_event), tracking)
