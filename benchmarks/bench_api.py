"""Load on ``ledger serve`` over PostgreSQL: balance reads at a fixed rate, commands at
the highest rate sustained, beside pgbench's select-only rate on the same server.

    python -m benchmarks.bench_api [--units 2000 --months 12 --rate 500 --seconds 20]

1. A history of ``--units`` units x ``--months`` months (benchmarks.history) in the
   schema ``bench_api_<units>u_<months>m`` or ``--schema`` (kept for the next run;
   ``--fresh`` rebuilds). Before the loops of reads, every unit is read once: each read
   keeps its unit's balance in the views (``view_balance_ready``), or carries it on
   through the payments since; reads ask as of ``AS_OF``, after every movement.
2. ``ledger serve`` in a subprocess on that schema (``--workers``), JSON logs to a file;
   the views are caught up before anything is measured.
3. Balance reads (GET /units/{uscc}/balance of random units) in a **closed loop** of 8
   clients: the highest rate the server sustains, its latencies and the server's CPU per
   read (user + system time of its processes over the loop), beside PostgreSQL's (its
   processes on this machine) and the machine's busy share (``/proc/stat``): every loop
   prints the three, so a run shows what bounds it.
4. Commands: POST /units/{uscc}/payments (a fresh Idempotency-Key each, a unit per
   request in flight), **closed loop** with ``--concurrency`` clients; then reads again
   (the first ones catch the views up with the payments).
5. Balance reads in an **open loop** at ``--rate`` requests/s: each request has a
   scheduled start and its latency counts from it, so a server slower than the rate
   shows its queue (no coordinated omission); requests time out after 30 s.
6. pgbench ``-S`` (select-only, ``-c 8 -j 2``) on the same server: what the database
   itself answers per second, the ceiling of any read path through it.
7. ``--phases routes``: the closed loop of reads with ``LEDGER_LEAN=false`` (every read
   through FastAPI's route: the baseline of the lean read); the payments phase runs its
   grouped loop that way too, beside the lean one.
8. ``--phases steady``: payments in groups on one server after first passes over the
   units (each one kept from then on, with ``LEDGER_UNITS_KEPT`` above ``--units``):
   every unit paid at least twice per worker, each pass on new connections, so that
   the steady loop meets no unit its worker has not kept.
9. ``--phases stack``: the closed loops of reads, then of payments, on uvicorn's
   pure-Python HTTP parser and event loop (h11 + asyncio, the baseline) and on the
   compiled ones the lock installs (httptools + uvloop), one process each
   (``benchmarks.serve_stack``).
10. ``--phases joined``: steady payments (as in 8) on httptools + uvloop as uvicorn
   writes a response (its head and its body, two writes of the socket) and as ``ledger
   serve`` does (one, ``api/coalescing.py``), ``--pairs`` alternated pairs of servers,
   each after its first passes; the medians and their ratio.

The load comes from ``benchmarks.wire``, a lean asyncio HTTP/1.1 client (httpx spent
about a millisecond of CPU per request). It still runs on the same two cores as the
server and PostgreSQL: the figures are for this machine with all three sharing it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from benchmarks import generate
from benchmarks.history import build_history
from benchmarks.wire import Connection, Pool
from ledger.application import Actor, Ledger
from ledger.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor("benchmark-api", "load benchmark", "bench-api")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class Used:
    """CPU seconds over a load: the server's processes, the local PostgreSQL's (0 for a
    server elsewhere), and the share of the machine's cores busy (``/proc/stat``: it
    also counts what no process accounts for, the kernel's work and processes that
    ended meanwhile, which is why it can exceed the sum of the others)."""

    server: float
    postgres: float
    busy: float


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def cpu(self, used: Used, what: str) -> str:
        """The server's and PostgreSQL's CPU per request and how busy the machine was,
        as a line's tail."""
        n = max(1, self.count)
        return (
            f"; server CPU {1000 * used.server / n:.2f} ms a {what}, PostgreSQL's "
            f"{1000 * used.postgres / n:.2f} ms; machine {100 * used.busy:.0f}% busy"
        )

    def line(self, name: str) -> str:
        failed = sum(n for s, n in self.statuses.items() if s >= 400) + sum(self.errors.values())
        return (
            f"{name}: {self.count} requests in {self.seconds:.1f} s = "
            f"{self.count / self.seconds:.0f}/s; p50 {self.pct(0.50):.1f} ms, "
            f"p99 {self.pct(0.99):.1f} ms, max {self.pct(1.0):.1f} ms; errors {failed} "
            f"{dict(self.statuses)} {dict(self.errors)}"
        )


