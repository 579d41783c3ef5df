"""Typed errors. A refused command raises :class:`RuleViolation` and records nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

__all__ = [
    "AggregateIdInUse",
    "AggregateNotFound",
    "ConcurrentUpdateError",
    "ForgetIncomplete",
    "InvalidCommand",
    "KeyStoreMissing",
    "NotAPlanOrCase",
    "NotAuthorised",
    "PersonalDataErased",
    "RecoveryCoreError",
    "RuleViolation",
    "StoreBusy",
    "StoreNotFound",
    "UnknownCommand",
    "UnreadableEvent",
]


class RecoveryCoreError(Exception):
    """Base class of every error recoverycore raises on purpose.

    Every one pickles with its fields (an error raised in a worker process, a ``multiprocessing``
    pool's task say, reaches the parent as itself)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(cls: type[RecoveryCoreError], args: tuple[Any, ...], fields: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(fields)
    return error


class RuleViolation(RecoveryCoreError):
    """A command was refused because it would break a rule of the procedure.

    ``rule_id`` is the catalogue id (see :mod:`recoverycore.rules`), ``reason`` says in plain
    words what is wrong, and ``remedy`` what the officer can do instead.
    """

    def __init__(self, rule_id: str, reason: str, remedy: str) -> None:
        self.rule_id = rule_id
        self.reason = reason
        self.remedy = remedy
        super().__init__(f"[{rule_id}] {reason} What to do: {remedy}")


class AggregateNotFound(RecoveryCoreError, LookupError):
    """No plan or case with this id has been recorded."""

    def __init__(self, aggregate_id: UUID, kind: str = "plan", *, when: str = "") -> None:
        self.aggregate_id = aggregate_id
        by = f" by {when}" if when else ""
        super().__init__(
            f"No {kind} {aggregate_id} had been recorded{by}."
            if by
            else f"No {kind} {aggregate_id} has been recorded."
        )


class ConcurrentUpdateError(RecoveryCoreError):
    """Someone else recorded on the same plan or case first; nothing of this command was written.

    Re-run the command (``RecoveryApp.handle(command, retries=N)`` does that for you): the rules
    are checked again against the newer history.
    """

    def __init__(self, aggregate_id: UUID, expected_version: int) -> None:
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version
        super().__init__(
            f"{aggregate_id} changed while this command was being decided (it was at version "
            f"{expected_version}). Nothing was recorded; retry the command."
        )


class PersonalDataErased(RuleViolation):
    """New personal data for a customer whose key was destroyed (``forget``) is refused."""

    def __init__(self, subject: str) -> None:
        super().__init__(
            "PRIV-1",
            f"The customer (record {subject}) has been forgotten: their key was destroyed, "
            "so no new personal data can be recorded for them.",
            "Record the action without the customer's personal details (or, if the customer "
            "has come back, allocate a new record for them).",
        )
        self.subject = subject


class UnknownCommand(RecoveryCoreError, TypeError):
    """A value that no registered aggregate decides: not a command, or a command type (such as a
    base class) that no handler is registered for. Nothing was recorded."""

    def __init__(self, what: str, where: str = "any recoverycore aggregate") -> None:
        self.what = what
        super().__init__(
            f"{what} is not a command of {where}; pass one of its command classes "
            "(recoverycore.msp, recoverycore.cmr)."
        )


class AggregateIdInUse(RecoveryCoreError):
    """A new plan or case was given an id that another kind of record already has (a case's id
    for a new plan, say). Nothing was recorded; retrying cannot help: use a new id."""

    def __init__(self, aggregate_id: UUID, owner: str, wanted: str) -> None:
        self.aggregate_id = aggregate_id
        self.owner = owner
        super().__init__(
            f"{aggregate_id} is already the id of a {owner}; a new {wanted} needs an id of its "
            "own. Nothing was recorded; record it again with a new id."
        )


class InvalidCommand(RecoveryCoreError, ValueError):
    """A command whose values cannot be recorded as given (a time outside the plausible range, a
    control character, a text over its size limit, a negative amount ...). ``field`` names the
    value, ``reason`` says what is wrong with it. Nothing was recorded."""

    def __init__(
        self, field: str, reason: str, remedy: str = "Correct the value and record it again."
    ) -> None:
        self.field = field
        self.reason = reason
        self.remedy = remedy
        super().__init__(f"{field}: {reason} Nothing was recorded. What to do: {remedy}")


class UnreadableEvent(RecoveryCoreError):
    """A recorded event cannot be read back (damaged, or written by a version that stored it
    wrongly). It names where it is: the log (application name), the aggregate, the version and,
    when known, the notification id. Only that aggregate is affected: other plans, cases,
    policies and views carry on past it."""

    def __init__(
        self,
        log: str,
        aggregate_id: UUID,
        version: int,
        reason: str,
        *,
        notification_id: int | None = None,
    ) -> None:
        self.log = log
        self.aggregate_id = aggregate_id
        self.version = version
        self.reason = reason
        self.notification_id = notification_id
        at = f" (notification {notification_id})" if notification_id is not None else ""
        super().__init__(
            f"{log}: event {version} of {aggregate_id}{at} cannot be read back: {reason}. "
            "Run `recoverycore verify` and restore the store from a backup if it is damaged."
        )


class KeyStoreMissing(RecoveryCoreError):
    """The customers' key store is missing or has lost keys while the store holds data encrypted
    under them: a key file not copied or restored with the store, emptied, or replaced. Nothing
    is read as erased and no new key is made for a customer who had one: restore the key store
    from the backup taken with the store (``recoverycore backup``)."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(
            f"The customers' key store ({where}) cannot be used: {reason}. Nothing was read or "
            "recorded. What to do: restore the key store that belongs with this store (a "
            "backup made by `recoverycore backup` holds both); never start a new one beside a "
            "store that already holds customers' data."
        )


class ForgetIncomplete(RecoveryCoreError):
    """``forget`` could not finish destroying a customer's key: another process held the key
    store. ``key_tombstoned`` says whether the key is already marked forgotten (it is then no
    longer used anywhere, but its bytes may remain on disk until ``forget`` is run again)."""

    def __init__(self, customer_record: str, reason: str, *, key_tombstoned: bool) -> None:
        self.customer_record = customer_record
        self.reason = reason
        self.key_tombstoned = key_tombstoned
        super().__init__(
            f"The key of customer record {customer_record} was not fully destroyed: {reason}. "
            "What to do: close the other processes using the store (or wait for them to "
            "finish), then run `recoverycore forget` again for the same customer."
        )


class StoreNotFound(RecoveryCoreError, FileNotFoundError):
    """The store to check does not exist at all (a mistyped path, database or schema): none of
    its logs is there. Nothing was created; check the path (``--db``) or the ``POSTGRES_*``
    settings."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(
            f"There is no store at {where} ({reason}). Nothing was checked and nothing was "
            "created: check the path (--db) or the database settings."
        )


