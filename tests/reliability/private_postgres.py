"""A throw-away PostgreSQL cluster of the test's own, to be stopped and started at will.

Never the machine's server on 5432: ``initdb`` in a temporary directory, a free
port, trust authentication on 127.0.0.1, started and stopped with ``pg_ctl`` (as the
system user ``ledgerpg`` when the tests run as root, since PostgreSQL refuses root;
``scripts/ensure-postgres`` does the same), deleted afterwards. Skipped when the
machine has no PostgreSQL binaries (nor the pgserver wheel's), failed instead when ``CI`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

USER = "ledgerpg"


def _binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    # A machine without PostgreSQL: the pgserver wheel's (a dev dependency), as
    # scripts/ensure-postgres does.
    try:
        import pgserver
    except ImportError:
        return None
    wheel = Path(pgserver.__file__).parent / "pginstall" / "bin"
    return wheel if (wheel / "pg_ctl").exists() else None


class Cluster:
    def __init__(self, bin_dir: Path, data: Path, port: int) -> None:
        self.bin_dir, self.data, self.port = bin_dir, data, port
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.getuid() == 0:
            command = ["runuser", "-u", USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, sessions cut (recovery on start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    bin_dir = _binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL binaries for the private cluster [CI is set]")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) for a private cluster")
    if os.getuid() == 0 and subprocess.run(["id", "-u", USER], capture_output=True).returncode:
        subprocess.run(
            [
                *("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent"),
                *("--shell", "/usr/sbin/nologin", USER),
            ],
            check=True,
        )
    root = Path(tempfile.mkdtemp(prefix="ledger-pgfault-"))
    data = root / "data"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if os.getuid() == 0:
        shutil.chown(root, USER)
    cluster = Cluster(bin_dir, data, port)
    try:
        cluster._run(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{root}'\n"
                # A process crash loses nothing the OS has; the machine is not crashed here.
                "fsync = off\nfull_page_writes = off\n"
            )
        cluster.start()
        yield cluster
    finally:
        if (data / "postmaster.pid").exists():
            cluster.crash()
        shutil.rmtree(root, ignore_errors=True)
