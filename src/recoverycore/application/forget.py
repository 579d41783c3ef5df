"""Customers' personal data: protected under a key per customer, erased by destroying the key.

Fields marked personal in the event models (:data:`recoverycore.events.PERSONAL`) are stored as
tokens encrypted under the customer's own key whenever the store protects personal data: the
default for SQLite files and PostgreSQL (``RECOVERYCORE_PERSONAL_DATA=protect``; ``plain`` turns
it off). They are the customer's CRN, name, phone numbers and addresses, and every text an
officer writes about the customer: notes, reasons and evidence references, summaries,
details, document names (CMR-R2 puts "SURNAME, First name" in them), search results,
considerations, and the (digest of the) mobile number an SMS went to. Staff ids and names,
teams, rule ids, codes, amounts and dates are not personal (see ``docs/integrity.md``).
:func:`forget` destroys a customer's key. Afterwards:

- their plans and cases still replay, and every personal field reads as ``[erased]``;
- the views and reports show ``[erased]`` (they hold tokens, never plaintext);
- every history still verifies: the hash chain covers the stored tokens, which do not change;
- snapshots of their plans and cases are deleted (they are only a shortcut for replay);
- new personal data on their plans and cases is refused (:class:`PersonalDataErased`);
- every process using the store sees it at once: ``forget`` moves the key store's generation,
  and every read of personal data checks it, dropping the keys and states held in memory.

On SQLite the key file is scrubbed (``secure_delete``, ``VACUUM``, no log left beside it). When
another process holds the key file so long that this cannot be done, :func:`forget` raises
:class:`ForgetIncomplete` saying whether the key is already marked forgotten (then it is used
nowhere, but its bytes may remain until ``forget`` runs again): close the other processes and
run it again.

The customer's record id is random; the key store finds it through a row keyed by an HMAC of
the CRN under the key store's secret, which :func:`forget` deletes with the key, so afterwards
nothing links the record id (kept in the erased tokens and the safeguard policy's records) to
the CRN. Customers recorded before record ids were random keep their ``uuid5`` ids, which can
still be linked to a guessed CRN. A customer recorded again after ``forget`` is a new customer,
with a new record id and key.

A CRN is a key in its canonical spelling (:func:`recoverycore.events.normalise_crn`): commands
store it so, and ``forget`` finds the customer however the CRN is typed, including records
that stores written before normalisation keep under another spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment, get_topic
from pydantic import BaseModel, ConfigDict

from recoverycore.application.recovery import RecoveryApp
from recoverycore.errors import ForgetIncomplete, KeyStoreMissing
from recoverycore.events import normalise_crn
from recoverycore.events.cmr import CaseAllocated
from recoverycore.events.msp import MspRecorded
from recoverycore.persistence import (
    ALL_APPLICATIONS,
    ERASED,
    PERSONAL_DATA,
    ForgetResult,
    PersonalDataErased,
    PydanticMapper,
    StoreKind,
    legacy_subject_of_crn,
    personal_data_for,
    store_kind,
    subject_of_crn,
)

__all__ = [
    "ERASED",
    "PERSONAL_DATA",
    "ForgetIncomplete",
    "Forgotten",
    "KeyStoreMissing",
    "PersonalDataErased",
    "forget",
    "personal_data_for",
    "subject_of_crn",
]

_SNAPSHOTTING = ALL_APPLICATIONS


class Forgotten(BaseModel):
    """What :func:`forget` did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_record: str
    """The customer's pseudonymous record id (what remains to link their erased records; random,
    and after ``forget`` nothing links it to the CRN). Empty when no customer has that CRN."""
    key_destroyed: bool
    """``False`` when there was no key to destroy (never recorded, or already forgotten)."""
    records: tuple[str, ...]
    """The plans, cases and customer records whose personal fields now read as erased."""
    snapshots_deleted: int


