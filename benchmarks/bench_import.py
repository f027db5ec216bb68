"""How fast ``ledger import assessments`` writes a month into PostgreSQL, beside a raw COPY.

    python -m benchmarks.bench_import                  # 20,000 units (~330k lines)
    python -m benchmarks.bench_import --units 300000   # a city: ~5M lines

In a fresh schema (created, and dropped at the end unless --keep): the packaged
catalogue is enacted, Chifeng (150400) registered with its fund months, and the
generated units registered in bulk (setup, not measured). Then, measured, each
after a CHECKPOINT so that neither inherits the other's dirty pages:

1. the import of the month's file, as ``ledger import assessments`` runs it;
2. the baseline: the same file read with ``csv``, the same three parts computed
   with the ledger's ``apply_rate``, and the rows sent with one psycopg ``COPY``
   into a table of the same shape (uscc, period, resident_id, base + parts).

Both are printed in person-lines per second, with their ratio and where the
import's time goes. Timings are never asserted anywhere: they depend on the machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks import generate
from benchmarks.region import prepare_ledger, register_units
from ledger.application import Actor, Ledger
from ledger.domain.money import apply_rate, money
from ledger.domain.period import Period
from ledger.importer import BATCH_UNITS, ImportSummary, import_assessments
from ledger.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor("benchmark", "import benchmark", "bench-import")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def data_files(directory: Path, units: int, seed: int) -> tuple[Path, Path, int]:
    """The generated files, made again only when size or seed differ."""
    meta = directory / "meta.txt"
    wanted = f"{units} {seed}"
    units_path = directory / "units.csv"
    lines_path = directory / f"assessments-{generate.PERIOD}.csv"
    if meta.exists() and meta.read_text().split("\n")[0] == wanted and lines_path.exists():
        return units_path, lines_path, int(meta.read_text().split("\n")[1])
    start = time.perf_counter()
    units_path, lines_path, lines = generate.write(directory, units, seed)
    meta.write_text(f"{wanted}\n{lines}\n")
    say(f"generated {units:,} units, {lines:,} lines in {time.perf_counter() - start:.1f} s")
    return units_path, lines_path, lines


def copy_baseline(
    url: str, schema: str, path: Path, rates: tuple[Any, Any, Any]
) -> tuple[float, float]:
    """Seconds (elapsed, client CPU) to read the file, compute the parts and COPY the rows:
    the same input and output as the import, without validation, events or decisions."""
    table = sql.Identifier(schema, "copy_lines")
    medical, maternity, individual = rates
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (uscc text, period text, resident_id text, base numeric(14,2), "
                "unit_medical numeric(14,2), unit_maternity numeric(14,2), "
                "individual numeric(14,2))"
            ).format(table)
        )
        conn.execute("CHECKPOINT")
        start, start_cpu = time.perf_counter(), time.process_time()
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy(sql.SQL("COPY {} FROM STDIN").format(table)) as copy,
            path.open(encoding="utf-8", newline="") as file,
        ):
            rows = csv.reader(file)
            next(rows)
            for uscc, period, resident_id, base_text in rows:
                base = money(base_text)
                copy.write_row(
                    (
                        uscc,
                        period,
                        resident_id,
                        base,
                        apply_rate(base, medical),
                        apply_rate(base, maternity),
                        apply_rate(base, individual),
                    )
                )
        return time.perf_counter() - start, time.process_time() - start_cpu


def table_sizes(url: str, schema: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchall()
    return dict(rows)


def breakdown(summary: ImportSummary) -> None:
    """Per phase: elapsed seconds (summed over processes) and CPU seconds of the client."""
    wall, cpu = dict(summary.timings.seconds), dict(summary.timings.cpu)
    names = {
        "read rows": "read rows (csv, group by unit)",
        "check rows": "check rows (ids, amounts)",
        "load units": "load units (bulk select, fold)",
        "decide and record": "decide and record (events)",
        "encode": "encode (collect, JSON)",
        "insert": "insert (recorder, incl. DB)",
    }
    for table in (wall, cpu):
        table["encode"] = table.pop("save", 0.0) - table.get("insert", 0.0)
    workers = summary.workers
    where = "1 process" if workers == 1 else f"{workers} workers + the reading process"
    say(f"where the import's time goes ({where}; us per person-line):")
    say(f"  {'phase':34} {'elapsed s':>9} {'us/line':>8} {'cpu s':>8} {'us/line':>8}")
    for key, name in names.items():
        w, c = wall.get(key, 0.0), cpu.get(key, 0.0)
        say(
            f"  {name:34} {w:9.1f} {w / summary.lines * 1e6:8.2f} "
            f"{c:8.1f} {c / summary.lines * 1e6:8.2f}"
        )
    total_cpu = sum(cpu.get(key, 0.0) for key in names)
    say(
        f"  {'client CPU in all phases':34} {'':9} {'':8} {total_cpu:8.1f} "
        f"{total_cpu / summary.lines * 1e6:8.2f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--data", type=Path, help="directory for the generated files")
    parser.add_argument("--workers", type=int, help="import worker processes (default: auto)")
    parser.add_argument("--batch", type=int, default=BATCH_UNITS, help="units per save")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--schema-prefix", default="bench", help="the fresh schema's name prefix")
    args = parser.parse_args(argv)
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL") or DEFAULT_URL
    directory = args.data or Path(tempfile.gettempdir()) / f"ledger-bench-{args.units}"
    units_csv, month_csv, lines = data_files(directory, args.units, args.seed)
    schema = f"{args.schema_prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    say(f"PostgreSQL {url} schema {schema}; {args.units:,} units, {lines:,} person-lines")
    say(f"load before the run: {os.getloadavg()[0]:.2f} (1 min; not quiet above ~0.5 per core)")
    ledger = Ledger(env=Settings(database_url=url, postgres_schema=schema).eventsourcing_env())
    try:
        start = time.perf_counter()
        prepare_ledger(ledger, generate.REGION, generate.REGION_NAME, fund_months=12)
        registered = register_units(ledger, units_csv)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, "ledger_events")))
            conn.execute("CHECKPOINT")
        say(f"setup (not measured): {registered:,} units in {time.perf_counter() - start:.1f} s")

        before = _process_cpu()
        summary = import_assessments(
            ledger,
            month_csv,
            actor=ACTOR,
            assessed_on=date(2024, 6, 5),
            batch_units=args.batch,
            workers=args.workers,
        )
        import_cpu = _process_cpu() - before
        if summary.lines_written != lines or not summary.ok:
            raise SystemExit(f"import incomplete: {summary.as_log()} {summary.rejections[:3]}")
        rates = ledger.policies().rates(generate.REGION, Period.parse(generate.PERIOD)).rule
        copy_seconds, copy_cpu = copy_baseline(
            url, schema, month_csv, (rates.unit_medical, rates.unit_maternity, rates.individual)
        )
        sizes = table_sizes(url, schema)
    finally:
        ledger.close()
        if not args.keep:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

    import_rate = lines / summary.elapsed
    copy_rate = lines / copy_seconds
    say()
    say(f"import assessments: {summary.elapsed:8.1f} s  {import_rate:10,.0f} lines/s")
    say(
        f"COPY baseline:      {copy_seconds:8.1f} s  {copy_rate:10,.0f} lines/s"
        f"  (client CPU {copy_cpu / lines * 1e6:.2f} us/line)"
    )
    say(f"ratio import/COPY:  {import_rate / copy_rate:8.2f}")
    say(f"load after the run: {os.getloadavg()[0]:.2f} (1 min)")
    say(f"events written: {summary.events:,}; table sizes: {sizes}")
    breakdown(summary)
    say(
        f"  {'client CPU, whole processes':34} {'':9} {'':8} {import_cpu:8.1f} "
        f"{import_cpu / lines * 1e6:8.2f}  (this process and its finished workers: "
        "start-up, hand-over and garbage collection included)"
    )


def _process_cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