# ------------------------------------------------------------------ set-up


def prepare(url: str, schema: str, units: int, months: int, fresh: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
        if found and not fresh:
            say(f"history: reusing schema {schema}")
            return
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    settings = Settings(database_url=url, postgres_schema=schema, log_level="WARNING")
    from ledger.bootstrap import ensure_schema

    ensure_schema(settings)
    ledger = Ledger(env=settings.eventsourcing_env())
    start = time.perf_counter()
    built = build_history(ledger, units=units, months=months)
    ledger.close()
    say(
        f"history: {built.units} units x {built.months} months, {built.events} events, "
        f"{built.person_lines} person lines in {time.perf_counter() - start:.0f} s"
    )


def machine_ticks() -> tuple[int, int]:
    """The machine's busy and total clock ticks so far, all cores (``/proc/stat``)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def tokens(url: str, schema: str) -> tuple[str, str]:
    from ledger.bootstrap import build_ledger

    settings = Settings(database_url=url, postgres_schema=schema, log_level="WARNING")
    ledger = build_ledger(settings, configure_logs=False)
    try:
        inspector = ledger.issue_token(role="inspector", name="bench", actor=ACTOR).secret
        worker = ledger.issue_token(
            role="case_worker", agency=generate.AGENCY, name="bench", actor=ACTOR
        ).secret
    finally:
        ledger.close()
    assert inspector is not None
    assert worker is not None
    return inspector, worker


def serve(
    url: str,
    schema: str,
    port: int,
    workers: int,
    log: Path,
    group_commit: int = 0,
    stack: tuple[str, str] | None = None,
    lean: bool = True,
    units_kept: int = 0,
) -> subprocess.Popen[bytes]:
    """``ledger serve``; with ``stack`` (uvicorn's HTTP parser and event loop), one
    process of the same app through ``benchmarks.serve_stack`` instead; ``units_kept``:
    ``LEDGER_UNITS_KEPT`` unless the environment sets it."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": url,
        "LEDGER_POSTGRES_SCHEMA": schema,
        "LEDGER_LOG_FORMAT": "json",
        "LEDGER_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
    }
    if group_commit:
        env["LEDGER_GROUP_COMMIT"] = str(group_commit)
    if not lean:
        env["LEDGER_LEAN"] = "false"
    if units_kept:
        env.setdefault("LEDGER_UNITS_KEPT", str(units_kept))
    ledger_cli = shutil.which("ledger") or str(Path(sys.executable).with_name("ledger"))
    command = [ledger_cli, "serve", "--port", str(port), "--workers", str(workers)]
    if stack is not None:
        http, loop = stack
        command = [sys.executable, "-m", "benchmarks.serve_stack", "--port", str(port)]
        command += ["--http", http, "--loop", loop]
    return subprocess.Popen(
        command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_ready(base: str, token: str, uscc: str, limit: float = 1800.0) -> float:
    """Seconds until a balance read answers 200 (the views caught up)."""
    start = time.perf_counter()
    headers = {"Authorization": f"Bearer {token}"}
    while time.perf_counter() - start < limit:
        try:
            response = httpx.get(f"{base}/units/{uscc}/balance", headers=headers, timeout=30)
            if response.status_code == 200:
                return time.perf_counter() - start
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not answer a balance read in time")


# ------------------------------------------------------------------- loads


async def reads(port: int, token: str, usccs: list[str], rate: float, seconds: float) -> Sample:
    sample = Sample()
    rng = random.Random(7)
    pool = Pool("127.0.0.1", port, limit=256)
    headers = {"Authorization": f"Bearer {token}"}

    async def one(scheduled: float, uscc: str) -> None:
        try:
            answer = await asyncio.wait_for(
                pool.request("GET", f"/units/{uscc}/balance?as_of={AS_OF}", headers), 30
            )
            sample.statuses[answer.status] += 1
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            sample.errors[type(exc).__name__] += 1
        sample.latencies.append(time.perf_counter() - scheduled)

    start = time.perf_counter()
    tasks = []
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, rng.choice(usccs))))
    await asyncio.gather(*tasks)
    sample.seconds = time.perf_counter() - start
    pool.close()
    return sample


