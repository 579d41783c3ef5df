"""A pytest plugin that runs a throwaway PostgreSQL server for the tests that need one.

Load it with ``pytest_plugins = ["pgserver"]`` in ``tests/conftest.py`` (pytest puts ``tests/``
on ``sys.path`` because it has no ``__init__.py``), or with ``-p pgserver`` and
``PYTHONPATH=tests``.

The session-scoped ``pg_server`` fixture runs ``initdb`` on a temporary directory, starts the
server on ``127.0.0.1`` at a free port with trust authentication (user ``postgres``, empty
password) and settings for tests (no fsync, many connections), and stops it with
``pg_ctl stop -m immediate`` when the session ends, whether or not the tests passed (an
``atexit`` hook is the backstop). Run as root, the server runs as the ``postgres`` system user
through ``runuser``, because ``initdb`` refuses to run as root.

Each test module or class should work in a database of its own: ``pg_database`` (a new one for
each test), ``pg_class_database`` (a new one for each test class; for unittest classes it sets
the ``pg_server`` and ``pg_dbname`` class attributes) or ``pg_server.create_database()``.

Without PostgreSQL's binaries the tests that need the server are skipped, except in CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
from psycopg import sql

from recoverycore.persistence import postgres_env

__all__ = [
    "PgServer",
    "find_pg_binaries",
    "pg_class_database",
    "pg_database",
    "pg_server",
]

SKIP_MESSAGE = (
    "PostgreSQL binaries not found: install Debian's postgresql package "
    "(apt-get install -y postgresql) to run the PostgreSQL tests; .ci/run does this in CI"
)
SYSTEM_USER = "postgres"
"""The system user the server runs as when the tests run as root."""
SUPERUSER = "postgres"
"""The database superuser ``initdb`` creates; trust authentication, so no password."""

_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",
    "shared_buffers": "32MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_prepared_transactions": "0",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
    "timezone": "'UTC'",
}
_START_ATTEMPTS = 5
_COMMAND_TIMEOUT = 120.0


def find_pg_binaries() -> tuple[Path, Path] | None:
    """``initdb`` and ``pg_ctl`` from the same installation, or ``None``.

    ``initdb`` on ``PATH`` first (with the ``pg_ctl`` beside its real file, else the one on
    ``PATH``), then Debian's ``/usr/lib/postgresql/<version>/bin``, the newest version first.
    """
    initdb = shutil.which("initdb")
    if initdb is not None:
        beside = Path(os.path.realpath(initdb)).parent / "pg_ctl"
        pg_ctl = str(beside) if os.access(beside, os.X_OK) else shutil.which("pg_ctl")
        if pg_ctl is not None:
            return Path(initdb), Path(pg_ctl)

    def version(bindir: str) -> tuple[int, ...]:
        match = re.search(r"/postgresql/([0-9.]+)/bin$", bindir)
        return tuple(int(p) for p in match.group(1).split(".") if p) if match else ()

    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        initdb_path, pg_ctl_path = Path(bindir, "initdb"), Path(bindir, "pg_ctl")
        if os.access(initdb_path, os.X_OK) and os.access(pg_ctl_path, os.X_OK):
            return initdb_path, pg_ctl_path
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class PgServer:
    """Connection parameters of the running test server, and helpers to use it."""

    host: str
    port: int
    user: str = SUPERUSER
    password: str = ""
    dbname: str = "postgres"
    """The maintenance database; tests should use a database of their own."""
    _counter: Iterator[int] = field(
        default_factory=lambda: iter(range(1, 1_000_000)), repr=False, compare=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def env(self, dbname: str | None = None, schema: str = "") -> dict[str, str]:
        """eventsourcing's environment for this server, with our mapper and transcoder."""
        return postgres_env(
            dbname=dbname or self.dbname,
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            schema=schema,
        )

    def conninfo(self, dbname: str | None = None) -> dict[str, Any]:
        """Keyword arguments for :func:`psycopg.connect`."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": dbname or self.dbname,
        }

    def connect(self, dbname: str | None = None) -> psycopg.Connection[Any]:
        """An autocommit connection (to the maintenance database unless ``dbname`` is given)."""
        return psycopg.connect(**self.conninfo(dbname), autocommit=True)

    def create_database(self, prefix: str = "test") -> str:
        """Create a new, empty database and return its name (``<prefix>_<n>``)."""
        with self._lock:
            number = next(self._counter)
        slug = re.sub(r"[^a-z0-9_]+", "_", prefix.lower()).strip("_")[:40] or "test"
        name = f"{slug}_{number}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections still open to it."""
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def reset_schemas(self, dbname: str, schemas: Sequence[str] = ("public",)) -> None:
        """Drop the schemas (with every table, type and function in them) and recreate them empty.

        eventsourcing's recorders don't create their schema, so a schema other than ``public``
        must be made this way (or with :meth:`create_schema`) before they are used with it.
        """
        with self.connect(dbname) as conn:
            for schema in schemas:
                ident = sql.Identifier(schema)
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(ident))
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident))

    def create_schema(self, dbname: str, schema: str) -> None:
        """Create a schema if it doesn't exist."""
        with self.connect(dbname) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


