"""How fast the views rebuild from the notification log, beside what bounds it.

    python -m benchmarks.bench_rebuild                          # 2,000 units, 12 and 36 months
    python -m benchmarks.bench_rebuild --units 20000 --months 36 --months 12 --reuse
    python -m benchmarks.bench_rebuild --units 20000 --months 12 --reuse --workers 2 --pairs 5

For each history size (a synthetic Chifeng, ``benchmarks/history.py``, in a
PostgreSQL schema of its own, built once and kept with ``--reuse``), each in a
process of its own so that its peak RSS is its own, after a CHECKPOINT:

a.  read and decode: ``select_notifications`` in pages and ``mapper.to_domain_event``,
    nothing else, as the library runs (a*: with the runner's garbage-collector
    settings, the same loop; a': the runner's own page reader,
    ``projections.reading.page_reader``, binary rows as tuples, with its GC settings:
    the fastest read and decode here, so c/a' is the strictest ratio);
b.  the library's stock ``ProjectionRunner`` writing the same rows (``benchmarks/stock.py``),
    one transaction per event, on the first ``--stock-events`` events;
c.  ``ledger.projections.runner.rebuild``: clear, catch up in pages, build the indexes.

Printed: events/s and person-lines/s, c/a, c/a*, c/a', c/b, and peak RSS per process;
with ``--pairs N``, (a) and (c) run N times alternated, each pair's c/a and the median
(this machine's speed moves by a quarter within minutes: one pair alone says little).
Timings are never asserted anywhere: they depend on the machine (and on what else
runs on it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from benchmarks.history import build_history
from benchmarks.stock import StockProjection, StockView
from ledger.application import Ledger
from ledger.bootstrap import open_view_store, pages_in_processes
from ledger.projections.reading import page_reader
from ledger.projections.runner import PAGE_SIZE, rebuild
from ledger.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RESULT = "RESULT "


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Size:
    units: int
    months: int
    prefix: str = "bench_rebuild"

    @property
    def schema(self) -> str:
        return f"{self.prefix}_{self.units}u_{self.months}m"


# ----------------------------------------------------------------- phases
# Each runs in a child process and prints one RESULT line of JSON.


def _settings(url: str, schema: str) -> Settings:
    return Settings(database_url=url, postgres_schema=schema, log_level="WARNING")


def _checkpoint(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def phase_build(url: str, size: Size, seed: int) -> dict[str, Any]:
    settings = _settings(url, size.schema)
    ledger = Ledger(env=settings.eventsourcing_env())
    start = time.perf_counter()
    built = build_history(ledger, units=size.units, months=size.months, seed=seed)
    seconds = time.perf_counter() - start
    ledger.close()
    with psycopg.connect(url, autocommit=True) as conn:
        # Hint bits and statistics set now, so that no measured reader pays for them.
        conn.execute(
            sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(size.schema, "ledger_events"))
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (units int, months int, events int, person_lines bigint)"
            ).format(sql.Identifier(size.schema, "bench_history"))
        )
        total = _events(conn, size.schema)
        conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(
                sql.Identifier(size.schema, "bench_history")
            ),
            (size.units, size.months, total, built.person_lines),
        )
    return {"seconds": seconds, "events": total, "person_lines": built.person_lines}


def _events(conn: psycopg.Connection[Any], schema: str) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "ledger_events"))
    ).fetchone()
    return int(row[0]) if row else 0


class _Cpu:
    """CPU seconds of this process and of its PostgreSQL backends (those whose
    application_name is this phase's, set by the parent through PGAPPNAME), from the
    moment it is made; ``/proc`` of the server's processes must be readable (a local
    server). Backends that ended before ``used`` are not counted: the phases keep
    theirs open until the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = self._client()
        self.server = self._backends()
        self.machine = _machine_cpu()

    @staticmethod
    def _client() -> float:
        # and finished child processes' (a rebuild's range workers, reaped by then)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    def _backends(self) -> dict[int, float]:
        name = os.environ.get("PGAPPNAME", "")
        with psycopg.connect(self.url, autocommit=True, application_name="bench-cpu") as conn:
            pids = [
                int(r[0])
                for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
                ).fetchall()
            ]
        found = {}
        tick = os.sysconf("SC_CLK_TCK")
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        return found

    def used(self) -> dict[str, float]:
        """{"client_cpu": s, "server_cpu": s} since it was made."""
        now = self._backends()
        server = sum(cpu - self.server.get(pid, 0.0) for pid, cpu in now.items())
        return {
            "client_cpu": self._client() - self.client,
            "server_cpu": server,
            "machine_cpu": _machine_cpu() - self.machine,
        }


