"""The hash chain's seal and ``recoverycore.application.verify.check_history``, storage-free.

Histories here are made up (topics and bytes drawn by Hypothesis) and sealed with
:func:`~recoverycore.persistence._chain.seal_state`, as the event store seals them; the changes
made to them are those of ``tests/properties/test_tamper_evidence.py``, on many more shapes of
history than a recorded store holds, plus the findings only a made-up history can reach (events
recorded without the chain, a whole range removed).
"""

from __future__ import annotations

from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from recoverycore.application.verify import Finding, Row, check_history
from recoverycore.persistence import (
    GENESIS,
    MAGIC,
    SEAL_SIZE,
    SNAPSHOT_MAGIC,
    digest_of,
    log_digest,
    read_seal,
    read_snapshot_seal,
    seal_snapshot,
    seal_state,
    snapshot_fault,
    unseal,
)

LOG = "RecoveryCore"

_topics = st.text(max_size=40)
_inners = st.binary(max_size=64)
_keys = st.one_of(st.none(), st.binary(min_size=1, max_size=32))
_events = st.lists(st.tuples(_topics, _inners), min_size=1, max_size=12)


def _sealed(
    aggregate_id: UUID, events: list[tuple[str, bytes]], key: bytes | None = None
) -> list[Row]:
    rows: list[Row] = []
    prev = GENESIS
    for version, (topic, inner) in enumerate(events, start=1):
        state, prev = seal_state(prev, aggregate_id, version, topic, inner, key)
        rows.append((version, topic, state))
    return rows


def _located(findings: list[Finding]) -> set[tuple[int, str, int | None, int | None]]:
    return {(f.version, f.kind, f.recorded_as, f.last_version) for f in findings}


# -- the seal -----------------------------------------------------------------------------------
@given(
    prev=st.binary(min_size=32, max_size=32),
    oid=st.uuids(),
    version=st.integers(1, 2**40),
    topic=_topics,
    inner=_inners,
    key=_keys,
)
def test_a_sealed_state_reads_back_its_link_its_digest_and_the_mappers_bytes(
    prev: bytes, oid: UUID, version: int, topic: str, inner: bytes, key: bytes | None
) -> None:
    state, digest = seal_state(prev, oid, version, topic, inner, key)
    assert state[:4] == MAGIC
    assert len(state) == SEAL_SIZE + len(inner)
    assert read_seal(state) == (prev, digest)
    assert unseal(state) == inner
    assert digest == digest_of(prev, oid, version, topic, inner, key)


@given(
    state=st.binary(max_size=80).filter(
        lambda b: not b.startswith(MAGIC) and not b.startswith(SNAPSHOT_MAGIC)
    )
)
def test_a_state_stored_without_the_chain_has_no_seal_and_unseals_to_itself(state: bytes) -> None:
    assert read_seal(state) is None
    assert unseal(state) == state


def test_a_state_shorter_than_a_seal_has_none_even_if_it_starts_like_one() -> None:
    assert read_seal(MAGIC + bytes(SEAL_SIZE - len(MAGIC) - 1)) is None


@given(
    oid=st.uuids(),
    version=st.integers(1, 2**40),
    topic=_topics,
    inner=_inners,
    key=_keys,
    data=st.data(),
)
def test_the_digest_changes_with_each_thing_it_covers(
    oid: UUID, version: int, topic: str, inner: bytes, key: bytes | None, data: st.DataObject
) -> None:
    """The link, the aggregate, the version, the topic, the bytes and the key."""
    base = digest_of(GENESIS, oid, version, topic, inner, key)
    other_prev = data.draw(st.binary(min_size=32, max_size=32).filter(lambda p: p != GENESIS))
    assert digest_of(other_prev, oid, version, topic, inner, key) != base
    other_oid = data.draw(st.uuids().filter(lambda u: u != oid))
    assert digest_of(GENESIS, other_oid, version, topic, inner, key) != base
    assert digest_of(GENESIS, oid, version + 1, topic, inner, key) != base
    other_topic = data.draw(_topics.filter(lambda t: t != topic))
    assert digest_of(GENESIS, oid, version, other_topic, inner, key) != base
    other_inner = data.draw(_inners.filter(lambda i: i != inner))
    assert digest_of(GENESIS, oid, version, topic, other_inner, key) != base
    other_key = data.draw(_keys.filter(lambda k: k != key))
    assert digest_of(GENESIS, oid, version, topic, inner, other_key) != base


