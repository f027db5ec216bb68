"""A soak: mixed load on ``ledger serve`` over PostgreSQL for a set time, then every check.

    python -m benchmarks.soak [--minutes 5 --api-units 60 --import-units 3000 --clients 4]

During the run, at once:
- **commands** over HTTP (``--clients`` threads): units registered, persons joined,
  months assessed and paid (random amounts: some short, some over); one request in five
  is sent again with the same Idempotency-Key and must answer the very same status and
  body;
- **reads**: balance reads of random units, which must answer 200 (or 503 while the
  views catch up an import), never anything else;
- **imports**: ``import_assessments`` of a generated CSV (``--import-units`` units),
  then the same file again, which must write nothing;
then, load stopped: a **rebuild** of the views (``ledger project --rebuild``).

Checks (a failed one is printed and the exit status is 1):
1. every command the API acknowledged is in the event store (its events, by type and
   version), and no payment is recorded twice (retries recorded nothing);
2. the second import wrote nothing;
3. money is conserved per unit: what the client paid = paid to items + credit applied
   - credit carried forward + credit held, read from the views;
4. no late fee is negative;
5. the views equal a clean rebuild (each API unit's balance before and after it).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from benchmarks import generate
from benchmarks.bench_api import serve, tokens
from benchmarks.region import prepare_ledger, register_units
from ledger.application import Actor
from ledger.bootstrap import build_ledger, ensure_schema
from ledger.domain.money import ZERO, money
from ledger.domain.period import Period
from ledger.importer import import_assessments
from ledger.settings import Settings

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor("soak", "soak test", "soak")
FIRST = Period(2023, 1)


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


@dataclass
class Tally:
    """What the load did and what it found wrong, shared by the threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    commands: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    reads: Counter[int] = field(default_factory=Counter)
    acknowledged: dict[str, list[tuple[str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    paid: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    payments: Counter[str] = field(default_factory=Counter)
    units: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, text: str) -> None:
        with self.lock:
            self.failures.append(text)


class Client:
    """One case worker's desk: commands with keys, one in five sent twice."""

    def __init__(self, base: str, token: str, tally: Tally, seed: int) -> None:
        self.http = httpx.Client(base_url=base, timeout=60)
        self.token = token
        self.tally = tally
        self.rng = random.Random(seed)

    def command(self, path: str, body: dict[str, Any], uscc: str, name: str) -> bool:
        key = uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        first = self.http.post(path, json=body, headers=headers)
        if first.status_code == 503:
            return False  # nothing written; the load goes on
        if first.status_code >= 400:
            self.tally.fail(f"{name} {path}: {first.status_code} {first.text[:200]}")
            return False
        events = [(e["type"], e["version"]) for e in first.json()["events"]]
        with self.tally.lock:
            self.tally.commands[name] += 1
            self.tally.acknowledged[uscc].extend(events)
        if self.rng.random() < 0.2:
            again = self.http.post(path, json=body, headers=headers)
            with self.tally.lock:
                self.tally.retries += 1
            if (again.status_code, again.json()) != (first.status_code, first.json()):
                self.tally.fail(f"retry of {name} {path} answered differently: {again.text}")
        return True

    def run(self, stop: threading.Event, index: int) -> None:
        while not stop.is_set():
            uscc = generate.uscc_of(10_000_000 + index)
            index += 1_000
            unit = {
                "uscc": uscc,
                "name": f"浸泡测试单位{index}",
                "region": generate.REGION,
                "agency": generate.AGENCY,
                "established_on": "2020-01-01",
            }
            if not self.command("/units", unit, uscc, "register"):
                continue
            with self.tally.lock:
                self.tally.units.append(uscc)
            for n in range(3):
                rid = generate.resident_id_of(9_000_000 + index * 3 + n)
                body = {"resident_id": rid, "base": "5000.00", "joined_on": "2020-01-01"}
                self.command(f"/units/{uscc}/persons", body, uscc, "join")
            # 3 x 5,000.00 x 9% = 1,350.00 a month; paid short, in full or over
            for month in range(12):
                if stop.is_set():
                    return
                period = FIRST + month
                assessed_on = period.next().first_day
                self.command(
                    f"/units/{uscc}/assessments",
                    {"period": str(period), "assessed_on": assessed_on.isoformat()},
                    uscc,
                    "assess",
                )
                amount = money(Decimal(self.rng.choice(["1000.00", "1350.00", "1500.00"])))
                paid_on = assessed_on.replace(day=self.rng.choice([10, 20]))
                body = {"amount": f"{amount:.2f}", "paid_on": paid_on.isoformat()}
                if self.command(f"/units/{uscc}/payments", body, uscc, "pay"):
                    with self.tally.lock:
                        self.tally.paid[uscc] += amount
                        self.tally.payments[uscc] += 1


def reader(base: str, token: str, tally: Tally, stop: threading.Event) -> None:
    rng = random.Random(3)
    with httpx.Client(base_url=base, timeout=60) as http:
        while not stop.is_set():
            with tally.lock:
                units = list(tally.units)
            if not units:
                time.sleep(0.1)
                continue
            response = http.get(
                f"/units/{rng.choice(units)}/balance",
                params={"as_of": "2024-06-30"},
                headers={"Authorization": f"Bearer {token}"},
            )
            with tally.lock:
                tally.reads[response.status_code] += 1
            if response.status_code not in (200, 503):
                tally.fail(f"balance read: {response.status_code} {response.text[:200]}")


def importer(settings: Settings, lines: Path, tally: Tally, results: list[Any]) -> None:
    ledger = build_ledger(settings, configure_logs=False)
    try:
        for _ in range(2):
            results.append(
                import_assessments(ledger, lines, actor=ACTOR, assessed_on=date(2024, 6, 5))
            )
    except Exception as exc:
        tally.fail(f"import: {exc!r}")
    finally:
        ledger.close()


# ------------------------------------------------------------------ checks


def balances(base: str, token: str, units: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base, timeout=120) as http:
        for uscc in units:
            for _ in range(600):
                response = http.get(
                    f"/units/{uscc}/balance",
                    params={"as_of": "2024-06-30"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                if response.status_code != 503:
                    break
                time.sleep(1)
            found[uscc] = response.json()
    return found


def check_store(settings: Settings, tally: Tally) -> None:
    ledger = build_ledger(settings, configure_logs=False)
    try:
        for uscc, acknowledged in tally.acknowledged.items():
            history = {(type(e).__name__, e.originator_version) for e in ledger.unit_history(uscc)}
            missing = [a for a in acknowledged if a[0] != "UnitIndexed" and a not in history]
            if missing:
                tally.fail(f"{uscc}: acknowledged events missing from the store: {missing}")
            payments = sum(1 for name, _ in history if name == "PaymentCollected")
            if payments != tally.payments[uscc]:
                tally.fail(f"{uscc}: {payments} payments stored, {tally.payments[uscc]} made")
    finally:
        ledger.close()


def check_money(views: dict[str, dict[str, Any]], tally: Tally) -> None:
    for uscc, body in views.items():
        totals = {k: Decimal(v) for k, v in body["totals"].items()}
        held = Decimal(body["credit_held"])
        accounted = totals["paid"] + totals["credit_applied"] - totals["carried_forward"] + held
        if accounted != tally.paid[uscc]:
            tally.fail(f"{uscc}: paid {tally.paid[uscc]}, the views account for {accounted}")
        if any(Decimal(i["late_fee"]) < 0 for i in body["items"]):
            tally.fail(f"{uscc}: a negative late fee")


# -------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--import-units", type=int, default=3_000)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    args = parser.parse_args(argv)

    schema = f"soak_{int(time.time())}"
    settings = Settings(database_url=args.url, postgres_schema=schema, log_level="WARNING")
    ensure_schema(settings)
    tally = Tally()
    with tempfile.TemporaryDirectory() as scratch:
        units_csv, lines_csv, person_lines = generate.write(
            Path(scratch), args.import_units, 20240501
        )
        ledger = build_ledger(settings, configure_logs=False)
        prepare_ledger(ledger, generate.REGION, generate.REGION_NAME, fund_months=12)
        register_units(ledger, units_csv)
        ledger.close()
        inspector, worker = tokens(args.url, schema)
        base = f"http://127.0.0.1:{args.port}"
        server = serve(args.url, schema, args.port, 1, Path(scratch) / "serve.log")
        try:
            wait_ready_any(base, inspector)
            say(f"soak: schema {schema}, {args.minutes} min, {args.clients} clients")
            stop = threading.Event()
            imports: list[Any] = []
            threads = [
                threading.Thread(target=Client(base, worker, tally, n).run, args=(stop, n))
                for n in range(args.clients)
            ]
            threads.append(threading.Thread(target=reader, args=(base, inspector, tally, stop)))
            loader = threading.Thread(target=importer, args=(settings, lines_csv, tally, imports))
            start = time.perf_counter()
            for t in [*threads, loader]:
                t.start()
            time.sleep(args.minutes * 60)
            stop.set()
            for t in [*threads, loader]:
                t.join()
            elapsed = time.perf_counter() - start
            before = balances(base, inspector, tally.units)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(60)
        rebuilt_at = time.perf_counter()
        rebuild(settings)
        rebuild_seconds = time.perf_counter() - rebuilt_at
        server = serve(args.url, schema, args.port, 1, Path(scratch) / "serve2.log")
        try:
            wait_ready_any(base, inspector)
            after = balances(base, inspector, tally.units)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(60)

    check_store(settings, tally)
    check_money(before, tally)
    if before != after:
        differ = [u for u in before if before[u] != after.get(u)]
        tally.fail(f"views differ from a clean rebuild for {len(differ)} units: {differ[:3]}")
    if len(imports) == 2 and (imports[1].units_written or imports[1].lines_written):
        tally.fail(f"the second import wrote {imports[1].lines_written} lines")

    commands = sum(tally.commands.values())
    say(
        f"commands acknowledged: {commands} ({dict(tally.commands)}) in {elapsed:.0f} s = "
        f"{commands / elapsed:.1f}/s; retries {tally.retries}"
    )
    say(f"balance reads: {dict(tally.reads)}; API units {len(tally.units)}")
    for n, summary in enumerate(imports, 1):
        say(
            f"import {n}: {summary.lines_written} lines written, {summary.lines_unchanged} "
            f"unchanged, {summary.lines_rejected} rejected in {summary.elapsed:.1f} s "
            f"(file: {person_lines} lines)"
        )
    say(f"rebuild: {rebuild_seconds:.1f} s")
    if not args.keep:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    if tally.failures:
        say(f"FAILED: {len(tally.failures)} checks")
        for text in tally.failures[:20]:
            say(f"  - {text}")
        return 1
    say("all checks passed: nothing lost, nothing doubled, money conserved, views = rebuild")
    return 0


def wait_ready_any(base: str, token: str, limit: float = 600.0) -> None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        try:
            if httpx.get(
                f"{base}/regions", headers={"Authorization": f"Bearer {token}"}
            ).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


def rebuild(settings: Settings) -> None:
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": settings.database_url,
        "LEDGER_POSTGRES_SCHEMA": settings.postgres_schema,
        "LEDGER_LOG_LEVEL": "WARNING",
    }
    ledger_cli = str(Path(sys.executable).with_name("ledger"))
    subprocess.run([ledger_cli, "project", "--rebuild", "--once"], env=env, check=True)


if __name__ == "__main__":
    sys.exit(main())