def _machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (``/proc/stat``: all but idle and
    iowait): with range workers, whose backends end before ``used``, the server's share
    is the machine's less the client's (on a quiet machine)."""
    with open("/proc/stat") as stat:
        fields = [int(f) for f in stat.readline().split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # user..steal, less idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def phase_read(
    url: str, size: Size, page_size: int, tuned: bool, own: bool = False
) -> dict[str, Any]:
    """(a): the notification log read in pages and decoded, nothing else (``own``: by
    the runner's page reader rather than the library's ``select_notifications``)."""
    ledger = Ledger(env=_settings(url, size.schema).eventsourcing_env())
    _checkpoint(url)
    if tuned:  # the runner's settings (runner._batch_gc)
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
    recorder, decode = ledger.recorder, ledger.mapper.to_domain_event
    select = page_reader(recorder) if own else recorder.select_notifications
    cpu = _Cpu(url)
    start = time.perf_counter()
    events, position = 0, 0
    while True:
        page = select(position + 1, page_size)
        if not page:
            break
        for notification in page:
            decode(notification)
        events += len(page)
        position = page[-1].id
    return {"seconds": time.perf_counter() - start, "events": events, **cpu.used()}


def phase_stock(url: str, size: Size, events: int) -> dict[str, Any]:
    """(b): the library's ProjectionRunner on the first ``events`` events."""
    from eventsourcing.projection import ProjectionRunner

    settings = _settings(url, size.schema)
    stock_schema = f"{size.schema}_stock"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(stock_schema))
        )
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(stock_schema)))
        row = conn.execute(
            sql.SQL(
                "SELECT notification_id FROM {} ORDER BY notification_id OFFSET %s LIMIT 1"
            ).format(sql.Identifier(size.schema, "ledger_events")),
            (events - 1,),
        ).fetchone()
    if row is None:
        raise SystemExit(f"the history has fewer than {events} events")
    last = int(row[0])
    env = {
        **settings.eventsourcing_env(),
        f"{StockProjection.name.upper()}_POSTGRES_SCHEMA": stock_schema,
    }
    _checkpoint(url)
    try:
        start = time.perf_counter()
        with ProjectionRunner(
            application_class=Ledger,
            projection_class=StockProjection,
            view_class=StockView,
            env=env,
        ) as runner:
            runner.wait(last, timeout=3600)
            seconds = time.perf_counter() - start
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(stock_schema)))
    return {"seconds": seconds, "events": events}


def phase_rebuild(url: str, size: Size, page_size: int, workers: int = 1) -> dict[str, Any]:
    """(c): our rebuild, indexes included."""
    settings = _settings(url, size.schema)
    ledger = Ledger(env=settings.eventsourcing_env())
    store = open_view_store(settings, ledger)
    _checkpoint(url)
    caught_up = 0.0
    cpu = _Cpu(url)
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        # the log as it was at the start applied: the rest is the index phase (and, with
        # processes, what was recorded meanwhile, caught up after the indexes)
        nonlocal caught_up
        if not caught_up and done >= total:
            caught_up = time.perf_counter() - start

    in_processes = pages_in_processes(settings, workers)
    events = rebuild(
        ledger, store, page_size=page_size, progress=progress, in_processes=in_processes
    )
    seconds = time.perf_counter() - start
    used = cpu.used()
    store.close()
    return {"seconds": seconds, "events": events, "catch_up_seconds": caught_up, **used}


# ------------------------------------------------------------ orchestration


def _child(args: argparse.Namespace, size: Size, phase: str) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_rebuild",
        "--phase",
        phase,
        "--units",
        str(size.units),
        "--months",
        str(size.months),
        "--page-size",
        str(args.page_size),
        "--workers",
        str(args.workers),
        "--stock-events",
        str(args.stock_events),
        "--seed",
        str(args.seed),
        "--schema-prefix",
        size.prefix,
    ]
    # the phase's PostgreSQL backends carry its name: their CPU is counted (``_Cpu``)
    env = {**os.environ, "PGAPPNAME": f"bench-rebuild-{phase}-{os.getpid()}"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result: dict[str, Any] = json.loads(line.removeprefix(RESULT))
            return result
    raise SystemExit(f"phase {phase} failed:\n{done.stdout}\n{done.stderr}")


def _history(url: str, size: Size, reuse: bool) -> dict[str, Any] | None:
    """The recorded size of a kept history, or None (and the schema made afresh)."""
    with psycopg.connect(url, autocommit=True) as conn:
        if reuse:
            try:
                row = conn.execute(
                    sql.SQL("SELECT events, person_lines FROM {}").format(
                        sql.Identifier(size.schema, "bench_history")
                    )
                ).fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
            if row is not None:
                return {"events": row[0], "person_lines": row[1], "seconds": 0.0}
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(size.schema))
        )
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(size.schema)))
    return None


def _rate(result: dict[str, Any]) -> float:
    """A phase's events per second."""
    return float(result["events"]) / float(result["seconds"])