async def warm(port: int, token: str, usccs: list[str], concurrency: int = 4) -> None:
    """One balance read of every unit: each keeps its unit's balance ready in the views
    (or carries it on through the payments since), as reads over a day would."""
    headers = {"Authorization": f"Bearer {token}"}
    left = iter(usccs)

    async def client_loop() -> None:
        connection = await Connection.open("127.0.0.1", port)
        for uscc in left:
            await connection.request("GET", f"/units/{uscc}/balance?as_of={AS_OF}", headers)
        connection.close()

    await asyncio.gather(*(client_loop() for _ in range(concurrency)))


async def read_capacity(
    port: int, token: str, usccs: list[str], concurrency: int, seconds: float
) -> Sample:
    """Balance reads in a closed loop: the highest rate the server sustains."""
    sample = Sample()
    rng = random.Random(11)
    headers = {"Authorization": f"Bearer {token}"}
    start = time.perf_counter()
    deadline = start + seconds

    async def client_loop() -> None:
        connection = await Connection.open("127.0.0.1", port)
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            path = f"/units/{rng.choice(usccs)}/balance?as_of={AS_OF}"
            answer = await connection.request("GET", path, headers)
            sample.statuses[answer.status] += 1
            sample.latencies.append(time.perf_counter() - began)
        connection.close()

    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    sample.seconds = time.perf_counter() - start
    return sample


async def commands(
    port: int, token: str, usccs: list[str], concurrency: int, seconds: float, passes: int = 0
) -> Sample:
    """Payments in a closed loop for ``seconds``, and at least until each client has
    paid each of its units ``passes`` times (on a new connection for each pass: with
    several workers, a connection stays with the worker that took it)."""
    sample = Sample()
    run = uuid.uuid4().hex[:8]
    start = time.perf_counter()
    deadline = start + seconds
    body = json.dumps({"amount": "1.00", "paid_on": "2023-12-10"}).encode()

    async def client_loop(n: int) -> None:
        # each client pays for its own units: no two requests in flight share a unit
        connection = await Connection.open("127.0.0.1", port)
        mine = usccs[n::concurrency]
        i = 0
        while time.perf_counter() < deadline or i < passes * len(mine):
            if passes and i and i % len(mine) == 0 and i <= passes * len(mine):
                connection.close()
                connection = await Connection.open("127.0.0.1", port)
            uscc = mine[i % len(mine)]
            i += 1
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"b-{run}-{n}-{i}"}
            began = time.perf_counter()
            try:
                answer = await connection.request("POST", f"/units/{uscc}/payments", headers, body)
                sample.statuses[answer.status] += 1
            except (OSError, asyncio.IncompleteReadError) as exc:
                sample.errors[type(exc).__name__] += 1
                connection = await Connection.open("127.0.0.1", port)
            sample.latencies.append(time.perf_counter() - began)
        connection.close()

    await asyncio.gather(*(client_loop(n) for n in range(concurrency)))
    sample.seconds = time.perf_counter() - start
    return sample


