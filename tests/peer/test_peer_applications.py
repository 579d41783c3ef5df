"""eventsourcing's application suites with our mapper and transcoder: POPO, SQLite, PostgreSQL.

``Application`` reads its environment from ``os.environ``, so each test sets eventsourcing's
variables there, as upstream's ``tests/application_tests/test_application_with_*.py`` do, plus
``MAPPER_TOPIC`` and ``TRANSCODER_TOPIC`` naming :class:`PydanticMapper` and
:class:`OrjsonTranscoder`. The ``BankAccount`` aggregate of the suite is a plain eventsourcing
aggregate, so its events take our mapper's fallback path through eventsourcing's ``Mapper``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar
from unittest import TestCase, mock
from uuid import uuid4

import eventsourcing.tests.application as es_application
import pytest
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper
from eventsourcing.tests.domain import EmailAddress
from peer_support import PostgresTestCase, patch_environ, temp_sqlite_path

from recoverycore.persistence import (
    OrjsonTranscoder,
    PydanticMapper,
    in_memory_env,
    sqlite_env,
)


class WithOurCodec(TestCase):
    """Sets the store's environment, with our mapper and transcoder, for each test."""

    expected_factory_topic: ClassVar[str]

    def store_env(self) -> dict[str, str]:
        raise NotImplementedError

    def setUp(self) -> None:
        super().setUp()
        patch_environ(self, {"CREATE_TABLE": "y", **self.store_env()})


def check_bank_accounts_use_our_mapper_and_transcoder(test: TestCase) -> None:
    """The suite's application maps its (non-pydantic) events with our mapper's fallback."""
    app = es_application.BankAccounts()
    try:
        test.assertIs(type(app.mapper), PydanticMapper)
        test.assertIs(type(app.mapper.transcoder), OrjsonTranscoder)
        fallback_to_stored = mock.patch.object(
            Mapper, "to_stored_event", autospec=True, side_effect=Mapper.to_stored_event
        )
        fallback_to_domain = mock.patch.object(
            Mapper, "to_domain_event", autospec=True, side_effect=Mapper.to_domain_event
        )
        encode = mock.patch.object(
            OrjsonTranscoder,
            "encode",
            autospec=True,
            side_effect=OrjsonTranscoder.encode,
        )
        decode = mock.patch.object(
            OrjsonTranscoder,
            "decode",
            autospec=True,
            side_effect=OrjsonTranscoder.decode,
        )
        with (
            fallback_to_stored as to_stored,
            fallback_to_domain as to_domain,
            encode as encoded,
            decode as decoded,
        ):
            account_id = app.open_account("Alice", "alice@example.com")
            app.credit_account(account_id, Decimal("10.00"))
            test.assertEqual(app.get_balance(account_id), Decimal("10.00"))

        written: list[DomainEventProtocol[Any]] = [c.args[1] for c in to_stored.call_args_list]
        test.assertEqual([type(e).__name__ for e in written], ["Opened", "TransactionAppended"])
        test.assertTrue(all(c.args[0] is app.mapper for c in to_stored.call_args_list))
        test.assertGreaterEqual(to_domain.call_count, 2)
        test.assertGreaterEqual(encoded.call_count, 2)
        test.assertGreaterEqual(decoded.call_count, 2)

        # What was stored is our transcoder's JSON, with the suite's registered types.
        stored = app.recorder.select_events(account_id)
        test.assertEqual(len(stored), 2)
        state = app.mapper.transcoder.decode(stored[0].state)
        test.assertEqual(state["full_name"], "Alice")
        test.assertEqual(state["email_address"], EmailAddress("alice@example.com"))
        test.assertIn(
            b'"email_address":{"_type_":"email_address_as_str","_data_":"alice@example.com"}',
            stored[0].state,
        )
        test.assertIn(b'"_type_":"decimal_str","_data_":"10.00"', stored[1].state)
    finally:
        app.close()


# -- POPO --------------------------------------------------------------------------------------
class WithPOPO(WithOurCodec):
    expected_factory_topic = "eventsourcing.popo:POPOFactory"

    def store_env(self) -> dict[str, str]:
        return in_memory_env()


