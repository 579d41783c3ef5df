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
  chain existed).

Memory is bounded by the longest single history, not by the size of the store: rows are read
in (aggregate, version) order through a streaming cursor. Verification needs no cipher key and
no customer key: the chain covers the stored bytes, so a store whose customers were forgotten
still verifies. With ``RECOVERYCORE_CHAIN_KEY`` set the same key must be given.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from pydantic import BaseModel, ConfigDict

from recoverycore.persistence import (
    ALL_APPLICATIONS,
    CHAIN_KEY,
    GENESIS,
    MAGIC,
    StoreKind,
    chain_key_from,
    digest_of,
    postgres_connect_args,
    read_seal,
    store_kind,
)

__all__ = [
    "APPLICATIONS",
    "Finding",
    "FindingKind",
    "Row",
    "VerifyResult",
    "check_history",
    "verify",
]

APPLICATIONS = ALL_APPLICATIONS
"""The logs of a store: plans and cases, follow-up ledgers, customer records."""

FindingKind = Literal["altered", "removed", "truncated", "inserted", "reordered", "unchained"]

Row = tuple[int, str, bytes]
"""One stored event of an aggregate: (version, topic, stored state)."""

Progress = Callable[[int, int], None]
"""Called as rows are checked with (rows checked so far, rows in all)."""


class Finding(BaseModel):
    """One thing wrong with a stored history, located to the event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application: str
    """Whose log: ``RecoveryCore`` (plans and cases), ``FollowUpPolicy``, ``SafeguardPolicy``."""
    aggregate_id: str
    version: int
    """The version (position in the aggregate's sequence) the finding is about; for ``removed``
    and ``truncated`` the first missing version."""
    kind: FindingKind
    detail: str
    recorded_as: int | None = None
    """For ``reordered``: the version the stored event was recorded at."""
    last_version: int | None = None
    """For ``removed`` and ``truncated``: the last missing version."""


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


# -- reading the store ----------------------------------------------------------------------------
class _Log:
    """One application's stored events, read in (aggregate, version) order."""

    def __init__(self, name: str, recorder: Any, close: Callable[[], None] | None = None) -> None:
        self.name = name
        self.recorder = recorder
        self._close = close

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def _table(self) -> str:
        table: str = self.recorder.events_table_name
        schema = getattr(getattr(self.recorder, "datastore", None), "schema", "") or ""
        if _kind(self.recorder) == "postgres" and schema and "." not in table:
            return f"{schema}.{table}"
        return table

    def count(self) -> int:
        kind = _kind(self.recorder)
        table = self._table()
        if kind == "sqlite":
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute(f"SELECT COUNT(*) FROM {table}")
                return int(c.fetchone()[0])
        if kind == "postgres":
            with self.recorder.datastore.get_connection() as conn:
                row = conn.execute(f"SELECT COUNT(*) FROM {table}".encode()).fetchone()
                return int(row["count"] if isinstance(row, dict) else row[0])
        return len(self._popo_rows())

    def histories(self) -> Iterator[tuple[UUID, list[Row]]]:
        """Each aggregate's rows, one aggregate at a time."""
        for oid, rows in groupby(self._rows(), key=itemgetter(0)):
            yield (
                oid if isinstance(oid, UUID) else UUID(str(oid)),
                [(r[1], r[2], r[3]) for r in rows],
            )

    def history(self, aggregate_id: UUID) -> list[Row]:
        return [
            (s.originator_version, s.topic, s.state)
            for s in self.recorder.select_events(aggregate_id)
        ]

    def _rows(self) -> Iterator[tuple[Any, int, str, bytes]]:
        kind = _kind(self.recorder)
        table = self._table()
        sql = (
            f"SELECT originator_id, originator_version, topic, state FROM {table}"
            " ORDER BY originator_id, originator_version"
        )
        if kind == "sqlite":
            with self.recorder.datastore.transaction(commit=False) as c:
                c.execute(sql)
                while batch := c.sqlite_cursor.fetchmany(2000):
                    yield from batch
        elif kind == "postgres":
            # Single-row mode streams the result without a server-side cursor's round trips.
            with self.recorder.datastore.get_connection() as conn:
                cur = conn.cursor(row_factory=_tuples)
                yield from cur.stream(sql.encode())
        else:
            yield from self._popo_rows()

    def _popo_rows(self) -> list[tuple[Any, int, str, bytes]]:
        rows: list[tuple[Any, int, str, bytes]] = []
        start = 1
        while batch := self.recorder.select_notifications(start, 1000):
            rows.extend((n.originator_id, n.originator_version, n.topic, n.state) for n in batch)
            start = batch[-1].id + 1
        rows.sort(key=lambda r: (str(r[0]), r[1]))
        return rows


def _tuples(cursor: Any) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    return tuple


def _kind(recorder: Any) -> str:
    module = type(recorder).__module__
    if "sqlite" in module:
        return "sqlite"
    if "postgres" in module:
        return "postgres"
    return "popo"


def _open_logs(env: Mapping[str, str], names: Iterable[str]) -> list[_Log]:
    logs: list[_Log] = []
    for name in names:
        factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
            Environment(name, dict(env))
        )
        logs.append(_Log(name, factory.application_recorder(), factory.close))
    return logs


