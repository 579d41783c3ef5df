"""What every recoverycore application does to what it stores: seal each aggregate's events in a
hash chain, and encrypt customers' personal fields under their own keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.application import Application, Cache, LRUCache, ProcessingEvent, Repository
from eventsourcing.persistence import EventStore, Mapper, Recording
from eventsourcing.utils import strtobool

from recoverycore.persistence._chain import ChainedEventStore, SealedSnapshotStore, chain_key_from
from recoverycore.persistence._mapper import PydanticMapper
from recoverycore.persistence._personal import PersonalData, personal_data_for

__all__ = ["HASH_CHAIN", "ProtectedStorage"]

HASH_CHAIN = "RECOVERYCORE_HASH_CHAIN"
"""Environment variable: ``y`` (the default) seals every recorded event in its aggregate's hash
chain; ``n`` stores events unsealed (``recoverycore verify`` then reports them as unchained)."""


_log = structlog.get_logger("recoverycore")


def _snapshot_passed_over(aggregate_id: UUID, version: int, why: str) -> None:
    _log.warning(
        "snapshot ignored: replaying from the events instead",
        aggregate_id=str(aggregate_id),
        version=version,
        reason=why,
    )


class ProtectedStorage(Application[UUID]):
    """A base for recoverycore's applications (``RecoveryApp`` and the policies).

    - Its event store is a :class:`~recoverycore.persistence.ChainedEventStore` unless
      ``RECOVERYCORE_HASH_CHAIN=n``; ``RECOVERYCORE_CHAIN_KEY`` makes the chain an HMAC.
    - Its snapshot store (when snapshotting is on, with the chain) is a
      :class:`~recoverycore.persistence.SealedSnapshotStore`: snapshots are sealed and bound to
      the chain, and one that fails the check is ignored (logged) and the events replayed.
    - Its mappers (its own and those reading the applications it follows) share the store's
      :class:`~recoverycore.persistence.PersonalData` unless
      ``RECOVERYCORE_PERSONAL_DATA=plain``.
    - Its events are recorded in a unit of work of the personal data: a command that fails after
      its personal fields were encrypted leaves no customer key or link behind.
    - Its repository drops the states it keeps in memory when a customer was forgotten anywhere
      (the key store's generation moved), so no plaintext outlives a ``forget``.
    """

    @property
    def personal(self) -> PersonalData | None:
        """The store's personal data (``None`` when it keeps personal data plain)."""
        mapper = self.mapper
        return mapper.personal if isinstance(mapper, PydanticMapper) else None

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = super().construct_mapper()
        if isinstance(mapper, PydanticMapper):
            mapper.personal = personal_data_for(dict(self.env))
            mapper.log = self.name
        return mapper

    def construct_event_store(self) -> EventStore[UUID]:
        if not strtobool(self.env.get(HASH_CHAIN) or "y"):
            store = super().construct_event_store()
        else:
            store = ChainedEventStore(self.mapper, self.recorder, key=chain_key_from(self.env))
        return self._one_generation_per_read(store)

    def _one_generation_per_read(self, store: EventStore[UUID]) -> EventStore[UUID]:
        """``store``, reading each history under one look at the key store's generation (one
        query per history, not one per event with personal data: a round trip on
        PostgreSQL)."""
        personal = self.personal
        if personal is None:
            return store
        get = store.get

        def get_reading(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with personal.reading():
                return iter(list(get(*args, **kwargs)))

        store.get = get_reading  # type: ignore[method-assign]
        return store

    def construct_repository(self) -> Repository[UUID]:
        repository = super().construct_repository()
        personal = self.personal
        if personal is not None and repository.cache is not None:
            repository.cache = _ForgettingCache(personal, repository.cache)
        return repository

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        personal = self.personal
        if personal is None:
            return super()._record(processing_event)
        with personal.unit_of_work():
            return super()._record(processing_event)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        store = super().construct_snapshot_store()
        if not isinstance(self.events, ChainedEventStore):
            return store
        return SealedSnapshotStore(
            self.mapper,
            store.recorder,
            events=self.events,
            key=self.events.key,
            on_rejected=_snapshot_passed_over,
        )

    def follow(self, name: str, log: Any) -> None:
        super().follow(name, log)  # type: ignore[misc]
        mapper = self.mappers[name]  # type: ignore[attr-defined]
        if isinstance(mapper, PydanticMapper) and isinstance(self.mapper, PydanticMapper):
            mapper.personal = self.mapper.personal
            mapper.log = name

    def follow_leader(self, leader: Application[UUID]) -> None:
        """Follow ``leader``'s notification log, reading its personal data with the leader's
        own key store (a follower kept in another store, such as a policy rebuilt beside it,
        has none of the leader's keys)."""
        self.follow(leader.name, leader.notification_log)
        mapper = self.mappers[leader.name]  # type: ignore[attr-defined]
        if isinstance(mapper, PydanticMapper) and isinstance(leader.mapper, PydanticMapper):
            mapper.personal = leader.mapper.personal


class _ForgettingCache(Cache[UUID, Any]):
    """A repository's cache of states (which hold personal data in plaintext) that empties
    itself whenever the key store's generation has moved since it last looked."""

    def __init__(self, personal: PersonalData, inner: Cache[UUID, Any]) -> None:
        super().__init__()
        self._personal = personal
        self._inner = inner
        self._generation = personal.generation()

    def _check(self) -> None:
        generation = self._personal.generation()
        if generation != self._generation:
            inner = self._inner
            if isinstance(inner, LRUCache):
                with inner.lock:  # its clear() only resets the recency list
                    inner.cache.clear()
                    inner.clear()
                    inner.full = False
            else:
                inner.cache.clear()
            self._generation = generation

    def get(self, key: UUID, *, evict: bool = False) -> Any:
        self._check()
        return self._inner.get(key, evict=evict)

    def put(self, key: UUID, value: Any) -> Any:
        return self._inner.put(key, value)
