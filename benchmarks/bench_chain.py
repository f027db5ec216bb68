"""What the hash chain costs a bulk import: the same month imported with and without it.

``python -m benchmarks.bench_chain [--units 2000] [--rounds 2]``: generates a
synthetic region (``benchmarks.generate``), and per round imports its month into
two fresh PostgreSQL schemas, once through the importer's chained recorder and once
through the same recorder with the chain left out (the baseline, measured in the
same run, alternating so that both see the same machine). Prints each time, the
person-lines per second and the ratio. Registration is not measured.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg import Cursor, sql
from psycopg.rows import DictRow

from benchmarks import generate
from benchmarks.region import prepare_ledger, register_units
from ledger.application import Actor, Ledger
from ledger.chain import POSTGRES_RECORDER_TOPIC as CHAINED
from ledger.chain.postgres import ChainedPostgresRecorder
from ledger.importer import import_assessments
from ledger.settings import Settings

ACTOR = Actor("benchmark-chain", "chain cost", "bench-chain")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class UnchainedRecorder(ChainedPostgresRecorder):
    """The ledger's recorder without the chain: the baseline."""

    # the library's save (its transaction and pipeline) rather than the chained function
    insert_events = PostgresApplicationRecorder.insert_events

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # What the importer's recorder did before the chain: the library reads the
        # notification ids from this statement.
        self._lock_table(curs)
        self._notify_channel(curs)
        self._insert_arrays(curs, stored_events)


UNCHAINED = get_topic(UnchainedRecorder)


def one_import(url: str, units_csv: Path, month_csv: Path, topic: str) -> float:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    ledger = Ledger(env={**settings.eventsourcing_env(), "APPLICATION_RECORDER_TOPIC": topic})
    try:
        prepare_ledger(ledger, generate.REGION, generate.REGION_NAME, fund_months=12)
        register_units(ledger, units_csv)
        summary = import_assessments(
            ledger, month_csv, actor=ACTOR, assessed_on=date(2024, 6, 5), workers=1
        )
        if not summary.ok:
            raise SystemExit(f"import incomplete: {summary.as_log()}")
        return summary.elapsed
    finally:
        ledger.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args(argv)
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL") or DEFAULT_URL
    directory = Path(tempfile.gettempdir()) / f"ledger-bench-chain-{args.units}"
    units_csv, month_csv, lines = generate.write(directory, args.units, args.seed)
    times: dict[str, list[float]] = {"without chain": [], "with chain": []}
    for _ in range(args.rounds):
        times["without chain"].append(one_import(url, units_csv, month_csv, UNCHAINED))
        times["with chain"].append(one_import(url, units_csv, month_csv, CHAINED))
    report = f"{args.units:,} units, {lines:,} person-lines, best of {args.rounds} (1 worker)"
    print(report)  # noqa: T201  (a benchmark prints its figures)
    best = {name: min(values) for name, values in times.items()}
    for name, seconds in best.items():
        print(f"{name:14} {seconds:7.2f} s  {lines / seconds:10,.0f} lines/s")  # noqa: T201
    ratio = best["with chain"] / best["without chain"]
    print(f"cost of the chain: x{ratio:.3f} elapsed")  # noqa: T201


if __name__ == "__main__":
    main()
