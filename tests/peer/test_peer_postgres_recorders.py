"""eventsourcing's recorder and infrastructure-factory suites on its PostgreSQL recorders.

The variants mirror upstream's ``tests/persistence_tests/test_postgres.py``: the ``public`` and
``myschema`` schemas, text originator ids, database functions, maximally long table names,
and upstream's pool sizes for the concurrency tests. They run on the throwaway server of the
``pg_server`` fixture, each class in a database of its own. The factory case runs with our
environment, so the factory builds our mapper and transcoder.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID, uuid4

import eventsourcing.tests.persistence as es_persistence
import pytest
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
    PostgresProcessRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import Environment
from peer_support import PostgresTestCase, transcoder_as_application_registers_it

from recoverycore.persistence import OrjsonTranscoder, PydanticMapper

pytestmark = pytest.mark.postgres

# As upstream: maximally long (63 character) table names.
EVENTS_TABLE_NAME = "s" * 50 + "stored_events"
TRACKING_TABLE_NAME = "n" * 42 + "notification_tracking"
assert len(EVENTS_TABLE_NAME) == len(TRACKING_TABLE_NAME) == 63


class WithDatastore(PostgresTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.datastore = self.construct_datastore()

    def tearDown(self) -> None:
        self.datastore.close()
        super().tearDown()


class WithSchema:
    schema = "myschema"


class WithTextOriginatorID:
    originator_id_type: Literal["uuid", "text"] = "text"

    def new_originator_id(self) -> UUID | str:
        return "test-" + str(uuid4())


class WithDbFunctions:
    enable_db_functions = True


# -- aggregate recorder ------------------------------------------------------------------------
class TestPostgresAggregateRecorder(
    WithDatastore,
    es_persistence.AggregateRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> AggregateRecorder:
        recorder = PostgresAggregateRecorder(
            datastore=self.datastore, events_table_name=EVENTS_TABLE_NAME
        )
        recorder.create_table()
        return recorder


class TestPostgresAggregateRecorderWithSchema(WithSchema, TestPostgresAggregateRecorder):
    pass


class TestPostgresAggregateRecorderWithTextOriginatorID(
    WithTextOriginatorID, TestPostgresAggregateRecorder
):
    pass


class TestPostgresAggregateRecorderWithDbFunctions(WithDbFunctions, TestPostgresAggregateRecorder):
    pass


class TestPostgresAggregateRecorderWithDbFunctionsAndTextOriginatorID(
    WithTextOriginatorID, TestPostgresAggregateRecorderWithDbFunctions
):
    pass


# -- application recorder ----------------------------------------------------------------------
class TestPostgresApplicationRecorder(
    WithDatastore,
    es_persistence.ApplicationRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = PostgresApplicationRecorder(self.datastore, events_table_name=EVENTS_TABLE_NAME)
        recorder.create_table()
        return recorder

    # Upstream's pool sizes for the tests that use more than one connection.
    def test_insert_subscribe(self) -> None:
        self.datastore.pool.open()
        self.datastore.pool.resize(2, 2)
        super().optional_test_insert_subscribe()

    def test_concurrent_no_conflicts(self) -> None:
        self.datastore.pool.open()
        self.datastore.pool.resize(12, 12)
        super().test_concurrent_no_conflicts()

    def test_concurrent_throughput(self) -> None:
        self.datastore.pool.open()
        self.datastore.pool.resize(10, 10)
        super().test_concurrent_throughput()


class TestPostgresApplicationRecorderWithSchema(WithSchema, TestPostgresApplicationRecorder):
    pass


class TestPostgresApplicationRecorderWithTextOriginatorID(
    WithTextOriginatorID, TestPostgresApplicationRecorder
):
    pass


class TestPostgresApplicationRecorderWithDbFunctions(
    WithDbFunctions, TestPostgresApplicationRecorder
):
    pass


class TestPostgresApplicationRecorderWithDbFunctionsAndTextOriginatorID(
    WithTextOriginatorID, TestPostgresApplicationRecorderWithDbFunctions
):
    pass


# -- tracking recorder -------------------------------------------------------------------------
class TestPostgresTrackingRecorder(
    WithDatastore,
    es_persistence.TrackingRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> TrackingRecorder:
        recorder = PostgresTrackingRecorder(
            datastore=self.datastore, tracking_table_name=TRACKING_TABLE_NAME
        )
        recorder.create_table()
        return recorder


# -- process recorder --------------------------------------------------------------------------
class TestPostgresProcessRecorder(
    WithDatastore,
    es_persistence.ProcessRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> ProcessRecorder:
        recorder = PostgresProcessRecorder(
            datastore=self.datastore,
            events_table_name=EVENTS_TABLE_NAME,
            tracking_table_name=TRACKING_TABLE_NAME,
        )
        recorder.create_table()
        return recorder


class TestPostgresProcessRecorderWithSchema(WithSchema, TestPostgresProcessRecorder):
    pass


# -- infrastructure factory --------------------------------------------------------------------
class TestPostgresFactoryWithOurMapperAndTranscoder(
    PostgresTestCase,
    es_persistence.InfrastructureFactoryTestCase,  # type: ignore[misc]
):
    def expected_factory_class(self) -> type[PostgresFactory]:
        return PostgresFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return PostgresAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return PostgresApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return PostgresTrackingRecorder

    class PostgresTrackingRecorderSubclass(PostgresTrackingRecorder):
        pass

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return self.PostgresTrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return PostgresProcessRecorder

    def setUp(self) -> None:
        self.env = Environment("TestCase", self.pg_server.env(self.pg_dbname))
        super().setUp()
        # The suite's mappers then use our transcoder as an application would configure it.
        self.transcoder = transcoder_as_application_registers_it()

    def test_create_tracking_recorder(self) -> None:
        super().test_create_tracking_recorder()
        # As upstream: the schema is used in the recorder's statements.
        self.factory.datastore.schema = "myschema"
        recorder = self.factory.tracking_recorder()
        self.assertIn('"myschema".', recorder.sql_create_statements[0].as_string())

    def test_factory_constructs_our_mapper_and_transcoder_from_env(self) -> None:
        self.assertIs(type(self.factory.transcoder()), OrjsonTranscoder)
        mapper = self.factory.mapper(transcoder=self.transcoder)
        self.assertIs(type(mapper), PydanticMapper)
        self.assertIs(mapper.transcoder, self.transcoder)

    def test_environment_selects_postgres_persistence_module(self) -> None:
        env = Environment("TestCase", self.pg_server.env(self.pg_dbname, schema="myschema"))
        factory = InfrastructureFactory.construct(env)
        try:
            self.assertIsInstance(factory, PostgresFactory)
            assert isinstance(factory, PostgresFactory)
            self.assertEqual(factory.datastore.schema, "myschema")
            # Trust authentication: the empty password of postgres_env() is accepted.
            with factory.datastore.transaction(commit=False) as curs:
                curs.execute("SELECT current_user")
                self.assertEqual(curs.fetchall(), [{"current_user": self.pg_server.user}])
        finally:
            factory.close()