class _Cluster:
    """One ``initdb``-made data directory and the server running on it."""

    def __init__(self, initdb: Path, pg_ctl: Path) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="recoverycore-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.running = False
        self._stopped = False

    def _command(self, *args: str | Path) -> list[str]:
        prefix = ["runuser", "-u", SYSTEM_USER, "--"] if self.as_root else []
        return [*prefix, *map(str, args)]

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._command(*args),
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )

    def _fail(self, what: str, result: subprocess.CompletedProcess[str]) -> RuntimeError:
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        return RuntimeError(
            f"{what} failed (exit {result.returncode}): {' '.join(map(str, result.args))}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\nserver log:\n{log}"
        )

    def init(self) -> None:
        if self.as_root:
            try:
                entry = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise RuntimeError(
                    f"Running as root, but there is no '{SYSTEM_USER}' system user to run "
                    "PostgreSQL as (Debian's postgresql package creates it)"
                ) from None
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        result = self._run(
            self.initdb,
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-D",
            self.data,
            "--no-sync",
            "--no-instructions",
            "--locale=C",
            "--encoding=UTF8",
        )
        if result.returncode != 0:
            raise self._fail("initdb", result)
        settings = "".join(f"{key} = {value}\n" for key, value in _SETTINGS.items())
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\n# recoverycore test server\n{settings}")

    def start(self) -> int:
        """Start on a free port (another one if that is taken meanwhile); return the port."""
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            options = f"-k {shlex.quote(str(self.base))} -h 127.0.0.1 -p {port} -F"
            result = self._run(
                self.pg_ctl, "-D", self.data, "-o", options, "-w", "-t", "60", "-l", self.log,
                "start",
            )  # fmt: skip
            if result.returncode == 0:
                self.running = True
                return port
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            if "could not bind" not in log and "already in use" not in log:
                raise self._fail("pg_ctl start", result)
            self._run(self.pg_ctl, "-D", self.data, "stop", "-m", "immediate", "-w")
        raise RuntimeError(f"PostgreSQL could not get a free port in {_START_ATTEMPTS} tries")

    def stop(self) -> None:
        """Stop the server and delete its files; safe to call more than once."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.running or (self.data / "postmaster.pid").exists():
                self._run(self.pg_ctl, "-D", self.data, "stop", "-m", "immediate", "-w")
        finally:
            self.running = False
            shutil.rmtree(self.base, ignore_errors=True)


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the PostgreSQL tests must run in CI)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A running throwaway PostgreSQL server for the whole session."""
    binaries = find_pg_binaries()
    if binaries is None:
        _unavailable(SKIP_MESSAGE)
    cluster = _Cluster(*binaries)
    atexit.register(cluster.stop)
    try:
        cluster.init()
        port = cluster.start()
        server = PgServer(host="127.0.0.1", port=port)
        with server.connect() as conn:
            conn.execute("SELECT 1")
        yield server
    finally:
        cluster.stop()
        atexit.unregister(cluster.stop)


def _prefix(request: pytest.FixtureRequest) -> str:
    parts = [Path(request.node.path).stem]
    if request.cls is not None:
        parts.append(request.cls.__name__)
    return "_".join(parts).removeprefix("test_")


@pytest.fixture
def pg_database(pg_server: PgServer, request: pytest.FixtureRequest) -> str:
    """The name of a new, empty database for this test."""
    return pg_server.create_database(_prefix(request))


@pytest.fixture(scope="class")
def pg_class_database(pg_server: PgServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """The name of a new, empty database for this test class.

    For (unittest) classes that ask for it with ``@pytest.mark.usefixtures``, it also sets the
    class attributes ``pg_server`` and ``pg_dbname``.
    """
    name = pg_server.create_database(_prefix(request))
    if request.cls is not None:
        request.cls.pg_server = pg_server
        request.cls.pg_dbname = name
    yield name
    if request.cls is not None:
        with contextlib.suppress(AttributeError):
            del request.cls.pg_server
            del request.cls.pg_dbname


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs a throwaway PostgreSQL server (started by the suite itself)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the server ``postgres``, so ``-m "not postgres"`` works."""
    users = {"pg_server", "pg_database", "pg_class_database"}
    for item in items:
        if users.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