@given(oid=st.uuids(), topic=st.text(min_size=1, max_size=20), inner=_inners)
def test_moving_bytes_between_the_topic_and_the_data_changes_the_digest(
    oid: UUID, topic: str, inner: bytes
) -> None:
    """The topic's length is sealed too, so where the topic ends cannot be moved."""
    shorter, moved = topic[:-1], topic[-1].encode()
    assert digest_of(GENESIS, oid, 1, topic, inner) != digest_of(
        GENESIS, oid, 1, shorter, moved + inner
    )


# -- one history --------------------------------------------------------------------------------
@given(oid=st.uuids(), events=_events, key=_keys)
def test_an_intact_history_has_no_findings_and_none_under_another_key(
    oid: UUID, events: list[tuple[str, bytes]], key: bytes | None
) -> None:
    rows = _sealed(oid, events, key)
    assert check_history(LOG, oid, rows, key=key, witness_version=len(rows)) == []
    other = b"another key" if key is None else None
    assert _located(check_history(LOG, oid, rows, key=other)) == {
        (version, "altered", None, None) for version, _, _ in rows
    }


@given(oid=st.uuids(), events=_events, data=st.data())
def test_a_range_of_removed_events_is_one_finding_from_its_first_to_its_last_version(
    oid: UUID, events: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    rows = _sealed(oid, [*events, ("last", b"")])
    first = data.draw(st.integers(1, len(rows) - 1), label="first removed")
    last = data.draw(st.integers(first, len(rows) - 1), label="last removed")
    kept = [row for row in rows if not first <= row[0] <= last]

    assert _located(check_history(LOG, oid, kept)) == {(first, "removed", None, last)}


@given(oid=st.uuids(), events=_events, data=st.data())
def test_events_removed_at_the_end_are_truncated_as_the_witness_shows(
    oid: UUID, events: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    rows = _sealed(oid, events)
    kept = data.draw(st.integers(0, len(rows) - 1), label="kept")

    found = check_history(LOG, oid, rows[:kept], witness_version=len(rows))
    assert _located(found) == {(kept + 1, "truncated", None, len(rows))}
    assert check_history(LOG, oid, rows[:kept]) == []  # without a witness, nothing shows it


@given(oid=st.uuids(), events=_events.filter(lambda e: len(e) >= 2), data=st.data())
def test_two_swapped_events_are_reordered_at_both_versions(
    oid: UUID, events: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    rows = _sealed(oid, events)
    versions = st.lists(st.integers(1, len(rows)), min_size=2, max_size=2, unique=True)
    j, k = sorted(data.draw(versions, label="swapped"))
    swapped = list(rows)
    swapped[j - 1] = (j, *rows[k - 1][1:])
    swapped[k - 1] = (k, *rows[j - 1][1:])

    assert _located(check_history(LOG, oid, swapped)) == {
        (j, "reordered", k, None),
        (k, "reordered", j, None),
    }


@given(oid=st.uuids(), events=_events, data=st.data())
def test_an_earlier_event_stored_again_at_the_end_is_reordered(
    oid: UUID, events: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    rows = _sealed(oid, events)
    recorded_as, topic, state = data.draw(st.sampled_from(rows), label="repeated")
    again = [*rows, (len(rows) + 1, topic, state)]

    assert _located(check_history(LOG, oid, again)) == {
        (len(rows) + 1, "reordered", recorded_as, None)
    }


@given(oid=st.uuids(), other=st.uuids(), events=_events, data=st.data())
def test_an_event_of_another_aggregate_is_inserted_where_it_is_stored(
    oid: UUID, other: UUID, events: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    rows = _sealed(oid, events)
    foreign = _sealed(other, data.draw(_events, label="other history"))
    _, topic, state = data.draw(st.sampled_from(foreign[1:] or foreign), label="copied")
    copied_first = state == foreign[0][2]
    # A first event copied over a first event links to the start as the original did: altered.
    at = data.draw(st.integers(2 if copied_first else 1, len(rows) + 1), label="at")
    tampered = list(rows)
    if at > len(rows):
        tampered.append((at, topic, state))
    else:
        tampered[at - 1] = (at, topic, state)

    assert _located(check_history(LOG, oid, tampered)) == {(at, "inserted", None, None)}


@given(oid=st.uuids(), events=_events)
def test_a_history_stored_without_the_chain_is_unchained_from_its_first_event(
    oid: UUID, events: list[tuple[str, bytes]]
) -> None:
    rows: list[Row] = [(v, topic, b"{" + inner) for v, (topic, inner) in enumerate(events, 1)]

    assert _located(check_history(LOG, oid, rows)) == {(1, "unchained", None, None)}


@given(oid=st.uuids(), events=_events.filter(lambda e: len(e) >= 2), data=st.data())
def test_one_event_stored_without_its_seal_in_a_sealed_history_is_altered(
    oid: UUID, events: list[tuple[str, bytes]], data: st.DataObject
) -> None:
    rows = _sealed(oid, events)
    version = data.draw(st.integers(1, len(rows)), label="version")
    tampered = list(rows)
    tampered[version - 1] = (version, rows[version - 1][1], unseal(rows[version - 1][2]))

    assert _located(check_history(LOG, oid, tampered)) == {(version, "altered", None, None)}


# -- snapshots and the whole-log chain (issue 12) ------------------------------------------------
@given(oid=st.uuids(), version=st.integers(1, 2**40), inner=_inners, key=_keys, prev=_inners)
def test_a_sealed_snapshot_is_bound_to_the_event_at_its_version(
    oid: UUID, version: int, inner: bytes, key: bytes | None, prev: bytes
) -> None:
    event, digest = seal_state(GENESIS, oid, version, "topic", prev, key)
    snapshot = seal_snapshot(digest, oid, version, "snap", inner, key)
    assert read_snapshot_seal(snapshot) is not None
    assert read_seal(snapshot) is None
    assert unseal(snapshot) == inner
    assert snapshot_fault(oid, version, "snap", snapshot, event, key) is None
    # Another event at that version, another place, another topic, no event, no seal.
    other, _ = seal_state(GENESIS, oid, version, "topic", prev + b"!", key)
    assert snapshot_fault(oid, version, "snap", snapshot, other, key) is not None
    assert snapshot_fault(oid, version + 1, "snap", snapshot, event, key) is not None
    assert snapshot_fault(oid, version, "snap2", snapshot, event, key) is not None
    assert snapshot_fault(oid, version, "snap", snapshot, None, key) is not None
    assert snapshot_fault(oid, version, "snap", inner, event, key) is not None


@given(
    oid=st.uuids(),
    version=st.integers(1, 2**40),
    inner=_inners,
    key=st.binary(min_size=1, max_size=32),
    position=st.integers(0, 200),
    mask=st.integers(1, 255),
)
def test_any_byte_changed_in_a_sealed_snapshot_fails_its_check(
    oid: UUID, version: int, inner: bytes, key: bytes, position: int, mask: int
) -> None:
    event, digest = seal_state(GENESIS, oid, version, "topic", b"{}", key)
    snapshot = bytearray(seal_snapshot(digest, oid, version, "snap", inner, key))
    snapshot[position % len(snapshot)] ^= mask
    assert snapshot_fault(oid, version, "snap", bytes(snapshot), event, key) is not None
    # Re-sealed without the key, as anyone could: the keyed check refuses it.
    forged = seal_snapshot(digest, oid, version, "snap", inner + b"!", None)
    assert snapshot_fault(oid, version, "snap", forged, event, key) is not None


@given(
    prev=st.binary(min_size=32, max_size=32),
    position=st.integers(1, 2**40),
    oid=st.uuids(),
    version=st.integers(1, 2**40),
    digest=st.binary(min_size=32, max_size=32),
)
def test_a_whole_log_link_changes_with_each_thing_it_covers(
    prev: bytes, position: int, oid: UUID, version: int, digest: bytes
) -> None:
    link = log_digest(prev, position, oid.bytes, version, digest)
    assert len(link) == 32
    others = {
        log_digest(
            bytes(32) if prev != bytes(32) else b"\x01" * 32, position, oid.bytes, version, digest
        ),
        log_digest(prev, position + 1, oid.bytes, version, digest),
        log_digest(
            prev, position, bytes(16) if oid.bytes != bytes(16) else b"\x01" * 16, version, digest
        ),
        log_digest(prev, position, oid.bytes, version + 1, digest),
        log_digest(prev, position, oid.bytes, version, bytes(a ^ 1 for a in digest)),
    }
    assert link not in others
    assert len(others) == 5
