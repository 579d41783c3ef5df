"""The hash chain that makes each aggregate's stored history tamper-evident.

Every event an application records is stored as a fixed-length *seal* followed by the bytes the
mapper produced (JSON, possibly compressed or enciphered by eventsourcing's ``CIPHER_KEY``)::

    MAGIC (4 bytes) | prev (32 bytes) | digest (32 bytes) | inner bytes ...

``digest`` is SHA-256 (or HMAC-SHA-256 under ``RECOVERYCORE_CHAIN_KEY``) of ``MAGIC``, ``prev``,
the aggregate id, the version, the topic and the inner bytes; ``prev`` is the digest of the
aggregate's previous event (32 zero bytes before its first). Altering, removing, inserting or
reordering any stored event therefore breaks the chain at that event, and checking it needs
neither the cipher key nor the customers' keys: the chain covers what is stored, so erasing a
customer's personal data by destroying their key (:func:`recoverycore.forget`) leaves every
history verifiable.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import EventStore, Notification, Recording, StoredEvent

__all__ = [
    "CHAIN_KEY",
    "GENESIS",
    "MAGIC",
    "SEAL_SIZE",
    "ChainedEventStore",
    "Seal",
    "chain_key_from",
    "digest_of",
    "read_seal",
    "seal_state",
    "unseal",
]

MAGIC = b"\x00rc1"
"""The first bytes of every sealed state. A NUL never starts JSON, zlib or a JSON number, so a
sealed state is told from an unsealed one (a store written before the chain) at a glance."""
DIGEST_SIZE = 32
SEAL_SIZE = len(MAGIC) + 2 * DIGEST_SIZE
GENESIS = bytes(DIGEST_SIZE)
"""The ``prev`` of an aggregate's first event."""

CHAIN_KEY = "RECOVERYCORE_CHAIN_KEY"
"""Environment variable: a secret that turns the chain's SHA-256 into HMAC-SHA-256, so that only
holders of the key can re-seal an altered history. Without it anyone can check the chain, and
anyone who can write the store could also recompute it: keep a copy of the heads (``verify``
prints them) or set a key when that matters."""


def chain_key_from(env: Mapping[str, str]) -> bytes | None:
    """The HMAC key configured in ``env`` (``None``: plain SHA-256)."""
    text = env.get(CHAIN_KEY) or ""
    return text.encode() if text else None


class Seal(NamedTuple):
    prev: bytes
    digest: bytes


def digest_of(
    prev: bytes,
    originator_id: UUID,
    version: int,
    topic: str,
    inner: bytes,
    key: bytes | None = None,
) -> bytes:
    """The digest an event with this position, topic and stored bytes is sealed with."""
    topic_bytes = topic.encode()
    h = hmac.new(key, digestmod=hashlib.sha256) if key else hashlib.sha256()
    h.update(MAGIC)
    h.update(prev)
    h.update(originator_id.bytes)
    h.update(version.to_bytes(8, "big", signed=True))
    h.update(len(topic_bytes).to_bytes(4, "big"))
    h.update(topic_bytes)
    h.update(inner)
    return h.digest()


def seal_state(
    prev: bytes,
    originator_id: UUID,
    version: int,
    topic: str,
    inner: bytes,
    key: bytes | None = None,
) -> tuple[bytes, bytes]:
    """``(sealed state, digest)`` for an event recorded after the one whose digest is ``prev``."""
    digest = digest_of(prev, originator_id, version, topic, inner, key)
    return MAGIC + prev + digest + inner, digest


def read_seal(state: bytes) -> Seal | None:
    """The seal at the start of a stored state, or ``None`` if it has none."""
    if len(state) < SEAL_SIZE or state[:4] != MAGIC:
        return None
    return Seal(bytes(state[4:36]), bytes(state[36:68]))


def unseal(state: bytes) -> bytes:
    """The mapper's own bytes: the stored state without its seal (as is, if it has none)."""
    if state[:4] == MAGIC:
        return state[SEAL_SIZE:]
    return state


class ChainedEventStore(EventStore[UUID]):
    """eventsourcing's ``EventStore`` that seals each event with the chain before inserting.

    The digest of each aggregate's last event is kept in memory after a successful insert; on a
    miss (another process recorded since, or a new process) it is read from the store. A failed
    insert (e.g. a concurrent update) leaves the remembered digests untouched.
    """

    def __init__(self, mapper: Any, recorder: Any, *, key: bytes | None = None) -> None:
        super().__init__(mapper, recorder)
        self.key = key
        self._heads: dict[UUID, tuple[int, bytes]] = {}
        self._lock = threading.Lock()
        self.max_heads = 10_000

    def head(self, originator_id: UUID, version: int) -> bytes:
        """The digest of ``originator_id``'s event at ``version`` (``GENESIS`` for 0)."""
        if version <= 0:
            return GENESIS
        cached = self._heads.get(originator_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        rows = self.recorder.select_events(originator_id, lte=version, desc=True, limit=1)
        if not rows or rows[0].originator_version != version:
            # The previous event is not stored (it is being recorded in the same insert, or
            # the caller's version is stale and the insert will fail on the unique key).
            return GENESIS
        seal = read_seal(rows[0].state)
        return seal.digest if seal else GENESIS

    def seal(self, stored: Sequence[StoredEvent]) -> tuple[list[StoredEvent], dict[UUID, Any]]:
        """The stored events sealed in order, and each aggregate's new head."""
        heads: dict[UUID, tuple[int, bytes]] = {}
        sealed: list[StoredEvent] = []
        key = self.key
        for s in stored:
            oid = s.originator_id
            assert isinstance(oid, UUID)
            version = s.originator_version
            last = heads.get(oid)
            if last is not None and last[0] == version - 1:
                prev = last[1]
            else:
                prev = self.head(oid, version - 1)
            state, digest = seal_state(prev, oid, version, s.topic, s.state, key)
            heads[oid] = (version, digest)
            sealed.append(StoredEvent(oid, version, s.topic, state))
        return sealed, heads

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        stored = list(map(self.mapper.to_stored_event, domain_events))
        sealed, heads = self.seal(stored)
        recordings = self._insert(domain_events, sealed, **kwargs)
        with self._lock:
            if len(self._heads) > self.max_heads:
                self._heads.clear()
            self._heads.update(heads)
        return recordings

    def _insert(
        self,
        domain_events: Sequence[DomainEventProtocol[UUID]],
        sealed: list[StoredEvent],
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        # As EventStore.put does after mapping.
        notification_ids = self.recorder.insert_events(sealed, **kwargs)
        if not notification_ids:
            return []
        assert len(notification_ids) == len(sealed)
        return [
            Recording(
                d,
                Notification(
                    originator_id=s.originator_id,
                    originator_version=s.originator_version,
                    topic=s.topic,
                    state=s.state,
                    id=n_id,
                ),
            )
            for d, s, n_id in zip(domain_events, sealed, notification_ids, strict=True)
        ]
