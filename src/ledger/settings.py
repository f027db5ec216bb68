"""One typed settings object, read from LEDGER_* environment variables.

Built by the CLI entry point or create_app(), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.chain import POSTGRES_RECORDER_TOPIC, SQLITE_RECORDER_TOPIC
from ledger.domain.errors import InvalidValue


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    #: sqlite:///path/to/file.db (the default, in the working directory) or
    #: postgresql://user:password@host:port/dbname
    database_url: str = "sqlite:///ledger.db"
    #: PostgreSQL only: the schema holding this pooling region's ledger
    postgres_schema: str = ""
    #: seconds a save waits for the event table's lock before failing (retriable)
    postgres_lock_timeout: int = Field(default=5, ge=0)
    postgres_pool_size: int = Field(default=5, ge=1)
    #: seconds to wait for a connection; the store retries 10 times, so a database that
    #: is down answers 503 after about ten times this
    postgres_connect_timeout: int = Field(default=3, ge=1)
    #: commands saved in one transaction at most when several wait at once (group
    #: commit); 1 saves each command alone
    group_commit: int = Field(default=64, ge=1)
    #: units kept folded between commands, each as of its last committed version (a
    #: unit of 12 months and 20 persons takes about 115 KB); 0 folds every unit again
    units_kept: int = Field(default=1_000, ge=0)
    #: the API answers the plain balance read and the plain payment before FastAPI's
    #: routing, as the routes would (``ledger.api.lean``, ``ledger.api.lean_payment``);
    #: false: every request takes its route (a way back, and the benchmarks' baseline)
    lean: bool = True
    #: a directory of catalogue files; the packaged catalogue when unset
    catalogue_dir: Path | None = None
    #: where the API finds policy sets named by reference (one directory of catalogue
    #: files each, as ``ledger replay --policies`` takes); unset: the example sets
    #: shipped with the package (the repository's examples/)
    policy_sets_dir: Path | None = None
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: append the log lines to this file instead of writing them to stderr
    log_file: Path | None = None

    @property
    def store_kind(self) -> Literal["sqlite", "postgres"]:
        scheme = urlsplit(self.database_url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgresql", "postgres"):
            return "postgres"
        raise InvalidValue(
            f"LEDGER_DATABASE_URL {self.database_url!r}: the scheme must be sqlite or"
            " postgresql (sqlite:///ledger.db, postgresql://user@host:5432/db)",
            field="LEDGER_DATABASE_URL",
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's configuration for this store."""
        url = urlsplit(self.database_url)
        if self.store_kind == "sqlite":
            path = unquote(url.path)
            # sqlite:///ledger.db is relative, sqlite:////abs/ledger.db absolute
            dbname = path[1:] if path.startswith("/") and not path.startswith("//") else path
            if url.netloc:
                dbname = url.netloc + path
            _check_sqlite_file(self.database_url, dbname)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": dbname or ":memory:",
                "SQLITE_LOCK_TIMEOUT": "30",
                # every event hash-chained in its save's transaction (ledger.chain)
                "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
                "GROUP_COMMIT_MAX_MEMBERS": str(self.group_commit),
                "UNITS_KEPT": str(self.units_kept),
            }
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_LOCK_TIMEOUT": str(self.postgres_lock_timeout),
            "POSTGRES_POOL_SIZE": str(self.postgres_pool_size),
            "POSTGRES_CONNECT_TIMEOUT": str(self.postgres_connect_timeout),
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER_TOPIC,
            "GROUP_COMMIT_MAX_MEMBERS": str(self.group_commit),
            "UNITS_KEPT": str(self.units_kept),
        }
        if self.postgres_schema:
            env["POSTGRES_SCHEMA"] = self.postgres_schema
        return env


def _check_sqlite_file(url: str, dbname: str) -> None:
    """SQLite creates the file, not its directory: a missing directory is named here (the
    library says only "unable to open database file", as if the store were down)."""
    if not dbname or dbname == ":memory:" or dbname.startswith("file:"):
        return
    where = Path(dbname).absolute().parent
    if not where.is_dir():
        relative = "" if Path(dbname).is_absolute() else " (relative to the working directory;"
        relative += " sqlite:////abs/path.db is absolute)" if relative else ""
        raise InvalidValue(
            f"LEDGER_DATABASE_URL {url!r}: the directory {where} of the SQLite file {dbname}"
            f" does not exist{relative}",
            field="LEDGER_DATABASE_URL",
        )
