"""The customer record's state: what belongs to the person, as its history makes it."""

from __future__ import annotations

import unicodedata
from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from recoverycore.events import Role
from recoverycore.events.cmr import VulnerabilityKind
from recoverycore.events.customer import RecordKind, RepresentativeKind
from recoverycore.events.msp import ContactPoint, Restriction
from recoverycore.events.vocabulary import PROCEDURE_TIME_ZONE

__all__ = [
    "CustomerConfig",
    "CustomerFlag",
    "CustomerState",
    "PlanRestrictions",
    "Representative",
]


def id_key(identifier: str) -> str:
    """The form two ids an officer typed are compared in: letters and digits only (digits of any
    script as their value), compatibility form, case folded."""
    kept = []
    for ch in unicodedata.normalize("NFKC", identifier).casefold():
        if ch.isdecimal():
            kept.append(str(unicodedata.decimal(ch)))
        elif ch.isalnum():
            kept.append(ch)
    return "".join(kept)


class CustomerConfig(BaseModel):
    """The configurable defaults of the customer record's rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = PROCEDURE_TIME_ZONE
    """The time zone actions are recorded in, and the customer's until a location is recorded."""
    flag_clearing_roles: frozenset[Role] = frozenset(
        {Role.SOCIAL_WORKER, Role.MSP_APPROVER, Role.OPERATIONAL_LEADER}
    )
    """X-R3, X-R4 (MSP-A3): who may clear a suicide/self-harm or FDV-with-immediate-threat
    flag (the union of the plan's and the case's defaults)."""


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerFlag(_Value):
    flag_id: str
    kind: VulnerabilityKind
    source: str
    recorded_by: str
    recorded_on: date
    raised_on: str = ""
    record_flag_id: str = ""
    """The flag's id on the record it was raised on, when it was raised on a plan or case."""


class PlanRestrictions(_Value):
    plan_id: str
    restrictions: tuple[Restriction, ...]
    channel: ContactPoint
    start_date: date
    end_date: date

    def in_force_on(self, day: date) -> bool:
        """From the start date, until the end date (on it the plan is no longer in force,
        MSP-A11)."""
        return self.start_date <= day < self.end_date


class Representative(_Value):
    representative_id: str
    kind: RepresentativeKind
    name: str
    phone: str | None = None
    postal_address: str | None = None
    contact_through: bool


class CustomerState(_Value):
    """The customer's record: flags, restrictions in force, representatives, location, and the
    plans and cases that belong to them."""

    id: UUID
    version: int
    crn: str
    records: tuple[tuple[str, RecordKind], ...] = ()
    flags: tuple[CustomerFlag, ...] = ()
    cleared_flags: tuple[str, ...] = ()
    restrictions: tuple[PlanRestrictions, ...] = ()
    representatives: tuple[Representative, ...] = ()
    state: str | None = None
    time_zone: str | None = None

    def flag_kinds(self) -> frozenset[str]:
        return frozenset(f.kind for f in self.flags)

    def flag(self, flag_id: str) -> CustomerFlag | None:
        return next((f for f in self.flags if f.flag_id == flag_id), None)

    def restrictions_on(self, day: date) -> tuple[PlanRestrictions, ...]:
        """The plans whose restrictions bind the customer on ``day``."""
        return tuple(r for r in self.restrictions if r.in_force_on(day))

    def contact_representatives(self) -> tuple[Representative, ...]:
        """The representatives recovery contact goes through (X-R13)."""
        return tuple(r for r in self.representatives if r.contact_through)

    def representative(self, representative_id: str) -> Representative | None:
        """The representative recorded under ``representative_id`` (or under the same id
        retyped: case, separators, other digit forms)."""
        key = id_key(representative_id)
        return next((r for r in self.representatives if id_key(r.representative_id) == key), None)

    def linked(self, record_id: UUID | str) -> bool:
        return any(r == str(record_id) for r, _ in self.records)
