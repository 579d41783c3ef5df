"""What every recoverycore application does to what it stores: seal each aggregate's events in a
hash chain, and encrypt customers' personal fields under their own keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import EventStore, Mapper
from eventsourcing.utils import strtobool

from recoverycore.persistence._chain import ChainedEventStore, chain_key_from
from recoverycore.persistence._mapper import PydanticMapper
from recoverycore.persistence._personal import personal_data_for

__all__ = ["HASH_CHAIN", "ProtectedStorage"]

HASH_CHAIN = "RECOVERYCORE_HASH_CHAIN"
"""Environment variable: ``y`` (the default) seals every recorded event in its aggregate's hash
chain; ``n`` stores events unsealed (``recoverycore verify`` then reports them as unchained)."""


class ProtectedStorage(Application[UUID]):
    """A base for recoverycore's applications (``RecoveryApp`` and the policies).

    - Its event store is a :class:`~recoverycore.persistence.ChainedEventStore` unless
      ``RECOVERYCORE_HASH_CHAIN=n``; ``RECOVERYCORE_CHAIN_KEY`` makes the chain an HMAC.
    - Its mappers (its own and those reading the applications it follows) share the store's
      :class:`~recoverycore.persistence.PersonalData` unless
      ``RECOVERYCORE_PERSONAL_DATA=plain``.
    """

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        if isinstance(mapper, PydanticMapper):
            mapper.personal = personal_data_for(dict(self.env))
            mapper.log = self.name
        return mapper

    def construct_event_store(self) -> EventStore[UUID]:
        if not strtobool(self.env.get(HASH_CHAIN) or "y"):
            return super().construct_event_store()
        return ChainedEventStore(self.mapper, self.recorder, key=chain_key_from(self.env))

    def follow(self, name: str, log: Any) -> None:
        super().follow(name, log)  # type: ignore[misc]
        mapper = self.mappers[name]  # type: ignore[attr-defined]
        if isinstance(mapper, PydanticMapper) and isinstance(self.mapper, PydanticMapper):
            mapper.personal = self.mapper.personal
            mapper.log = name
