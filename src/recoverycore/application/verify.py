"""Checking that a store's histories are the ones that were recorded (``recoverycore verify``).

Every event is sealed at record time in its aggregate's hash chain (see
:mod:`recoverycore.persistence._chain`). :func:`verify` reads the stored rows of one aggregate,
or of the whole store aggregate by aggregate, recomputes each seal and reports, per event, what
is wrong:

- ``altered``: the event's stored bytes (its data, topic or seal) differ from those it was
  sealed with;
- ``removed``: versions are missing from the aggregate's sequence, or (``truncated``) events at
  its end, as a witness that saw them shows (the audit view);
- ``inserted``: an event that was never recorded at this place: neither its content nor its link
  to the event before it match (a row copied from another aggregate, or forged);
- ``reordered``: an event recorded at another version of the same aggregate is stored here;
- ``unchained``: events written without a seal (``RECOVERYCORE_HASH_CHAIN=n``, or before the
  chain existed);
- ``snapshot``: a snapshot whose seal does not check or that is not bound to the stored chain
  (the applications ignore it and replay the events);
- ``view-differs``, ``unwitnessed``, ``log-order``: the audit view (a witness kept beside the
  store) saw an event differently, saw the log up to an event it has no row for, or saw an
  event at another place in the log;
- ``removed`` and ``truncated`` of a whole log (no aggregate): notification ids missing in the
  middle of an SQLite log, or a follower (a policy, a view) that processed the log further than
  it now goes;
- ``rewritten``: the log does not extend a head taken earlier (``against``);
- ``damaged`` and ``missing``: a file, table or row that cannot be read, or a log that is gone.

Beside the per-aggregate chains, the whole notification log of each application is chained in
its order (:func:`~recoverycore.persistence.log_digest`); its last link is the log's *head*
(:class:`LogHead`). Keep the heads somewhere the store's writers cannot change, and check later
that the log still extends them (``verify(env, against=heads)``).

``verify`` only reads: SQLite files are opened read-only (``immutable`` when no write-ahead log
is beside them; a file with one, i.e. open in a running process, is read through it, which uses
its ``-shm``), PostgreSQL in read-only transactions; it creates no file and no table, and
reports what it cannot read as findings. A store that does not exist at all raises
:class:`~recoverycore.errors.StoreNotFound`. The audit view's rows are compared with the events
they were made from; with ``CIPHER_KEY`` set and not given, only their topics and positions.

Memory is bounded by the longest single history, not by the size of the store: rows are read
in (aggregate, version) order through a streaming cursor. Verification needs no cipher key and
no customer key: the chain covers the stored bytes, so a store whose customers were forgotten
still verifies. With ``RECOVERYCORE_CHAIN_KEY`` set the same key must be given.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Mapping, Sequence
from itertools import groupby
from typing import Any, Literal
from uuid import UUID

from eventsourcing.application import Application
from pydantic import BaseModel, ConfigDict

from recoverycore.errors import StoreNotFound
from recoverycore.persistence import (
    ALL_APPLICATIONS,
    CHAIN_KEY,
    GENESIS,
    MAGIC,
    chain_key_from,
    digest_of,
    read_seal,
)

__all__ = [
    "APPLICATIONS",
    "HEAD_FORMAT",
    "Finding",
    "FindingKind",
    "LogHead",
    "Row",
    "StoreNotFound",
    "VerifyResult",
    "check_history",
    "head_document",
    "heads_from",
    "verify",
]

APPLICATIONS = ALL_APPLICATIONS
"""The logs of a store: plans and cases, follow-up ledgers, customer records."""

FindingKind = Literal[
    "altered",
    "removed",
    "truncated",
    "inserted",
    "reordered",
    "unchained",
    "snapshot",
    "view-differs",
    "unwitnessed",
    "log-order",
    "rewritten",
    "damaged",
    "missing",
]

Row = tuple[int, str, bytes]
"""One stored event of an aggregate: (version, topic, stored state)."""

Progress = Callable[[int, int], None]
"""Called as rows are checked with (rows checked so far, rows in all)."""


class Finding(BaseModel):
    """One thing wrong with a stored history, located to the event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application: str
    """Whose log: ``RecoveryCore`` (plans and cases), ``FollowUpPolicy``, ``SafeguardPolicy``."""
    aggregate_id: str = ""
    """The aggregate, or ``""`` for a finding about a whole log, file or table."""
    version: int = 0
    """The version (position in the aggregate's sequence) the finding is about; for ``removed``
    and ``truncated`` the first missing version; 0 when not about one aggregate's event."""
    kind: FindingKind
    detail: str
    recorded_as: int | None = None
    """For ``reordered``: the version the stored event was recorded at."""
    last_version: int | None = None
    """For ``removed`` and ``truncated``: the last missing version."""
    notification_id: int | None = None
    """Where in the log, when known (for a whole log's ``removed``: the first missing id)."""
    location: str = ""
    """The file (SQLite) or table (PostgreSQL) the finding is in, for ``damaged`` and
    ``missing`` (and the views file for ``view-differs``)."""


