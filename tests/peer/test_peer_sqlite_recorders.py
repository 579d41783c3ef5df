"""eventsourcing's recorder and infrastructure-factory suites on its SQLite recorders.

The recorder cases mirror upstream's ``tests/persistence_tests/test_sqlite.py`` (in-memory
databases, text originator ids, and the concurrency tests on a temporary file and on a shared
in-memory database), and add file-backed variants, as our CLI writes to a file. The factory case
runs with our environment, so the factory builds our mapper and transcoder.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID, uuid4

import eventsourcing.tests.persistence as es_persistence
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteProcessRecorder,
    SQLiteTrackingRecorder,
)
from eventsourcing.utils import Environment
from peer_support import temp_sqlite_path, transcoder_as_application_registers_it

from recoverycore.persistence import OrjsonTranscoder, PydanticMapper, sqlite_env


class SQLiteRecorderSetup:
    """Creates datastores as upstream's cases do.

    Like upstream, the tests leave closing the datastore to garbage collection: the suite's
    concurrency test doesn't join its reader threads, and closing an SQLite connection that
    another thread still uses can crash the interpreter.
    """

    db_name = ":memory:"
    originator_id_type: Literal["uuid", "text"] = "uuid"
    pool_size = 5

    def construct_datastore(self) -> SQLiteDatastore:
        return SQLiteDatastore(
            db_name=self.db_name,
            pool_size=self.pool_size,
            originator_id_type=self.originator_id_type,
        )


def shared_memory_db_uri() -> str:
    """A new in-memory database that all connections of the process share.

    Upstream uses ``file::memory:?cache=shared``, one database for the whole process; a name of
    its own keeps a test from finding the tables an earlier test left (with another id type).
    """
    return f"file:mem{uuid4().hex}?mode=memory&cache=shared"


class WithTextOriginatorID:
    originator_id_type: Literal["uuid", "text"] = "text"

    def new_originator_id(self) -> UUID | str:
        return "test-" + str(uuid4())


class WithSQLiteFile:
    def setUp(self) -> None:
        self.db_name = temp_sqlite_path(self)  # type: ignore[arg-type]
        super().setUp()  # type: ignore[misc]


# -- aggregate recorder ------------------------------------------------------------------------
class TestSQLiteAggregateRecorder(
    SQLiteRecorderSetup,
    es_persistence.AggregateRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> AggregateRecorder:
        recorder = SQLiteAggregateRecorder(self.construct_datastore())
        recorder.create_table()
        return recorder


class TestSQLiteAggregateRecorderWithTextOriginatorID(
    WithTextOriginatorID, TestSQLiteAggregateRecorder
):
    pass


class TestSQLiteAggregateRecorderOnFile(WithSQLiteFile, TestSQLiteAggregateRecorder):
    pass


# -- application recorder ----------------------------------------------------------------------
class TestSQLiteApplicationRecorder(
    SQLiteRecorderSetup,
    es_persistence.ApplicationRecorderTestCase,  # type: ignore[misc]
):
    pool_size = 100

    def create_recorder(self) -> ApplicationRecorder:
        recorder = SQLiteApplicationRecorder(self.construct_datastore())
        recorder.create_table()
        return recorder

    # As upstream: the concurrency tests need a database that many connections share.
    def test_concurrent_no_conflicts(self) -> None:
        self.db_name = temp_sqlite_path(self)
        super().test_concurrent_no_conflicts()

    def test_concurrent_no_conflicts_in_memory_db(self) -> None:
        self.db_name = shared_memory_db_uri()
        super().test_concurrent_no_conflicts()

    def test_concurrent_throughput(self) -> None:
        self.db_name = temp_sqlite_path(self)
        super().test_concurrent_throughput()

    def test_concurrent_throughput_in_memory_db(self) -> None:
        self.db_name = shared_memory_db_uri()
        super().test_concurrent_throughput()


class TestSQLiteApplicationRecorderWithTextOriginatorID(
    WithTextOriginatorID, TestSQLiteApplicationRecorder
):
    pass


class TestSQLiteApplicationRecorderOnFile(WithSQLiteFile, TestSQLiteApplicationRecorder):
    pass


# -- tracking recorder -------------------------------------------------------------------------
class TestSQLiteTrackingRecorder(
    SQLiteRecorderSetup,
    es_persistence.TrackingRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> TrackingRecorder:
        recorder = SQLiteTrackingRecorder(self.construct_datastore())
        recorder.create_table()
        return recorder


class TestSQLiteTrackingRecorderOnFile(WithSQLiteFile, TestSQLiteTrackingRecorder):
    pass


# -- process recorder --------------------------------------------------------------------------
class TestSQLiteProcessRecorder(
    SQLiteRecorderSetup,
    es_persistence.ProcessRecorderTestCase,  # type: ignore[misc]
):
    def create_recorder(self) -> ProcessRecorder:
        recorder = SQLiteProcessRecorder(self.construct_datastore())
        recorder.create_table()
        return recorder


class TestSQLiteProcessRecorderWithTextOriginatorID(
    WithTextOriginatorID, TestSQLiteProcessRecorder
):
    pass


class TestSQLiteProcessRecorderOnFile(WithSQLiteFile, TestSQLiteProcessRecorder):
    pass


# -- infrastructure factory --------------------------------------------------------------------
class TestSQLiteFactoryWithOurMapperAndTranscoder(
    es_persistence.InfrastructureFactoryTestCase  # type: ignore[misc]
):
    def expected_factory_class(self) -> type[SQLiteFactory]:
        return SQLiteFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return SQLiteAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return SQLiteApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return SQLiteTrackingRecorder

    class SQLiteTrackingRecorderSubclass(SQLiteTrackingRecorder):
        pass

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return self.SQLiteTrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return SQLiteProcessRecorder

    def setUp(self) -> None:
        self.env = Environment("TestCase", sqlite_env(":memory:"))
        super().setUp()
        # The suite's mappers then use our transcoder as an application would configure it.
        self.transcoder = transcoder_as_application_registers_it()

    def test_factory_constructs_our_mapper_and_transcoder_from_env(self) -> None:
        self.assertIs(type(self.factory.transcoder()), OrjsonTranscoder)
        mapper = self.factory.mapper(transcoder=self.transcoder)
        self.assertIs(type(mapper), PydanticMapper)
        self.assertIs(mapper.transcoder, self.transcoder)

    def test_environment_selects_sqlite_persistence_module(self) -> None:
        factory = InfrastructureFactory.construct(Environment("TestCase", sqlite_env(":memory:")))
        try:
            self.assertIsInstance(factory, SQLiteFactory)
        finally:
            factory.close()