class TestApplicationWithPOPO(
    WithPOPO,
    es_application.ApplicationTestCase,  # type: ignore[misc]
):
    pass


class TestExampleApplicationWithPOPO(
    WithPOPO,
    es_application.ExampleApplicationTestCase,  # type: ignore[misc]
):
    def test_bank_accounts_use_our_mapper_and_transcoder(self) -> None:
        check_bank_accounts_use_our_mapper_and_transcoder(self)


# -- SQLite ------------------------------------------------------------------------------------
class WithSQLiteFile(WithOurCodec):
    expected_factory_topic = "eventsourcing.sqlite:SQLiteFactory"

    def store_env(self) -> dict[str, str]:
        return sqlite_env(temp_sqlite_path(self))


class WithSQLiteInMemory(WithOurCodec):
    """As upstream: a shared in-memory database of its own for each test."""

    expected_factory_topic = "eventsourcing.sqlite:SQLiteFactory"

    def store_env(self) -> dict[str, str]:
        return sqlite_env(f"file:app{uuid4().hex}?mode=memory&cache=shared")


class TestApplicationWithSQLiteFile(
    WithSQLiteFile,
    es_application.ApplicationTestCase,  # type: ignore[misc]
):
    pass


class TestApplicationWithSQLiteInMemory(
    WithSQLiteInMemory,
    es_application.ApplicationTestCase,  # type: ignore[misc]
):
    pass


class TestExampleApplicationWithSQLiteFile(
    WithSQLiteFile,
    es_application.ExampleApplicationTestCase,  # type: ignore[misc]
):
    def test_bank_accounts_use_our_mapper_and_transcoder(self) -> None:
        check_bank_accounts_use_our_mapper_and_transcoder(self)


class TestExampleApplicationWithSQLiteInMemory(
    WithSQLiteInMemory,
    es_application.ExampleApplicationTestCase,  # type: ignore[misc]
):
    def test_bank_accounts_use_our_mapper_and_transcoder(self) -> None:
        check_bank_accounts_use_our_mapper_and_transcoder(self)


# -- PostgreSQL --------------------------------------------------------------------------------
@pytest.mark.postgres
class WithPostgres(PostgresTestCase, WithOurCodec):
    """As upstream's ``WithPostgres``: tables dropped before each test (here: schemas reset)."""

    expected_factory_topic = "eventsourcing.postgres:PostgresFactory"
    postgres_schema = "public"
    postgres_enable_db_functions = "n"

    def store_env(self) -> dict[str, str]:
        return {
            **self.pg_server.env(self.pg_dbname, schema=self.postgres_schema),
            "POSTGRES_ENABLE_DB_FUNCTIONS": self.postgres_enable_db_functions,
        }


class TestApplicationWithPostgres(
    WithPostgres,
    es_application.ApplicationTestCase,  # type: ignore[misc]
):
    pass


class TestApplicationWithPostgresSchemaEnableFunctions(
    WithPostgres,
    es_application.ApplicationTestCase,  # type: ignore[misc]
):
    postgres_schema = "myschema"
    postgres_enable_db_functions = "y"


class TestApplicationWithPostgresSchemaNoPublic(
    WithPostgres,
    es_application.ApplicationTestCase,  # type: ignore[misc]
):
    """As upstream: a database without the ``public`` schema."""

    postgres_schema = "myschema"

    def setUp(self) -> None:
        super().setUp()
        with self.pg_server.connect(self.pg_dbname) as conn:
            conn.execute("DROP SCHEMA public CASCADE")


class TestExampleApplicationWithPostgres(
    WithPostgres,
    es_application.ExampleApplicationTestCase,  # type: ignore[misc]
):
    def test_bank_accounts_use_our_mapper_and_transcoder(self) -> None:
        check_bank_accounts_use_our_mapper_and_transcoder(self)


def test_application_reads_mapper_and_transcoder_topics_from_os_environ() -> None:
    with mock.patch.dict("os.environ", in_memory_env()):
        app = Application[Any]()
    try:
        assert type(app.mapper) is PydanticMapper
        assert type(app.mapper.transcoder) is OrjsonTranscoder
    finally:
        app.close()