class LogHead(BaseModel):
    """The head of one application's whole-log chain: how many events it held, the
    notification id of the last, and the chain's digest after it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    events: int
    notification_id: int
    digest: str


class VerifyResult(BaseModel):
    """What :func:`verify` found: ``ok`` when every history is intact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    scope: str
    """``store``, or the aggregate id checked."""
    chain: Literal["sha256", "hmac-sha256"]
    aggregates: int
    events: int
    findings: tuple[Finding, ...]
    heads: dict[str, str]
    """For one aggregate: its last version and the hex digest sealing it (``{"version": ...,
    "digest": ...}``): write it down, and a later verify shows whether anything was appended,
    removed or re-sealed since."""
    witness: str | None
    """What else the store was checked against for removed events at the end of a history
    (the audit view), or ``None``."""
    log_heads: dict[str, LogHead] = {}
    """For the whole store: the head of each log's whole-log chain (keep them elsewhere, and
    check later with ``verify(env, against=...)``)."""
    snapshots: int = 0
    """How many snapshots were checked."""
    against: bool = False
    """Whether the logs were checked against heads taken earlier."""


HEAD_FORMAT = "recoverycore-head/1"


def head_document(result: VerifyResult) -> dict[str, Any]:
    """The heads of a verified store as a JSON document (what ``verify --head`` prints)."""
    return {
        "format": HEAD_FORMAT,
        "logs": {name: head.model_dump() for name, head in result.log_heads.items()},
    }


def heads_from(document: Mapping[str, Any]) -> dict[str, LogHead]:
    """The heads in a document :func:`head_document` made. Raises ``ValueError`` if it is not
    one."""
    if document.get("format") != HEAD_FORMAT or not isinstance(document.get("logs"), dict):
        raise ValueError(f"not a head document of this tool (format {HEAD_FORMAT!r} expected)")
    return {str(name): LogHead.model_validate(head) for name, head in document["logs"].items()}


