"""A throwaway PostgreSQL server for ``make bench`` (the test suite's ``tests/pgserver.py``, cut
down to starting and stopping, without pytest).

:func:`throwaway_server` runs ``initdb`` on a temporary directory, starts the server on
``127.0.0.1`` at a free port with trust authentication (user ``postgres``, empty password) and
the test suite's settings (no fsync, ``synchronous_commit=off``), and on leaving stops it with
``pg_ctl stop -m immediate`` and deletes its files (an ``atexit`` hook is the backstop). As root
the server runs as the ``postgres`` system user through ``runuser`` (``initdb`` refuses root).
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import LiteralString

from recoverycore.persistence import postgres_env

__all__ = ["SETTINGS", "PgServer", "PgUnavailable", "find_pg_binaries", "throwaway_server"]

SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
    "timezone": "'UTC'",
}
"""The test server's settings (``tests/pgserver.py``): durability off, as for a throwaway."""
_START_ATTEMPTS = 5
_COMMAND_TIMEOUT = 120.0


class PgUnavailable(RuntimeError):
    """No PostgreSQL binaries, or the server could not be set up; the message says why."""


def find_pg_binaries() -> tuple[Path, Path] | None:
    """``initdb`` and ``pg_ctl`` from the same installation (``PATH`` first, then Debian's
    ``/usr/lib/postgresql/<version>/bin``, newest first), or ``None``."""
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


@dataclass(frozen=True)
class PgServer:
    """The running server's address, and helpers to make databases on it."""

    host: str
    port: int
    version: str
    user: str = SUPERUSER

    def env(self, dbname: str) -> dict[str, str]:
        """eventsourcing's environment for database ``dbname``, with our mapper and transcoder."""
        return postgres_env(dbname=dbname, host=self.host, port=self.port, user=self.user)

    def _execute(self, template: LiteralString, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL(template).format(sql.Identifier(name)))

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; return it."""
        self._execute("CREATE DATABASE {}", name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connections still open to it."""
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Cluster:
    def __init__(self, initdb: Path, pg_ctl: Path) -> None:
        self.initdb = initdb
        self.pg_ctl = pg_ctl
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="recoverycore-bench-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self._stopped = False

    def _run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", SYSTEM_USER, "--"] if self.as_root else []
        return subprocess.run(
            [*prefix, *map(str, args)],
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )

    def _fail(self, what: str, result: subprocess.CompletedProcess[str]) -> PgUnavailable:
        log = self.log.read_text(errors="replace") if self.log.exists() else ""
        detail = (result.stderr or result.stdout or log).strip().splitlines()
        return PgUnavailable(
            f"{what} failed (exit {result.returncode})" + (f": {detail[-1]}" if detail else "")
        )

    def init(self) -> str:
        if self.as_root:
            try:
                entry = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise PgUnavailable(
                    f"running as root, but there is no '{SYSTEM_USER}' system user to run "
                    "PostgreSQL as"
                ) from None
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        result = self._run(
            self.initdb, "-A", "trust", "-U", SUPERUSER, "-D", self.data, "--no-sync",
            "--no-instructions", "--locale=C", "--encoding=UTF8",
        )  # fmt: skip
        if result.returncode != 0:
            raise self._fail("initdb", result)
        settings = "".join(f"{key} = {value}\n" for key, value in SETTINGS.items())
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\n# recoverycore bench server\n{settings}")
        return (self.data / "PG_VERSION").read_text().strip()

    def start(self) -> int:
        for _ in range(_START_ATTEMPTS):
            port = _free_port()
            options = f"-k {shlex.quote(str(self.base))} -h 127.0.0.1 -p {port} -F"
            result = self._run(
                self.pg_ctl, "-D", self.data, "-o", options, "-w", "-t", "60", "-l", self.log,
                "start",
            )  # fmt: skip
            if result.returncode == 0:
                return port
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            if "could not bind" not in log and "already in use" not in log:
                raise self._fail("pg_ctl start", result)
            self._run(self.pg_ctl, "-D", self.data, "stop", "-m", "immediate", "-w")
        raise PgUnavailable(f"no free port for PostgreSQL in {_START_ATTEMPTS} tries")

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.pg_ctl, "-D", self.data, "stop", "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@contextmanager
def throwaway_server() -> Iterator[PgServer]:
    """A running throwaway server, stopped and deleted on leaving; :class:`PgUnavailable` if
    there are no binaries or it cannot be started."""
    binaries = find_pg_binaries()
    if binaries is None:
        raise PgUnavailable("PostgreSQL binaries (initdb, pg_ctl) not found")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise PgUnavailable("psycopg is not installed (pip install -e '.[postgres]')") from None
    cluster = _Cluster(*binaries)
    atexit.register(cluster.stop)
    try:
        version = cluster.init()
        port = cluster.start()
        yield PgServer(host="127.0.0.1", port=port, version=version)
    finally:
        cluster.stop()
        atexit.unregister(cluster.stop)