def _report_pairs(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """c/a of each alternated pair of (a) and (c) runs, and their median: this machine's
    speed moves by a quarter within minutes, so one pair alone says little."""
    if len(pairs) < 2:
        return
    ratios = [_rate(c) / _rate(a) for a, c in pairs]
    rebuilt = [_rate(c) for _, c in pairs]
    say(
        f"  c/a of {len(pairs)} alternated pairs: {'  '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {statistics.median(ratios):.2f}; (c) median "
        f"{statistics.median(rebuilt):,.0f} events/s"
    )


def _report(size: Size, history: dict[str, Any], results: dict[str, dict[str, Any]]) -> None:
    events, lines = history["events"], history["person_lines"]
    say(f"\n{size.units:,} units x {size.months} months: {events:,} events, {lines:,} person-lines")

    def rate(name: str) -> float:
        return _rate(results[name])

    share = lines / events
    for name, label in (
        ("read", "(a)  read + decode"),
        ("read-tuned", "(a*) read + decode, runner's GC"),
        ("read-own", "(a') runner's reader + decode, GC"),
        ("stock", "(b)  stock ProjectionRunner"),
        ("rebuild", "(c)  rebuild"),
    ):
        if name not in results:
            continue
        r = results[name]
        say(
            f"  {label:34} {r['events']:>10,} events {r['seconds']:8.1f} s "
            f"{rate(name):10,.0f} events/s {rate(name) * share:11,.0f} lines/s "
            f"peak RSS {r['rss_kb'] / 1024:6.0f} MB"
        )
    for name in ("read", "read-tuned", "read-own", "rebuild"):
        r = results[name]
        if "client_cpu" in r:
            say(
                f"  {name:10} CPU per event: client {1e6 * r['client_cpu'] / r['events']:5.1f} µs, "
                f"PostgreSQL backends {1e6 * r['server_cpu'] / r['events']:5.1f} µs, "
                f"machine {1e6 * r.get('machine_cpu', 0.0) / r['events']:5.1f} µs "
                f"({r.get('machine_cpu', 0.0) / r['seconds']:.2f} cores busy)"
            )
    rebuilt = results["rebuild"]
    say(
        f"  (c) catch-up {rebuilt['catch_up_seconds']:.1f} s, indexes and statistics "
        f"{rebuilt['seconds'] - rebuilt['catch_up_seconds']:.1f} s"
    )
    stock = f"   c/b = {rate('rebuild') / rate('stock'):.1f}" if "stock" in results else ""
    say(
        f"  c/a = {rate('rebuild') / rate('read'):.2f}   c/a* = "
        f"{rate('rebuild') / rate('read-tuned'):.2f}   c/a' = "
        f"{rate('rebuild') / rate('read-own'):.2f}{stock}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument(
        "--months", type=int, action="append", help="history sizes (default: 12 and 36)"
    )
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE)
    parser.add_argument(
        "--workers", type=int, default=1, help="(c) in that many ranges at once (processes)"
    )
    parser.add_argument(
        "--stock-events", type=int, default=5_000, help="0: no stock runner phase (b)"
    )
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--reuse", action="store_true", help="keep histories and reuse them")
    parser.add_argument(
        "--schema-prefix",
        default="bench_rebuild",
        help="schemas are PREFIX_<units>u_<months>m (one's own while others benchmark too)",
    )
    parser.add_argument(
        "--pairs",
        type=int,
        default=1,
        help="(a) and (c) run this many times, alternated: each pair's c/a and the median",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    url = os.environ.get("LEDGER_TEST_POSTGRES_URL") or DEFAULT_URL
    sizes = [Size(args.units, m, args.schema_prefix) for m in (args.months or [12, 36])]

    if args.phase:
        (size,) = sizes
        result = {
            "build": lambda: phase_build(url, size, args.seed),
            "read": lambda: phase_read(url, size, args.page_size, tuned=False),
            "read-tuned": lambda: phase_read(url, size, args.page_size, tuned=True),
            "read-own": lambda: phase_read(url, size, args.page_size, tuned=True, own=True),
            "stock": lambda: phase_stock(url, size, args.stock_events),
            "rebuild": lambda: phase_rebuild(url, size, args.page_size, args.workers),
        }[args.phase]()
        result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        say(RESULT + json.dumps(result))
        return

    say(f"PostgreSQL {url}; page size {args.page_size:,}; run {uuid.uuid4().hex[:8]}")
    for size in sizes:
        history = _history(url, size, args.reuse)
        if history is None:
            history = _child(args, size, "build")
            say(
                f"built {size.schema}: {history['events']:,} events, "
                f"{history['person_lines']:,} person-lines in {history['seconds']:.0f} s"
            )
        phases = (
            "read-tuned",
            "read-own",
            "read",  # just before (c): the first of the alternated pairs
            "rebuild",
            *(("stock",) if args.stock_events else ()),
        )
        results = {phase: _child(args, size, phase) for phase in phases}
        pairs = [(results["read"], results["rebuild"])]
        for _ in range(args.pairs - 1):
            pairs.append((_child(args, size, "read"), _child(args, size, "rebuild")))
        _report(size, history, results)
        _report_pairs(pairs)
        if not args.reuse:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(size.schema)))


if __name__ == "__main__":
    main()
