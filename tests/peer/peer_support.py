"""Shared set-up for running eventsourcing's shipped test suites against our configuration."""

from __future__ import annotations

import os
import tempfile
from typing import ClassVar, Literal
from unittest import TestCase, mock

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, UUIDAsHex
from eventsourcing.postgres import PostgresDatastore

from pgserver import PgServer
from recoverycore.persistence import OrjsonTranscoder

__all__ = [
    "PG_SCHEMAS",
    "PostgresTestCase",
    "patch_environ",
    "temp_sqlite_path",
    "transcoder_as_application_registers_it",
]

PG_SCHEMAS = ("public", "myschema")
"""The schemas the peer suites use: upstream runs its suites in ``public`` and ``myschema``."""


def transcoder_as_application_registers_it() -> OrjsonTranscoder:
    """Our transcoder with the transcodings ``Application.register_transcodings`` adds."""
    transcoder = OrjsonTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DecimalAsStr())
    transcoder.register(DatetimeAsISO())
    return transcoder


def patch_environ(test: TestCase, values: dict[str, str]) -> None:
    """Set ``os.environ`` keys for the duration of one test (undone in its cleanup)."""
    patcher = mock.patch.dict(os.environ, values)
    patcher.start()
    test.addCleanup(patcher.stop)


def temp_sqlite_path(test: TestCase) -> str:
    """A path for a new SQLite file, in a directory removed after the test."""
    tmpdir = tempfile.TemporaryDirectory(prefix="recoverycore-sqlite-")
    test.addCleanup(tmpdir.cleanup)
    return os.path.join(tmpdir.name, "events.db")


@pytest.mark.postgres
@pytest.mark.usefixtures("pg_class_database")
class PostgresTestCase(TestCase):
    """Each test class gets a database of its own; each test starts with empty schemas.

    Mirrors upstream's ``SetupPostgresDatastore`` (which drops every table before and after
    each test) with a datastore of one connection unless a test resizes its pool.
    """

    pg_server: ClassVar[PgServer]
    pg_dbname: ClassVar[str]
    schema = "public"
    pool_size = 1
    max_overflow = 0
    max_waiting = 0
    originator_id_type: Literal["uuid", "text"] = "uuid"
    enable_db_functions = False

    def setUp(self) -> None:
        self.pg_server.reset_schemas(self.pg_dbname, PG_SCHEMAS)
        super().setUp()

    def construct_datastore(self) -> PostgresDatastore:
        server = self.pg_server
        return PostgresDatastore(
            self.pg_dbname,
            server.host,
            server.port,
            server.user,
            server.password,
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            max_waiting=self.max_waiting,
            schema=self.schema,
            originator_id_type=self.originator_id_type,
            enable_db_functions=self.enable_db_functions,
        )
