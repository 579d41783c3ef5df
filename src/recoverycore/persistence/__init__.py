"""Storage configuration: eventsourcing recorders, our pydantic mapper, orjson transcoder."""

from recoverycore.persistence._mapper import PydanticMapper
from recoverycore.persistence._store import (
    DEFAULT_DB_PATH,
    MAPPER_TOPIC,
    TRANSCODER_TOPIC,
    in_memory_env,
    postgres_connect_args,
    postgres_env,
    resolve_store_env,
    sqlite_env,
)
from recoverycore.persistence._transcoder import OrjsonTranscoder, TupleAsList

__all__ = [
    "DEFAULT_DB_PATH",
    "MAPPER_TOPIC",
    "TRANSCODER_TOPIC",
    "OrjsonTranscoder",
    "PydanticMapper",
    "TupleAsList",
    "in_memory_env",
    "postgres_connect_args",
    "postgres_env",
    "resolve_store_env",
    "sqlite_env",
]