# -- one history ----------------------------------------------------------------------------------
def check_history(
    application: str,
    aggregate_id: UUID,
    rows: Sequence[Row],
    *,
    key: bytes | None = None,
    witness_version: int | None = None,
) -> list[Finding]:
    """Every finding on one aggregate's stored rows (in version order)."""
    if _intact(aggregate_id.bytes, rows, key) and (
        witness_version is None or (rows and witness_version <= rows[-1][0])
    ):
        return []
    agg = str(aggregate_id)
    findings: list[Finding] = []

    def found(version: int, kind: FindingKind, detail: str, **more: Any) -> None:
        findings.append(
            Finding(
                application=application,
                aggregate_id=agg,
                version=version,
                kind=kind,
                detail=detail,
                **more,
            )
        )

    seals = [read_seal(state) for _, _, state in rows]
    if rows and all(s is None for s in seals):
        found(
            rows[0][0],
            "unchained",
            f"none of its {len(rows)} stored events carries a seal: it was recorded without "
            "the hash chain (RECOVERYCORE_HASH_CHAIN=n, or before the chain existed), so it "
            "cannot be verified",
        )
        return findings
    links = {s.digest: s.prev for s in seals if s is not None}
    prev_version = 0
    prev_digest: bytes | None = GENESIS
    prev_bad = False
    for (version, topic, state), seal in zip(rows, seals, strict=True):
        if version > prev_version + 1:
            missing = (prev_version + 1, version - 1)
            found(
                missing[0],
                "removed",
                f"version{'s' if missing[1] > missing[0] else ''} "
                f"{_span(*missing)} {'are' if missing[1] > missing[0] else 'is'} missing: "
                f"version {version} follows version {prev_version}",
                last_version=missing[1],
            )
            prev_bad = True
        if seal is None:
            found(
                version,
                "altered",
                "its seal is missing or damaged (the stored bytes do not start with the "
                "chain's seal, as every other event of this history does)",
            )
            prev_version, prev_digest, prev_bad = version, None, True
            continue
        inner = bytes(state[len(MAGIC) + 64 :])
        linked = prev_digest is not None and seal.prev == prev_digest
        if digest_of(seal.prev, aggregate_id, version, topic, inner, key) != seal.digest:
            recorded = _recorded_version(seal.prev, links)
            if (
                recorded is not None
                and recorded != version
                and digest_of(seal.prev, aggregate_id, recorded, topic, inner, key) == seal.digest
            ):
                found(
                    version,
                    "reordered",
                    f"the event stored at version {version} was recorded as version {recorded}",
                    recorded_as=recorded,
                )
            elif linked or (
                prev_digest is not None
                and digest_of(prev_digest, aggregate_id, version, topic, inner, key) == seal.digest
            ):
                found(
                    version,
                    "altered",
                    "its stored bytes (data, topic or seal) differ from those it was sealed "
                    "with when it was recorded",
                )
            else:
                found(
                    version,
                    "inserted",
                    "it was not recorded here: neither its content nor its link to the event "
                    "before it match this history (a row copied from elsewhere, or forged)",
                )
            prev_bad = True
        elif not linked and not prev_bad:
            found(
                max(prev_version, 1) if prev_version else version,
                "inserted" if prev_version else "altered",
                (
                    f"version {version} was sealed after a different event than the one stored "
                    f"at version {prev_version}: the event at version {prev_version} was "
                    "replaced"
                )
                if prev_version
                else "the first event's seal does not start the chain",
            )
            prev_bad = True
        else:
            prev_bad = False
        prev_version, prev_digest = version, seal.digest
    if witness_version is not None and witness_version > prev_version:
        found(
            prev_version + 1,
            "truncated",
            f"the history ends at version {prev_version}, but the audit view recorded it up to "
            f"version {witness_version}: the events after {prev_version} were removed",
            last_version=witness_version,
        )
    return findings


_TOPIC_HEADERS: dict[str, bytes] = {}
_VERSIONS = [v.to_bytes(8, "big", signed=True) for v in range(4096)]


def _intact(oid: bytes, rows: Sequence[Row], key: bytes | None) -> bool:
    """Whether a history is intact: the common case, checked with as little work per event as
    possible (the same digest as :func:`~recoverycore.persistence._chain.digest_of`, fed from
    the stored bytes without copying them); any doubt goes to the full classification."""
    prev = GENESIS
    expected = 1
    headers = _TOPIC_HEADERS
    versions = _VERSIONS
    sha256 = hashlib.sha256
    for version, topic, state in rows:
        if version != expected:
            return False
        expected += 1
        view = memoryview(state)
        if view[:4] != MAGIC or view[4:36] != prev:
            return False
        header = headers.get(topic)
        if header is None:
            encoded = topic.encode()
            header = headers[topic] = len(encoded).to_bytes(4, "big") + encoded
        h = hmac.new(key, view[:36], hashlib.sha256) if key else sha256(view[:36])
        h.update(oid)
        h.update(versions[version] if version < 4096 else version.to_bytes(8, "big", signed=True))
        h.update(header)
        h.update(view[68:])
        prev = h.digest()
        if view[36:68] != prev:
            return False
    return True


def _recorded_version(prev: bytes, links: Mapping[bytes, bytes]) -> int | None:
    """The version an event whose seal links to ``prev`` was recorded at: one more than the
    length of the chain of links from ``prev`` back to the start (``None`` if it breaks)."""
    depth = 1
    seen: set[bytes] = set()
    while prev != GENESIS:
        if prev in seen or prev not in links:
            return None
        seen.add(prev)
        prev = links[prev]
        depth += 1
    return depth


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


