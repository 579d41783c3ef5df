"""Storage configuration: eventsourcing recorders, our pydantic mapper, orjson transcoder."""

from recoverycore.persistence._mapper import PydanticMapper
from recoverycore.persistence._store import (
    ALL_APPLICATIONS,
    DEFAULT_DB_PATH,
    FOLLOW_UP_APPLICATION,
    MAPPER_TOPIC,
    POLICY_APPLICATIONS,
    RECOVERY_APPLICATION,
    SAFEGUARD_APPLICATION,
    TRANSCODER_TOPIC,
    StoreKind,
    in_memory_env,
    postgres_connect_args,
    postgres_env,
    resolve_store_env,
    sqlite_env,
    store_kind,
)
from recoverycore.persistence._transcoder import OrjsonTranscoder, TupleAsList

__all__ = [
    "ALL_APPLICATIONS",
    "DEFAULT_DB_PATH",
    "FOLLOW_UP_APPLICATION",
    "MAPPER_TOPIC",
    "POLICY_APPLICATIONS",
    "RECOVERY_APPLICATION",
    "SAFEGUARD_APPLICATION",
    "TRANSCODER_TOPIC",
    "OrjsonTranscoder",
    "PydanticMapper",
    "StoreKind",
    "TupleAsList",
    "in_memory_env",
    "postgres_connect_args",
    "postgres_env",
    "resolve_store_env",
    "sqlite_env",
    "store_kind",
]