def pgbench(url: str, seconds: int, *script: str) -> float:
    """pgbench transactions/s on the same server, in a database of its own: ``-S``
    (select-only) by default, or the given built-in script and clients."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS ledger_pgbench")
        conn.execute("CREATE DATABASE ledger_pgbench")
    target = re.sub(r"/[^/?]*(\?|$)", r"/ledger_pgbench\1", url, count=1)
    base = ["pgbench"]
    subprocess.run([*base, "-i", "-s", "10", "-q", target], check=True, capture_output=True)
    options = list(script) or ["-S", "-c", "8", "-j", "2"]
    done = subprocess.run(
        [*base, *options, "-n", "-T", str(seconds), target],
        check=True,
        capture_output=True,
        text=True,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE ledger_pgbench")
    found = re.search(r"tps = ([0-9.]+)", done.stdout)
    return float(found.group(1)) if found else 0.0


def transactions_since(url: str, schema: str, after: int) -> tuple[int, int]:
    """Events stored after notification ``after`` and the transactions that stored them
    (rows written by one transaction share its ``xmin``)."""
    table = sql.Identifier(schema, "ledger_events")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT count(*), count(DISTINCT xmin::text), coalesce(max(notification_id), 0) "
                "FROM {} WHERE notification_id > %s"
            ).format(table),
            (after,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def last_notification(url: str, schema: str) -> int:
    table = sql.Identifier(schema, "ledger_events")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(table)
        ).fetchone()
    assert row is not None
    return int(row[0])


# -------------------------------------------------------------------- main

#: the day balance reads ask about: after every movement of the history and of the
#: payments phase (paid 2023-12-10), so that a kept balance answers (an earlier day
#: folds the unit's movements up to it, as a read of the past does)
AS_OF = "2024-06-30"

PHASES = ("reads", "payments", "steady", "open", "routes", "pgbench", "stack", "joined")
#: uvicorn's pure-Python HTTP stack (the baseline) and the compiled one the lock installs
STACKS = (("h11", "asyncio"), ("httptools", "uvloop"))
#: uvicorn's httptools writing a response's head and body apart, and as ledger serve runs it
WRITES = (("httptools", "uvloop"), ("joined", "uvloop"))


class Server:
    """``ledger serve`` on the benchmark's schema, for the length of a ``with``."""

    def __init__(
        self,
        args: argparse.Namespace,
        schema: str,
        group_commit: int = 0,
        stack: tuple[str, str] | None = None,
        lean: bool = True,
        units_kept: int = 0,
    ) -> None:
        self.args, self.schema, self.group_commit = args, schema, group_commit
        self.stack, self.lean, self.units_kept = stack, lean, units_kept
        self.scratch = tempfile.TemporaryDirectory()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        log = Path(self.scratch.name) / "serve.log"
        a = self.args
        self.process = serve(
            a.url,
            self.schema,
            a.port,
            a.workers,
            log,
            self.group_commit,
            self.stack,
            self.lean,
            self.units_kept,
        )
        return self

    def measured(self, load: Coroutine[Any, Any, Sample]) -> tuple[Sample, Used]:
        """The load's sample and the CPU used while it ran."""
        server, postgres = self.cpu_seconds()
        busy, total = machine_ticks()
        sample = asyncio.run(load)
        server_after, postgres_after = self.cpu_seconds()
        busy_after, total_after = machine_ticks()
        return sample, Used(
            server_after - server,
            postgres_after - postgres,
            (busy_after - busy) / max(1, total_after - total),
        )

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user + system) the server's processes and PostgreSQL's have used so
        far (the server's: the process group ``ledger serve`` leads)."""
        assert self.process is not None
        ticks = os.sysconf("SC_CLK_TCK")
        server = postgres = 0
        for entry in Path("/proc").iterdir():
            try:
                name, _, rest = (entry / "stat").read_text().rpartition(")")
                fields = rest.split()
            except OSError:
                continue
            # after the name: state, ppid, pgrp, ...; utime and stime are fields 14 and 15
            if len(fields) < 13:
                continue
            used = int(fields[11]) + int(fields[12])
            if fields[2] == str(self.process.pid):
                server += used
            elif name.endswith("(postgres"):
                postgres += used
        return server / ticks, postgres / ticks

    def __exit__(self, *_: object) -> None:
        # uvicorn would first finish every request still queued by an open loop
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self.scratch.cleanup()


def payments(args: argparse.Namespace, schema: str, worker: str, usccs: list[str]) -> str:
    """Payments with every command saved alone (the baseline of grouping), in groups
    through FastAPI's route (``LEDGER_LEAN=false``: the baseline of the lean payment),
    then in groups as served: the same build and history, one after the other in this run."""
    figures = {}
    runs = (
        ("each saved alone", 1, True),
        ("in groups, through the route", 0, False),
        ("saved in groups", 0, True),
    )
    for label, group, lean in runs:
        with Server(args, schema, group, lean=lean) as server:
            wait_ready(f"http://127.0.0.1:{args.port}", worker, usccs[0])
            before = last_notification(args.url, schema)
            sent, cpu = server.measured(
                commands(args.port, worker, usccs, args.concurrency, args.seconds)
            )
            events, transactions = transactions_since(args.url, schema, before)
        per = sent.count / max(1, transactions)
        say(
            sent.line(f"payments ({label}), closed loop of {args.concurrency} clients")
            + f"; {events} events in {transactions} transactions ({per:.1f} payments each)"
            + sent.cpu(cpu, "payment")
        )
        figures[label] = sent.count / sent.seconds
    alone, routed = figures["each saved alone"], figures["in groups, through the route"]
    grouped = figures["saved in groups"]
    return (
        f"payments {grouped:.0f}/s in groups against {alone:.0f}/s alone "
        f"(x{grouped / alone:.2f}) and {routed:.0f}/s through the route (x{grouped / routed:.2f})"
    )


def stacks(args: argparse.Namespace, schema: str, tokens: tuple[str, str], usccs: list[str]) -> str:
    """Balance reads, then payments (in groups), on uvicorn's pure-Python HTTP stack and
    on the compiled one: the same app, build and history, one after the other in this
    run (the reads of both before any payment, which would make kept balances stale)."""
    inspector, worker = tokens
    rates: dict[tuple[str, str], float] = {}
    for stack in STACKS:
        with Server(args, schema, stack=stack) as server:
            wait_ready(f"http://127.0.0.1:{args.port}", inspector, usccs[0])
            asyncio.run(warm(args.port, inspector, usccs))
            got, cpu = server.measured(read_capacity(args.port, inspector, usccs, 8, args.seconds))
            say(
                got.line(f"balance reads on {' + '.join(stack)}, closed loop of 8")
                + got.cpu(cpu, "read")
            )
            rates[stack] = got.count / got.seconds
    for stack in STACKS:
        with Server(args, schema, stack=stack) as server:
            wait_ready(f"http://127.0.0.1:{args.port}", inspector, usccs[0])
            sent, cpu = server.measured(
                commands(args.port, worker, usccs, args.concurrency, args.seconds)
            )
            say(
                sent.line(f"payments on {' + '.join(stack)}, closed loop of {args.concurrency}")
                + sent.cpu(cpu, "payment")
            )
    plain, compiled = (rates[s] for s in STACKS)
    return (
        f"balance reads {compiled:.0f}/s on httptools + uvloop against {plain:.0f}/s "
        f"on h11 + asyncio (x{compiled / plain:.2f})"
    )


def joined_writes(args: argparse.Namespace, schema: str, worker: str, usccs: list[str]) -> str:
    """Steady payments with a response's head and body written apart (uvicorn's
    httptools as it is) and joined (``ledger serve``'s), alternated pairs of servers."""
    rates: dict[tuple[str, str], list[float]] = {stack: [] for stack in WRITES}
    for _ in range(args.pairs):
        for stack in WRITES:
            with Server(args, schema, stack=stack, units_kept=2 * args.units) as server:
                wait_ready(f"http://127.0.0.1:{args.port}", worker, usccs[0])
                asyncio.run(commands(args.port, worker, usccs, args.concurrency, 12, 2))
                sent, cpu = server.measured(
                    commands(args.port, worker, usccs, args.concurrency, args.seconds)
                )
            label = "one write a response" if stack[0] == "joined" else "head and body apart"
            say(sent.line(f"payments, steady, {label}") + sent.cpu(cpu, "payment"))
            rates[stack].append(sent.count / sent.seconds)
    apart, joined = (statistics.median(rates[s]) for s in WRITES)
    return (
        f"steady payments {joined:.0f}/s writing a response once against {apart:.0f}/s "
        f"writing its head and body apart (x{joined / apart:.2f}, medians of "
        f"{args.pairs} alternated pairs)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--rate", type=float, default=500.0, help="balance reads a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16, help="command clients")
    parser.add_argument("--workers", type=int, default=1, help="ledger serve --workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--fresh", action="store_true", help="rebuild the history")
    parser.add_argument("--pairs", type=int, default=3, help="alternated pairs (joined)")
    parser.add_argument(
        "--schema", default="", help="PostgreSQL schema (default bench_api_<units>u_<months>m)"
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated, of {', '.join(PHASES)} (default: all)",
    )
    args = parser.parse_args(argv)
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    if unknown := phases - set(PHASES):
        parser.error(f"--phases: unknown {', '.join(sorted(unknown))}")

    schema = args.schema or f"bench_api_{args.units}u_{args.months}m"
    prepare(args.url, schema, args.units, args.months, args.fresh)
    inspector, worker = tokens(args.url, schema)
    usccs = [u.uscc for u in generate.units(args.units, 20240501)]
    base = f"http://127.0.0.1:{args.port}"
    say(f"load before the run: {os.getloadavg()[0]:.2f} (1 min; not quiet above ~0.5 per core)")
    summary = []
    most: Sample | None = None
    if phases & {"reads", "open"}:
        with Server(args, schema) as server:
            ready = wait_ready(base, inspector, usccs[0])
            say(f"server: {args.workers} worker(s), views ready after {ready:.1f} s")
            asyncio.run(warm(args.port, inspector, usccs))
            if "reads" in phases:
                most, cpu = server.measured(
                    read_capacity(args.port, inspector, usccs, 8, args.seconds)
                )
                say(
                    most.line("balance reads, closed loop of 8 clients (capacity)")
                    + most.cpu(cpu, "read")
                )
            if "open" in phases:
                # last: an open loop above capacity leaves the server a queue to work off
                got, cpu = server.measured(
                    reads(args.port, inspector, usccs, args.rate, args.seconds)
                )
                say(
                    got.line(f"balance reads at {args.rate:.0f}/s, open loop")
                    + got.cpu(cpu, "read")
                )
    if "routes" in phases:
        with Server(args, schema, lean=False) as server:
            wait_ready(base, inspector, usccs[0])
            asyncio.run(warm(args.port, inspector, usccs))
            routed, cpu = server.measured(
                read_capacity(args.port, inspector, usccs, 8, args.seconds)
            )
        say(
            routed.line("balance reads through the route (LEDGER_LEAN=false), closed loop of 8")
            + routed.cpu(cpu, "read")
        )
        if most is not None:
            lean_rate, route_rate = most.count / most.seconds, routed.count / routed.seconds
            summary.append(
                f"balance reads {lean_rate:.0f}/s lean against {route_rate:.0f}/s through "
                f"the route (x{lean_rate / route_rate:.2f})"
            )
    if "payments" in phases:
        summary.append(payments(args, schema, worker, usccs))
        after = []
        with Server(args, schema):
            wait_ready(base, inspector, usccs[0])
            after.append(asyncio.run(read_capacity(args.port, inspector, usccs, 8, 5)))
        say(after[0].line("balance reads after the payments (views caught up first)"))
    if "steady" in phases:
        # every unit of the loop kept (the default bound, 1,000, is below --units)
        with Server(args, schema, units_kept=2 * args.units) as server:
            wait_ready(base, worker, usccs[0])
            # every unit paid at least once through each worker (as far as the kernel's
            # spreading of connections lets one tell): units not yet kept take the route
            # and fold from the store, which is not the steady state
            passes = asyncio.run(
                commands(args.port, worker, usccs, args.concurrency, 12, 2 * args.workers)
            )
            say(passes.line("payments, first passes over the units (not counted)"))
            sent, cpu = server.measured(
                commands(args.port, worker, usccs, args.concurrency, args.seconds)
            )
        say(
            sent.line(f"payments in groups, steady (units kept), closed loop of {args.concurrency}")
            + sent.cpu(cpu, "payment")
        )
    if "stack" in phases:
        summary.append(stacks(args, schema, (inspector, worker), usccs))
    if "joined" in phases:
        summary.append(joined_writes(args, schema, worker, usccs))
    if "pgbench" in phases:
        seconds = int(min(args.seconds, 15))
        tps = pgbench(args.url, seconds)
        say(f"pgbench -S -c 8 -j 2 on the same server: {tps:.0f} transactions/s")
        clients = str(args.concurrency)
        writes = pgbench(args.url, seconds, "-b", "simple-update", "-c", clients, "-j", "2")
        say(
            f"pgbench -b simple-update -c {clients} -j 2 (one small write transaction "
            f"each, every one flushed): {writes:.0f} transactions/s"
        )
        if most is not None:
            capacity = most.count / most.seconds
            summary.append(
                f"balance reads sustained {capacity:.0f}/s = {capacity / tps:.4f} of "
                "pgbench's select-only rate"
            )
    say(f"load after the run: {os.getloadavg()[0]:.2f} (1 min)")
    for line in summary:
        say(f"ratio: {line}")


if __name__ == "__main__":
    main()