def forget(env: Mapping[str, str], crn: str) -> Forgotten:
    """Destroy the key of the customer with ``crn``, and delete the snapshots of their plans
    and cases. Raises ``ValueError`` if the store keeps personal data plain, and
    :class:`ForgetIncomplete` if another process kept the key store busy (see above)."""
    personal = personal_data_for(env)
    if personal is None:
        raise ValueError(
            f"This store keeps personal data plain ({PERSONAL_DATA}=plain, or it is in memory): "
            "there is no key to destroy. Protected stores are the default for SQLite files and "
            "PostgreSQL."
        )
    # The customer's record (found through the lookup row of the CRN's keyed digest, or the
    # uuid5 id of a customer recorded before record ids were random), and the records stores
    # written before CRNs were normalised keep under another spelling. Only records the key
    # store knows: forgetting a CRN never recorded writes nothing.
    record = personal.record_of_crn(crn)
    subjects = [] if record is None else [record]
    for subject in (legacy_subject_of_crn(crn), *_subjects_spelt_otherwise(env, crn)):
        if subject not in subjects and personal.keys.get(subject).known:
            subjects.append(subject)
    if not subjects:
        # Nothing to destroy; finish scrubbing after an earlier forget that could not.
        personal.keys.scrub()
        return Forgotten(customer_record="", key_destroyed=False, records=(), snapshots_deleted=0)
    # Snapshots first: one read between a key's destruction and their deletion would find a
    # snapshot it cannot open. Then again, for any taken meanwhile.
    linked = sorted({a for subject in subjects for a in personal.keys.aggregates_of(subject)})
    deleted = _delete_snapshots(env, [UUID(hex=a) for a in linked])
    results: list[ForgetResult] = [personal.forget_subject(subject) for subject in subjects]
    aggregates = sorted({a for result in results for a in result.aggregates})
    deleted += _delete_snapshots(env, [UUID(hex=a) for a in aggregates])
    main = next((r for r in results if r.key_destroyed), results[0])
    assert main.subject is not None  # forget_subject names its subject
    return Forgotten(
        customer_record=str(UUID(hex=main.subject)),
        key_destroyed=any(r.key_destroyed for r in results),
        records=tuple(str(UUID(hex=a)) for a in aggregates),
        snapshots_deleted=deleted,
    )


def _subjects_spelt_otherwise(env: Mapping[str, str], crn: str) -> list[str]:
    """The key subjects of plans and cases recorded (before CRNs were normalised at the command
    boundary) with another spelling of ``crn``: ``123-456-789A`` for ``123456789A``. Reads the
    CRN of every plan's and case's first event (a forgotten one reads ``[erased]``)."""
    wanted = normalise_crn(crn)
    app = RecoveryApp(env=dict(env))
    try:
        personal = app.mapper.personal if isinstance(app.mapper, PydanticMapper) else None
        if personal is None:
            return []
        topics = [get_topic(MspRecorded), get_topic(CaseAllocated)]
        found: list[str] = []
        start = 1
        while page := app.recorder.select_notifications(start, 1_000, topics=topics):
            for notification in page:
                event = app.mapper.to_domain_event(notification)
                spelt = getattr(event, "crn", None)
                if isinstance(spelt, str) and spelt != wanted and normalise_crn(spelt) == wanted:
                    subject = personal.snapshot_subject(UUID(str(notification.originator_id)))
                    if subject is not None and subject not in found:
                        found.append(subject)
            start = page[-1].id + 1
        return found
    finally:
        app.close()


def _delete_snapshots(env: Mapping[str, str], aggregates: list[UUID]) -> int:
    if not aggregates:
        return 0
    kind = store_kind(env)
    deleted = 0
    for name in _SNAPSHOTTING:
        factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
            Environment(name, dict(env))
        )
        try:
            recorder: Any = factory.aggregate_recorder(purpose="snapshots")
            table = recorder.events_table_name
            if kind is StoreKind.SQLITE:
                with recorder.datastore.transaction(commit=True) as c:
                    for oid in aggregates:
                        c.execute(
                            f"DELETE FROM {table} WHERE originator_id = ?",
                            (oid.hex,),
                        )
                        deleted += c.sqlite_cursor.rowcount
            elif kind is StoreKind.POSTGRES:
                with recorder.datastore.transaction(commit=True) as c:
                    for oid in aggregates:
                        c.execute(
                            f"DELETE FROM {table} WHERE originator_id = %s".encode(),
                            (oid,),
                        )
                        deleted += c.rowcount
        finally:
            factory.close()
    return deleted
