"""The store's facts that every package reads: which kind of store an environment describes, and
the names of the applications (and so of their notification logs)."""

from recoverycore.application import FollowUpPolicy, RecoveryApp, SafeguardPolicy
from recoverycore.application.verify import APPLICATIONS
from recoverycore.persistence import (
    ALL_APPLICATIONS,
    POLICY_APPLICATIONS,
    StoreKind,
    in_memory_env,
    postgres_env,
    sqlite_env,
    store_kind,
)
from recoverycore.projections import FOLLOW_UP_APPLICATION, RECOVERY_APPLICATION


def test_the_store_kind_is_read_from_eventsourcings_persistence_module() -> None:
    assert store_kind({}) is StoreKind.MEMORY
    assert store_kind(in_memory_env()) is StoreKind.MEMORY
    assert store_kind(sqlite_env(":memory:")) is StoreKind.SQLITE
    assert store_kind(sqlite_env("store.db")) is StoreKind.SQLITE
    assert store_kind(postgres_env(dbname="recoverycore")) is StoreKind.POSTGRES
    assert store_kind({"PERSISTENCE_MODULE": "eventsourcing_kurrentdb"}) is StoreKind.OTHER


def test_each_application_is_named_once_and_verify_reads_their_logs_in_that_order() -> None:
    assert (RecoveryApp.name, FollowUpPolicy.name, SafeguardPolicy.name) == ALL_APPLICATIONS
    assert ALL_APPLICATIONS == ("RecoveryCore", "FollowUpPolicy", "SafeguardPolicy")
    assert ALL_APPLICATIONS[1:] == POLICY_APPLICATIONS
    assert APPLICATIONS == ALL_APPLICATIONS
    assert ALL_APPLICATIONS[:2] == (RECOVERY_APPLICATION, FOLLOW_UP_APPLICATION)