class StoreBusy(RecoveryCoreError):
    """The store did not answer in time: a lock another process held (PostgreSQL's
    ``lock_timeout``, SQLite's busy timeout) or a statement that ran too long (PostgreSQL's
    ``statement_timeout``). Nothing of the command was recorded; ``what`` names what waited."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(
            f"{what}: the store was busy ({reason}). Nothing was recorded. What to do: try "
            "again; if it keeps happening, look for a process holding the store's lock or a "
            "command far larger than usual."
        )


class NotAPlanOrCase(AggregateNotFound):
    """An id that is not a plan's or a case's (a customer record's) given where a plan or case
    is needed, as the report is one plan's or case's. ``kind`` names what the id is."""

    def __init__(self, aggregate_id: UUID, kind: str, instead: str) -> None:
        RecoveryCoreError.__init__(
            self,
            f"{aggregate_id} is a {kind}, not a plan or case. What to do: {instead}",
        )
        self.aggregate_id = aggregate_id
        self.kind = kind


class NotAuthorised(RuleViolation):
    """A command was refused on authority grounds: the actor's role (or APS level) may not
    record it, a second person must (four-eyes), or the role ``SYSTEM`` was used outside the
    library's own policies. ``rule_id`` is the role table's rule (X-A1, X-A2, X-A3, or the
    specific rule a row names, such as MSP-A3 or CMR-R9); an application may answer it as
    "forbidden" rather than as a procedural refusal."""