def _witness(env: Mapping[str, str] | None, apps: Sequence[Any] | None) -> dict[str, int] | None:
    """The last version of each plan and case as the audit view recorded it, if it exists."""
    if apps is not None or env is None:
        return None
    kind = store_kind(env)
    sql = "SELECT subject_id, MAX(version) FROM audit_events GROUP BY subject_id"
    if kind is StoreKind.SQLITE:
        from recoverycore.projections import views_database

        path = env.get("AUDIT_SQLITE_DBNAME") or views_database(env.get("SQLITE_DBNAME", ""))
        if not path or path == ":memory:" or not Path(path).exists():
            return None
        with suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                return {str(s): int(v) for s, v in conn.execute(sql)}
            finally:
                conn.close()
        return None
    if kind is StoreKind.POSTGRES:
        import psycopg

        schema = env.get("POSTGRES_SCHEMA") or ""
        table = f"{schema}.audit_events" if schema else "audit_events"
        with (
            suppress(psycopg.Error),
            psycopg.connect(**postgres_connect_args(env)) as pg,
        ):
            rows = pg.execute(sql.replace("audit_events", table).encode()).fetchall()
            return {str(s): int(v) for s, v in rows}
    return None


# -- the API --------------------------------------------------------------------------------------
def verify(
    env: Mapping[str, str] | None = None,
    *,
    apps: Sequence[Application[Any]] | None = None,
    aggregate_id: UUID | str | None = None,
    progress: Progress | None = None,
    key: bytes | None = None,
) -> VerifyResult:
    """Check the hash chains of one aggregate (``aggregate_id``) or of the whole store.

    Give the store's ``env`` (as for :class:`~recoverycore.RecoveryApp`), or running
    applications (``apps``, e.g. in memory). ``key`` is the chain's HMAC key (by default
    ``RECOVERYCORE_CHAIN_KEY`` from ``env``). ``progress(done, total)`` is called as rows are
    checked. Never raises for what it finds: read :attr:`VerifyResult.findings`.
    """
    if (env is None) == (apps is None):
        raise ValueError("Give either the store's env or the running applications.")
    if key is None:
        # As the applications do: the env given, else the process environment.
        key = chain_key_from(env) if env is not None and env.get(CHAIN_KEY) else None
        key = key or chain_key_from(os.environ)
    if apps is not None:
        logs = [_Log(app.name, app.recorder) for app in apps]
    else:
        assert env is not None
        logs = _open_logs(env, APPLICATIONS)
    witness = _witness(env, apps)
    findings: list[Finding] = []
    aggregates = events = 0
    heads: dict[str, str] = {}
    try:
        if aggregate_id is not None:
            oid = UUID(str(aggregate_id))
            for log in logs:
                rows = log.history(oid)
                seen = witness.get(str(oid)) if witness and log.name == APPLICATIONS[0] else None
                if not rows and seen is None:
                    continue
                aggregates += 1
                events += len(rows)
                findings += check_history(log.name, oid, rows, key=key, witness_version=seen)
                if rows:
                    last = read_seal(rows[-1][2])
                    heads = {
                        "version": str(rows[-1][0]),
                        "digest": last.digest.hex() if last else "",
                    }
            scope = str(oid)
        else:
            total = sum(log.count() for log in logs) if progress else 0
            seen_ids: set[str] = set()
            for log in logs:
                for oid, rows in log.histories():
                    aggregates += 1
                    events += len(rows)
                    version = None
                    if witness and log.name == APPLICATIONS[0]:
                        seen_ids.add(str(oid))
                        version = witness.get(str(oid))
                    findings += check_history(log.name, oid, rows, key=key, witness_version=version)
                    if progress is not None:
                        progress(events, total)
            if witness:
                for lost in sorted(set(witness) - seen_ids):
                    findings.append(
                        Finding(
                            application=APPLICATIONS[0],
                            aggregate_id=lost,
                            version=1,
                            kind="truncated",
                            detail="the audit view recorded this plan or case up to version "
                            f"{witness[lost]}, but none of its events is in the store",
                            last_version=witness[lost],
                        )
                    )
            scope = "store"
    finally:
        if apps is None:
            for log in logs:
                log.close()
    return VerifyResult(
        ok=not findings,
        scope=scope,
        chain="hmac-sha256" if key else "sha256",
        aggregates=aggregates,
        events=events,
        findings=tuple(findings),
        heads=heads,
        witness="audit view" if witness is not None else None,
    )
