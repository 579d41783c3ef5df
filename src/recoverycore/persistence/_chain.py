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

Snapshots (a shortcut for replay, kept in eventsourcing's snapshot store) are sealed too, with
their own marker, and bound to the chain: a snapshot's seal holds the digest of the event at the
snapshot's version and a digest over that, the position, the topic and the snapshot's bytes::

    SNAPSHOT_MAGIC (4 bytes) | event digest (32 bytes) | digest (32 bytes) | inner bytes ...

:class:`SealedSnapshotStore` hands out only snapshots whose seal checks and whose event digest is
the one stored at that version now; any other snapshot (altered, copied, or written before
snapshots were sealed) is passed over, so the aggregate is replayed from its events.

The whole notification log of an application is chained too, at verify time, in its order:
:func:`log_digest` links each event's position, aggregate, version and digest to the one before.
The last link (the log's *head*) is what an auditor keeps elsewhere, to check later that the log
still extends it.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import EventStore, Notification, Recording, StoredEvent

__all__ = [
    "CHAIN_KEY",
    "GENESIS",
    "MAGIC",
    "SEAL_SIZE",
    "SNAPSHOT_MAGIC",
    "ChainedEventStore",
    "Seal",
    "SealedSnapshotStore",
    "chain_key_from",
    "digest_of",
    "event_digest",
    "log_digest",
    "read_seal",
    "read_snapshot_seal",
    "seal_snapshot",
    "seal_state",
    "snapshot_digest",
    "snapshot_fault",
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
    *,
    magic: bytes = MAGIC,
) -> bytes:
    """The digest an event with this position, topic and stored bytes is sealed with."""
    topic_bytes = topic.encode()
    h = hmac.new(key, digestmod=hashlib.sha256) if key else hashlib.sha256()
    h.update(magic)
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
    """The mapper's own bytes: the stored state (of an event or a snapshot) without its seal (as
    is, if it has none)."""
    if state[:4] in (MAGIC, SNAPSHOT_MAGIC):
        return state[SEAL_SIZE:]
    return state


def event_digest(state: bytes) -> bytes:
    """What stands for a stored event in the whole-log chain: its seal's digest (which covers
    its position, topic and bytes), or SHA-256 of the state of an event stored without a seal."""
    seal = read_seal(state)
    return seal.digest if seal is not None else hashlib.sha256(state).digest()


LOG_MAGIC = b"\x00rl1"


def log_digest(
    prev: bytes, notification_id: int, originator_id: bytes, version: int, digest: bytes
) -> bytes:
    """The link of the whole-log chain after ``prev`` for the event stored at
    ``notification_id`` (``originator_id`` as its 16 bytes, ``digest`` from
    :func:`event_digest`). Plain SHA-256: anyone holding a head can check it."""
    return hashlib.sha256(
        b"".join(
            (
                LOG_MAGIC,
                prev,
                notification_id.to_bytes(8, "big", signed=True),
                originator_id,
                version.to_bytes(8, "big", signed=True),
                digest,
            )
        )
    ).digest()


# -- snapshots ------------------------------------------------------------------------------------
SNAPSHOT_MAGIC = b"\x00rs1"
"""The first bytes of a sealed snapshot (an event's seal starts with :data:`MAGIC`)."""


def snapshot_digest(
    event: bytes,
    originator_id: UUID,
    version: int,
    topic: str,
    inner: bytes,
    key: bytes | None = None,
) -> bytes:
    """The digest a snapshot of ``originator_id`` at ``version`` is sealed with, bound to the
    digest of the event stored at that version (``event``)."""
    return digest_of(event, originator_id, version, topic, inner, key, magic=SNAPSHOT_MAGIC)


def seal_snapshot(
    event: bytes,
    originator_id: UUID,
    version: int,
    topic: str,
    inner: bytes,
    key: bytes | None = None,
) -> bytes:
    """The stored state of a snapshot: its seal, then the mapper's bytes."""
    digest = snapshot_digest(event, originator_id, version, topic, inner, key)
    return SNAPSHOT_MAGIC + event + digest + inner


def read_snapshot_seal(state: bytes) -> Seal | None:
    """A snapshot's seal (``prev`` is the digest of the event it is bound to), or ``None``."""
    if len(state) < SEAL_SIZE or state[:4] != SNAPSHOT_MAGIC:
        return None
    return Seal(bytes(state[4:36]), bytes(state[36:68]))


def snapshot_fault(
    originator_id: UUID,
    version: int,
    topic: str,
    state: bytes,
    event_state: bytes | None,
    key: bytes | None = None,
) -> str | None:
    """Why a stored snapshot must not be used (``None``: it is sealed, its bytes are those it
    was sealed with, and it is bound to the event stored at its version, ``event_state``)."""
    seal = read_snapshot_seal(state)
    if seal is None:
        return (
            "it carries no seal (written before snapshots were sealed, or forged), so it "
            "cannot be checked against the chain"
        )
    inner = bytes(state[SEAL_SIZE:])
    if snapshot_digest(seal.prev, originator_id, version, topic, inner, key) != seal.digest:
        return "its bytes (state, topic or seal) differ from those it was sealed with"
    if event_state is None:
        return f"no event is stored at its version {version}"
    event = read_seal(event_state)
    if event is None or event.digest != seal.prev:
        return (
            f"it was taken of another history than the one stored: the event at version "
            f"{version} is not the one it was sealed after"
        )
    return None


Rejected = Callable[[UUID, int, str], None]
"""Told of each snapshot passed over: (aggregate id, version, why)."""


class SealedSnapshotStore(EventStore[UUID]):
    """eventsourcing's snapshot store, sealing each snapshot and checking it before use.

    ``events`` is the application's :class:`ChainedEventStore`: a snapshot is bound to the
    digest of the event at its version. :meth:`get` passes over (and reports to
    ``on_rejected``) every snapshot that fails :func:`snapshot_fault`, so the repository
    replays from an older good snapshot, or from the first event.
    """

    def __init__(
        self,
        mapper: Any,
        recorder: Any,
        *,
        events: ChainedEventStore,
        key: bytes | None = None,
        on_rejected: Rejected | None = None,
    ) -> None:
        super().__init__(mapper, recorder)
        self.chain = events
        self.key = key
        self.on_rejected = on_rejected

    def put(
        self, domain_events: Sequence[DomainEventProtocol[UUID]], **kwargs: Any
    ) -> list[Recording[UUID]]:
        sealed: list[StoredEvent] = []
        for snapshot in domain_events:
            s = self.mapper.to_stored_event(snapshot)
            oid = s.originator_id
            assert isinstance(oid, UUID)
            event = self.chain.head(oid, s.originator_version)
            state = seal_snapshot(event, oid, s.originator_version, s.topic, s.state, self.key)
            sealed.append(StoredEvent(oid, s.originator_version, s.topic, state))
        self.recorder.insert_events(sealed, **kwargs)
        return []

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        found = 0
        for stored in self.recorder.select_events(originator_id, gt=gt, lte=lte, desc=desc):
            fault = self.fault(stored)
            if fault is not None:
                if self.on_rejected is not None:
                    self.on_rejected(originator_id, stored.originator_version, fault)
                continue
            yield self.mapper.to_domain_event(stored)
            found += 1
            if limit is not None and found >= limit:
                return

    def fault(self, stored: StoredEvent) -> str | None:
        """Why ``stored`` (a snapshot as stored) must not be used, or ``None``."""
        oid = stored.originator_id
        assert isinstance(oid, UUID)
        version = stored.originator_version
        rows = self.chain.recorder.select_events(oid, gt=version - 1, lte=version, limit=1)
        event = rows[0].state if rows and rows[0].originator_version == version else None
        return snapshot_fault(oid, version, stored.topic, stored.state, event, self.key)


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
