"""How :func:`~recoverycore.application.verify.verify` reads a whole store: each log's histories
(the chains), its order (the whole-log chain, gaps, followers' positions), its snapshots, and the
audit view as a witness. Everything it cannot read is a finding, never an exception."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Cipher, Compressor, Notification
from eventsourcing.utils import Environment, resolve_topic

from recoverycore.application._store_reader import (
    Damaged,
    LogSource,
    RawRow,
    StoreSource,
    valid_row,
)
from recoverycore.application.verify import (
    Finding,
    FindingKind,
    LogHead,
    Row,
    check_history,
)
from recoverycore.persistence import (
    GENESIS,
    MAGIC,
    RECOVERY_APPLICATION,
    SEAL_SIZE,
    log_digest,
    read_snapshot_seal,
    snapshot_fault,
)
from recoverycore.projections import AuditView, fact_decoder

__all__ = ["StoreCheck"]

Progress = Callable[[int, int], None]

_VIEW_COLUMNS = (
    "version",
    "position",
    "subject_type",
    "event_id",
    "event_type",
    "topic",
    "occurred_utc",
    "recorded_utc",
    "staff_id",
    "role",
    "aps_level",
    "team",
    "procedure_ref",
    "data",
)
_VIEW_TRACKING = ("audit_tracking", "workload_tracking", "compliance_tracking")
_AUDIT_TOPICS = frozenset(AuditView.topics[RECOVERY_APPLICATION])


def _codec(env: Mapping[str, str]) -> tuple[Cipher | None, Compressor | None]:
    """The applications' cipher and compressor (as eventsourcing's factory makes them)."""
    environment = Environment(RECOVERY_APPLICATION, dict(env))
    cipher: Cipher | None = None
    topic = env.get("CIPHER_TOPIC") or (
        "eventsourcing.cipher:AESCipher" if env.get("CIPHER_KEY") else ""
    )
    if topic:
        try:
            cipher = resolve_topic(topic)(environment)
        except Exception:
            cipher = None
    compressor: Compressor | None = None
    if env.get("COMPRESSOR_TOPIC"):
        made = resolve_topic(env["COMPRESSOR_TOPIC"])
        compressor = made() if isinstance(made, type) else made
    return cipher, compressor


@dataclass
class StoreCheck:
    """One verification of a store opened read-only."""

    source: StoreSource
    env: Mapping[str, str]
    key: bytes | None
    against: Mapping[str, LogHead] | None = None
    progress: Progress | None = None
    findings: list[Finding] = field(default_factory=list)
    aggregates: int = 0
    events: int = 0
    snapshots: int = 0
    heads: dict[str, str] = field(default_factory=dict)
    log_heads: dict[str, LogHead] = field(default_factory=dict)
    witness: dict[str, int] | None = None
    """The audit view's last version of each plan and case, if the view exists."""
    view_position: int = 0
    """How far the audit view read the RecoveryCore log."""
    followed: dict[str, int] = field(default_factory=dict)
    """The furthest position any follower (a policy, a view) processed of each log."""

    def __post_init__(self) -> None:
        self._decode = fact_decoder(RECOVERY_APPLICATION, *_codec(self.env))

    # -- findings -------------------------------------------------------------------------------
    def found(self, application: str, kind: FindingKind, detail: str, **more: Any) -> None:
        self.findings.append(Finding(application=application, kind=kind, detail=detail, **more))

    # -- witnesses ------------------------------------------------------------------------------
    def read_witnesses(self) -> None:
        """The audit view's versions and positions, and how far every follower went."""
        try:
            rows = self.source.select_view(
                "audit_events", "SELECT subject_id, MAX(version) FROM {t} GROUP BY subject_id", ()
            )
            rows_of_audit = rows
            if rows is not None:
                self.witness = {str(s): _whole(v) for s, v in rows}
            for table in _VIEW_TRACKING:
                rows = self.source.select_view(
                    table, "SELECT application_name, MAX(notification_id) FROM {t} GROUP BY 1", ()
                )
                for name, position in rows or ():
                    if table == "audit_tracking" and name == RECOVERY_APPLICATION:
                        self.view_position = _whole(position)
                    self._follow(str(name), _whole(position))
            if rows_of_audit is None and self.view_position:
                # The view read the log, so its table was there: dropped to hide a truncation.
                self.found(
                    "views",
                    "missing",
                    "the audit view's table audit_events is gone, but its tracking shows it "
                    f"read the plans' and cases' log up to notification {self.view_position}",
                    location=self.source.views_where,
                )
        except (Damaged, ValueError, TypeError) as damage:
            self.witness = None
            self.view_position = 0
            self.found(
                "views",
                "damaged",
                f"the views cannot be read: {getattr(damage, 'reason', damage)}",
                location=getattr(damage, "where", self.source.views_where),
            )
        for log in self.source.logs:
            try:
                for name, position in log.tracking().items():
                    self._follow(name, position)
            except Exception:  # reported when the log itself is read
                continue

    def _follow(self, name: str, position: int) -> None:
        self.followed[name] = max(self.followed.get(name, 0), position)

    # -- the whole store ------------------------------------------------------------------------
    def run(self) -> None:
        self.read_witnesses()
        total = 0
        if self.progress is not None:
            for log in self.source.logs:
                with suppress(Damaged):
                    total += log.count()
        seen: set[str] = set()
        for log in self.source.logs:
            try:
                explained = self.histories(log, seen, total)
                if log.name == RECOVERY_APPLICATION:
                    explained += self.lost(seen)
                self.log_order(log, explained)
                if log.name == RECOVERY_APPLICATION:
                    self.check_snapshots(log)
            except Damaged as damage:
                self.damaged(log.name, damage)
            except Exception as error:  # verify reports what it cannot read, never raises
                self.found(
                    log.name,
                    "damaged",
                    f"the log cannot be checked: {type(error).__name__}: {error}",
                    location=log.where,
                )
        names = {log.name for log in self.source.logs}
        for name in sorted(set(self.against or {}) - names):
            self.found(
                name,
                "missing",
                "a head given names this log, but the store has no such log (a head of another "
                "store, or a log that is gone)",
            )

    def damaged(self, log: str, damage: Damaged) -> None:
        """Report damage to a log, unless it is a policy's log that is not there and nothing
        shows it ever held an event (the policies never ran on this store)."""
        if damage.absent and log != RECOVERY_APPLICATION and not self.followed.get(log):
            return
        kind: FindingKind = "missing" if damage.missing else "damaged"
        self.found(log, kind, damage.reason, location=damage.where)

    def lost(self, seen: set[str]) -> int:
        """Plans and cases the audit view saw that have no event left; how many events."""
        if self.witness is None:
            return 0
        removed = 0
        for lost in sorted(set(self.witness) - seen):
            self.found(
                RECOVERY_APPLICATION,
                "truncated",
                "the audit view recorded this plan or case up to version "
                f"{self.witness[lost]}, but none of its events is in the store",
                aggregate_id=lost,
                version=1,
                last_version=self.witness[lost],
            )
            removed += self.witness[lost]
        return removed

    def histories(self, log: LogSource, seen: set[str], total: int) -> int:
        """Check every history of ``log``; how many events the findings say were removed."""
        removed = 0
        for oid, raw in groupby(log.by_aggregate(), key=itemgetter(1)):
            rows: list[Row] = []
            positions: list[int | None] = []
            aggregate = self._aggregate(oid)
            for r in raw:
                position, _, version, topic, state = r
                # The common case, checked with as little as possible.
                if (
                    aggregate is not None
                    and type(version) is int
                    and version > 0
                    and type(topic) is str
                    and type(state) is bytes
                ):
                    rows.append((version, topic, state))
                    positions.append(position)
                    continue
                valid = valid_row(RawRow(*r))
                if isinstance(valid, str):
                    self.found(
                        log.name,
                        "damaged",
                        f"a stored row cannot be an event: {valid}",
                        aggregate_id=str(aggregate or ""),
                        version=version if isinstance(version, int) else 0,
                        notification_id=position,
                        location=log.where,
                    )
                    continue
                rows.append(valid[1:])
                positions.append(position)
            if aggregate is None or not rows:
                continue
            self.aggregates += 1
            self.events += len(rows)
            removed += self.history(log, aggregate, rows, positions, seen)
            if self.progress is not None:
                self.progress(self.events, total)
        return removed

    @staticmethod
    def _aggregate(oid: Any) -> UUID | None:
        valid = valid_row(RawRow(None, oid, 1, "t", b""))
        return None if isinstance(valid, str) else valid[0]

    def history(
        self,
        log: LogSource,
        aggregate: UUID,
        rows: Sequence[Row],
        positions: Sequence[int | None],
        seen: set[str] | None = None,
    ) -> int:
        """Check one history; the number of events its findings say were removed."""
        sid = str(aggregate)
        witnessed = None
        if self.witness is not None and log.name == RECOVERY_APPLICATION:
            witnessed = self.witness.get(sid)
            if seen is not None:
                seen.add(sid)
        found = check_history(log.name, aggregate, rows, key=self.key, witness_version=witnessed)
        self.findings += found
        removed = sum(
            (f.last_version or f.version) - f.version + 1
            for f in found
            if f.kind in ("removed", "truncated")
        )
        # Within a history, the log holds the versions in their order.
        last: tuple[int, int] | None = None
        for (version, _, _), position in zip(rows, positions, strict=True):
            if position is None:
                continue
            if last is not None and position < last[1]:
                self.found(
                    log.name,
                    "log-order",
                    f"version {version} is stored at notification {position}, before version "
                    f"{last[0]} (notification {last[1]}): the log was reordered",
                    aggregate_id=sid,
                    version=version,
                    notification_id=position,
                )
            last = (version, position)
        if log.name == RECOVERY_APPLICATION and self.witness is not None:
            faulty = {f.version for f in found}
            self.compare_view(aggregate, rows, positions, faulty)
        return removed

    # -- the audit view as a witness -------------------------------------------------------------
    def compare_view(
        self,
        aggregate: UUID,
        rows: Sequence[Row],
        positions: Sequence[int | None],
        faulty: set[int],
    ) -> None:
        sid = str(aggregate)
        try:
            stored = self.source.select_view(
                "audit_events",
                f"SELECT {', '.join(_VIEW_COLUMNS)} FROM {{t}} WHERE subject_id = ?",
                (sid,),
            )
        except Damaged as damage:
            self.found("views", "damaged", damage.reason, location=damage.where)
            self.witness = None
            return
        view = {
            r[0]: dict(zip(_VIEW_COLUMNS, r, strict=True))
            for r in stored or ()
            if type(r[0]) is int
        }
        for (version, topic, state), position in zip(rows, positions, strict=True):
            if version in faulty or topic not in _AUDIT_TOPICS or position is None:
                continue
            row = view.get(version)
            if row is None:
                if position <= self.view_position:
                    self.found(
                        RECOVERY_APPLICATION,
                        "unwitnessed",
                        f"the audit view read the log up to notification {self.view_position} "
                        f"but has no row for this event (notification {position}): it was "
                        "put into the log afterwards, or the view's row was deleted",
                        aggregate_id=sid,
                        version=version,
                        notification_id=position,
                        location=self.source.views_where,
                    )
                continue
            if row["position"] != position:
                self.found(
                    RECOVERY_APPLICATION,
                    "log-order",
                    f"the audit view read this event at notification {row['position']}; it is "
                    f"stored at notification {position}: the log was reordered",
                    aggregate_id=sid,
                    version=version,
                    notification_id=position,
                )
                continue
            differs = self._row_differs(aggregate, version, topic, state, position, row)
            if differs:
                self.found(
                    RECOVERY_APPLICATION,
                    "view-differs",
                    f"the audit view's row differs from the stored event in {differs}: the "
                    "view was changed (or the event re-sealed after the view read it)",
                    aggregate_id=sid,
                    version=version,
                    notification_id=position,
                    location=self.source.views_where,
                )

    def _row_differs(
        self,
        aggregate: UUID,
        version: int,
        topic: str,
        state: bytes,
        position: int,
        row: Mapping[str, Any],
    ) -> str:
        if row["topic"] != topic:
            return "its topic"
        try:
            fact = self._decode(
                Notification(
                    id=position,
                    originator_id=aggregate,
                    originator_version=version,
                    topic=topic,
                    state=state,
                )
            )
            expected = next(iter(AuditView.writes(fact)))[1]
        except Exception:
            return ""  # not readable without the cipher key: the topic and position agree
        names = [
            name
            for name in _VIEW_COLUMNS
            if name not in ("version", "data") and expected.get(name) != row.get(name)
        ]
        try:
            if orjson.loads(row["data"]) != orjson.loads(expected["data"]):
                names.append("data")
        except (orjson.JSONDecodeError, TypeError):
            names.append("data")
        return ", ".join(names)

    # -- the log's order ------------------------------------------------------------------------
    def log_order(self, log: LogSource, explained: int) -> None:
        """The whole-log chain and its head; ids missing from the log; followers' positions."""
        digest, count, last = GENESIS, 0, 0
        missing: list[tuple[int, int]] = []
        against = (self.against or {}).get(log.name)
        at_head: str | None = None
        sha256 = hashlib.sha256
        for position, oid, version, prefix in log.by_position():
            if not isinstance(position, int):
                continue
            if last and position > last + 1:
                missing.append((last + 1, position - 1))
            if type(oid) is str:
                try:
                    aggregate = bytes.fromhex(oid)
                except ValueError:
                    aggregate = b""
            else:
                aggregate = oid.bytes if isinstance(oid, UUID) else b""
            if type(prefix) is not bytes:
                prefix = bytes(prefix) if isinstance(prefix, memoryview) else b""
            if prefix[:4] == MAGIC and len(prefix) >= SEAL_SIZE:
                event = prefix[36:SEAL_SIZE]
            else:
                event = sha256(prefix).digest()
            digest = log_digest(
                digest, position, aggregate, version if type(version) is int else 0, event
            )
            count += 1
            last = position
            if against is not None and position == against.notification_id:
                at_head = digest.hex() if count == against.events else ""
        self.log_heads[log.name] = LogHead(events=count, notification_id=last, digest=digest.hex())
        gap = sum(b - a + 1 for a, b in missing)
        if log.contiguous() and gap > explained:
            first = missing[0][0]
            spans = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in missing[:5])
            self.found(
                log.name,
                "removed",
                f"notification{'s' if gap > 1 else ''} {spans}{' ...' if len(missing) > 5 else ''}"
                f" {'are' if gap > 1 else 'is'} missing from the log: {gap} event(s) were "
                "deleted",
                notification_id=first,
                location=log.where,
            )
            explained = 0
        else:
            explained -= min(gap, explained)
        followed = self.followed.get(log.name, 0)
        if followed > last and followed - last > explained:
            self.found(
                log.name,
                "truncated",
                f"the log ends at notification {last}, but a follower (a policy or a view) "
                f"processed it up to notification {followed}: the events after {last} were "
                "removed",
                notification_id=last + 1,
                location=log.where,
            )
        if against is not None:
            self.compare_head(log, against, at_head, last)

    def compare_head(self, log: LogSource, head: LogHead, at_head: str | None, last: int) -> None:
        if at_head == head.digest or head.events == 0:
            return  # every log extends the empty one
        if last < head.notification_id and at_head is None:
            detail = (
                f"the log ends at notification {last}, before the head taken earlier "
                f"(notification {head.notification_id}, {head.events} events): events were removed"
            )
        else:
            detail = (
                f"the log up to notification {head.notification_id} is not the one the head "
                f"taken earlier sealed ({head.events} events): events before it were altered, "
                "removed, inserted or reordered since"
            )
        self.found(
            log.name, "rewritten", detail, notification_id=head.notification_id, location=log.where
        )

    # -- snapshots ------------------------------------------------------------------------------
    def check_snapshots(self, log: LogSource, aggregate: UUID | None = None) -> None:
        for raw, event in log.snapshots(aggregate):
            self.snapshots += 1
            valid = valid_row(raw)
            if isinstance(valid, str):
                self.found(
                    log.name,
                    "snapshot",
                    f"a stored snapshot cannot be read: {valid}",
                    aggregate_id=str(self._aggregate(raw.originator_id) or ""),
                    version=raw.version if isinstance(raw.version, int) else 0,
                    location=log.where,
                )
                continue
            oid, version, topic, state = valid
            if read_snapshot_seal(state) is None:
                # Written before snapshots were sealed (or stripped of its seal): the
                # applications never use it, so it cannot change what they decide.
                continue
            if isinstance(event, memoryview):
                event = event.tobytes()
            event = event if isinstance(event, bytes) else None
            fault = snapshot_fault(oid, version, topic, state, event, self.key)
            if fault is not None:
                self.found(
                    log.name,
                    "snapshot",
                    f"the snapshot at version {version} is not used: {fault}",
                    aggregate_id=str(oid),
                    version=version,
                    location=log.where,
                )


def _whole(value: object) -> int:
    """A view's version or position, which must be a whole number."""
    if type(value) is not int:
        raise ValueError(f"a version or position in the views is {value!r}, not a number")
    return value


def rows_of(raw: Iterator[RawRow]) -> tuple[list[Row], list[int | None], list[str]]:
    """Valid rows, their positions, and why each other row is not an event."""
    rows: list[Row] = []
    positions: list[int | None] = []
    bad: list[str] = []
    for r in raw:
        valid = valid_row(r)
        if isinstance(valid, str):
            bad.append(valid)
            continue
        rows.append(valid[1:])
        positions.append(r.notification_id)
    return rows, positions, bad