# -- the API --------------------------------------------------------------------------------------
def verify(
    env: Mapping[str, str] | None = None,
    *,
    apps: Sequence[Application[Any]] | None = None,
    aggregate_id: UUID | str | None = None,
    progress: Progress | None = None,
    key: bytes | None = None,
    against: Mapping[str, LogHead] | None = None,
) -> VerifyResult:
    """Check the hash chains of one aggregate (``aggregate_id``) or of the whole store.

    Give the store's ``env`` (as for :class:`~recoverycore.RecoveryApp`), or running
    applications (``apps``, e.g. in memory). ``key`` is the chain's HMAC key (by default
    ``RECOVERYCORE_CHAIN_KEY`` from ``env``, else from the process environment).
    ``progress(done, total)`` is called as rows are checked. ``against``: heads taken earlier
    (:func:`heads_from`); each log must extend its head.

    Never raises for what it finds (read :attr:`VerifyResult.findings`), and writes nothing;
    raises :class:`~recoverycore.errors.StoreNotFound` when the store does not exist at all.
    """
    if (env is None) == (apps is None):
        raise ValueError("Give either the store's env or the running applications.")
    if key is None:
        # As the applications do: the env given, else the process environment.
        key = chain_key_from(env) if env is not None and env.get(CHAIN_KEY) else None
        key = key or chain_key_from(os.environ)
    if apps is not None:
        return _verify_apps(apps, aggregate_id, key)
    assert env is not None
    from recoverycore.application._store_reader import Damaged, open_store
    from recoverycore.application._verify_store import StoreCheck, rows_of

    source = open_store(env)
    check = StoreCheck(source, env, key, against=against, progress=progress)
    try:
        if aggregate_id is None:
            check.run()
            scope = "store"
        else:
            oid = UUID(str(aggregate_id))
            scope = str(oid)
            check.read_witnesses()
            for log in source.logs:
                try:
                    rows, positions, bad = rows_of(iter(log.history(oid)))
                    for why in bad:
                        check.found(
                            log.name,
                            "damaged",
                            f"a stored row cannot be an event: {why}",
                            aggregate_id=scope,
                            location=log.where,
                        )
                    seen = None
                    if check.witness is not None and log.name == APPLICATIONS[0]:
                        seen = check.witness.get(scope)
                    if not rows and seen is None:
                        continue
                    check.aggregates += 1
                    check.events += len(rows)
                    check.history(log, oid, rows, positions)
                    if log.name == APPLICATIONS[0]:
                        check.check_snapshots(log, oid)
                    if rows:
                        last = read_seal(rows[-1][2])
                        check.heads = {
                            "version": str(rows[-1][0]),
                            "digest": last.digest.hex() if last else "",
                        }
                except Damaged as damage:
                    check.damaged(log.name, damage)
                except Exception as error:  # verify reports what it cannot read, never raises
                    check.found(
                        log.name,
                        "damaged",
                        f"the history cannot be checked: {type(error).__name__}: {error}",
                        aggregate_id=scope,
                        location=log.where,
                    )
    finally:
        source.close()
    return VerifyResult(
        ok=not check.findings,
        scope=scope,
        chain="hmac-sha256" if key else "sha256",
        aggregates=check.aggregates,
        events=check.events,
        findings=tuple(check.findings),
        heads=check.heads,
        witness="audit view" if check.witness is not None else None,
        log_heads=check.log_heads,
        snapshots=check.snapshots,
        against=against is not None,
    )


def _verify_apps(
    apps: Sequence[Application[Any]], aggregate_id: UUID | str | None, key: bytes | None
) -> VerifyResult:
    """The chains of running applications' logs (e.g. in memory)."""
    findings: list[Finding] = []
    aggregates = events = 0
    heads: dict[str, str] = {}
    for app in apps:
        if aggregate_id is not None:
            oid = UUID(str(aggregate_id))
            histories = [(oid, list(app.recorder.select_events(oid)))]
        else:
            rows: list[Any] = []
            start = 1
            while batch := app.recorder.select_notifications(start, 1000):
                rows.extend(batch)
                start = batch[-1].id + 1
            rows.sort(key=lambda n: (str(n.originator_id), n.originator_version))
            histories = [
                (UUID(str(o)), list(group))
                for o, group in groupby(rows, key=lambda n: n.originator_id)
            ]
        for oid, stored in histories:
            if not stored:
                continue
            history = [(s.originator_version, s.topic, s.state) for s in stored]
            aggregates += 1
            events += len(history)
            findings += check_history(app.name, oid, history, key=key)
            if aggregate_id is not None:
                last = read_seal(history[-1][2])
                heads = {
                    "version": str(history[-1][0]),
                    "digest": last.digest.hex() if last else "",
                }
    return VerifyResult(
        ok=not findings,
        scope="store" if aggregate_id is None else str(UUID(str(aggregate_id))),
        chain="hmac-sha256" if key else "sha256",
        aggregates=aggregates,
        events=events,
        findings=tuple(findings),
        heads=heads,
        witness=None,
    )
