"""Events of the customer record: what belongs to the person across every plan and case.

S-MSP Step 1 decides how the customer may be serviced (restrictions, the OMC/PSSO channel,
representatives, suicide and family-violence safety) and S-CMR Table 2 Step 2 tells the case
manager to review the customer's record before any call. The customer record is where those
facts are recorded once; each plan and case reads it when it decides, and shows in its own
history which flag applied and where it came from.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID, uuid5

from recoverycore.events._crn import normalise_crn
from recoverycore.events._envelope import (
    DomainEvent,
    NonEmptyStr,
    OptionalPersonal,
    PersonalStr,
    PersonalText,
)
from recoverycore.events.cmr import VulnerabilityKind
from recoverycore.events.msp import ContactPoint, Restriction

__all__ = [
    "CUSTOMER_EVENT_TYPES",
    "CUSTOMER_NAMESPACE",
    "CUSTOMER_RECORD_NAMESPACE",
    "PROCEDURE",
    "STATE_TIME_ZONES",
    "STATE_ZONES",
    "AustralianState",
    "CustomerEvent",
    "CustomerFlagCleared",
    "CustomerFlagRecorded",
    "CustomerLocationRecorded",
    "CustomerRecordLinked",
    "CustomerRegistered",
    "RecordKind",
    "RepresentativeKind",
    "RepresentativeRecorded",
    "RepresentativeRemoved",
    "RestrictionsInForce",
    "RestrictionsLifted",
    "customer_record_id",
    "plain_customer_id",
]

CUSTOMER_NAMESPACE = UUID("3f6e2b0c-8d71-4a7e-b0e4-5d1c2a9f7e31")
"""The namespace of a customer record's id where personal data is kept plain (in memory)."""


CUSTOMER_RECORD_NAMESPACE = UUID("b7d0e4a1-5c2f-4f83-9e61-0a9d3c7b52e4")
"""The namespace of the customer record aggregate's id, made from the customer's key subject."""


def customer_record_id(subject: str) -> UUID:
    """The id of the customer record aggregate of the customer whose key subject (record id,
    hex) is ``subject``: its own id, so that no other log's record of the customer (the
    safeguard policy's) shares it."""
    return uuid5(CUSTOMER_RECORD_NAMESPACE, subject)


def plain_customer_id(crn: str) -> UUID:
    """The customer record's id on a store that keeps personal data plain (made from ``uuid5`` of
    the normalised CRN). Stores that protect personal data give each customer a random subject,
    found through the key store (the application's ``customer_id``)."""
    return customer_record_id(uuid5(CUSTOMER_NAMESPACE, normalise_crn(crn)).hex)


PROCEDURE = "customer record"
"""The customer record is not one procedure's: its steps name the procedure they come from."""

RecordKind = Literal["ManagedServicePlan", "CaseManagedRecovery"]
RepresentativeKind = Literal["POA", "NOMINEE", "PPE"]
AustralianState = Literal["ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"]

STATE_TIME_ZONES: dict[str, str] = {
    "ACT": "Australia/Sydney",
    "NSW": "Australia/Sydney",
    "NT": "Australia/Darwin",
    "QLD": "Australia/Brisbane",
    "SA": "Australia/Adelaide",
    "TAS": "Australia/Hobart",
    "VIC": "Australia/Melbourne",
    "WA": "Australia/Perth",
}
"""Each state's or territory's time zone (a place with its own, such as Broken Hill, NSW, on
Adelaide time, is recorded with its zone given)."""

STATE_ZONES: dict[str, frozenset[str]] = {
    "ACT": frozenset({"Australia/Sydney", "Australia/Canberra"}),
    "NSW": frozenset({"Australia/Sydney", "Australia/Broken_Hill", "Australia/Lord_Howe"}),
    "NT": frozenset({"Australia/Darwin"}),
    "QLD": frozenset({"Australia/Brisbane", "Australia/Lindeman"}),
    "SA": frozenset({"Australia/Adelaide"}),
    "TAS": frozenset({"Australia/Hobart"}),
    "VIC": frozenset({"Australia/Melbourne"}),
    "WA": frozenset({"Australia/Perth", "Australia/Eucla"}),
}
"""The time zones in use in each state or territory (IANA names)."""


class CustomerEvent(DomainEvent):
    aggregate_type: ClassVar[str] = "Customer"


class CustomerRegistered(CustomerEvent):
    """The customer's record was opened (the first time any plan, case or officer needed it)."""

    crn: PersonalStr


class CustomerRecordLinked(CustomerEvent):
    """A plan or case belongs to the customer."""

    record_id: NonEmptyStr
    record_kind: RecordKind


class CustomerFlagRecorded(CustomerEvent):
    """A vulnerability or safety flag on the person (X-R2, X-R3, X-R4): it applies to every plan
    and case of the customer, whenever each was recorded, until it is cleared."""

    flag_id: NonEmptyStr
    kind: VulnerabilityKind
    source: PersonalStr
    referral: PersonalText = ""
    incident_ref: str = ""
    raised_on: str = ""
    """The plan or case the officer was working on when it was raised ("" if on the record)."""
    record_flag_id: str = ""
    """The flag's id on that plan or case (a plan's flags are named by their kind)."""


class CustomerFlagCleared(CustomerEvent):
    is_decision: ClassVar[bool] = True
    flag_id: NonEmptyStr
    kind: VulnerabilityKind
    cleared_on: str = ""
    """The plan or case the officer cleared it from ("" if on the record)."""


class RestrictionsInForce(CustomerEvent):
    """An MSP's servicing restrictions and its OMC/PSSO bind the customer's other records from
    the plan's approval (or variation) until it ends, expires or is withdrawn."""

    plan_id: NonEmptyStr
    restrictions: tuple[Restriction, ...]
    channel: ContactPoint
    start_date: date
    end_date: date


class RestrictionsLifted(CustomerEvent):
    plan_id: NonEmptyStr
    why: Literal["ENDED", "EXPIRED", "WITHDRAWN", "REJECTED", "VARIED"]


class RepresentativeRecorded(CustomerEvent):
    """A Power of Attorney, nominee or person permitted to enquire (S-MSP S1). A POA or a
    nominee with ``contact_through`` is who recovery contact goes to (ACCC guideline)."""

    representative_id: NonEmptyStr
    kind: RepresentativeKind
    name: PersonalStr
    phone: OptionalPersonal = None
    postal_address: OptionalPersonal = None
    contact_through: bool


class RepresentativeRemoved(CustomerEvent):
    representative_id: NonEmptyStr


class CustomerLocationRecorded(CustomerEvent):
    """Where the customer lives: contact hours and public holidays are theirs (X-R6)."""

    state: AustralianState
    time_zone: NonEmptyStr


CUSTOMER_EVENT_TYPES: tuple[type[CustomerEvent], ...] = (
    CustomerRegistered,
    CustomerRecordLinked,
    CustomerFlagRecorded,
    CustomerFlagCleared,
    RestrictionsInForce,
    RestrictionsLifted,
    RepresentativeRecorded,
    RepresentativeRemoved,
    CustomerLocationRecorded,
)
"""Every event type the customer record records."""
