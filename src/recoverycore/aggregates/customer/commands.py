"""The commands an officer gives the customer record (flags, representatives, location)."""

from __future__ import annotations

from recoverycore.aggregates._decider import Command
from recoverycore.aggregates._input import Ref
from recoverycore.events import Crn, Identifier, NonEmptyStr
from recoverycore.events.cmr import VulnerabilityKind
from recoverycore.events.customer import AustralianState, RepresentativeKind

__all__ = [
    "ClearSafetyFlag",
    "CustomerCommand",
    "RecordCustomerLocation",
    "RecordRepresentative",
    "RecordSafetyFlag",
    "RegisterCustomer",
    "RemoveRepresentative",
]


class CustomerCommand(Command):
    """A command on the customer record, found by the customer's CRN (any spelling that
    normalises to it)."""

    crn: Crn


class RegisterCustomer(CustomerCommand):
    """Open the customer's record (done for you by the first command that needs it)."""


class RecordSafetyFlag(CustomerCommand):
    """A vulnerability or safety flag on the person: suicide or self-harm, family and domestic
    violence (with an immediate threat), hardship, a declared disaster, other (X-R2..X-R4). It
    applies to every plan and case of the customer, recorded before or after it."""

    flag_id: Identifier
    kind: VulnerabilityKind
    source: NonEmptyStr
    referral: str = ""
    incident_ref: Ref = ""


class ClearSafetyFlag(CustomerCommand):
    """A social worker or decision maker clears a flag (reasons required): it is cleared on
    every plan and case of the customer."""

    flag_id: Identifier


class RecordRepresentative(CustomerCommand):
    """A Power of Attorney, nominee or person permitted to enquire (S-MSP S1).

    ``contact_through`` (default: yes for a POA or nominee, no for a person permitted to
    enquire) makes recovery contact go to the representative, not the customer (X-R13)."""

    representative_id: Identifier
    kind: RepresentativeKind
    name: NonEmptyStr
    phone: str | None = None
    postal_address: str | None = None
    contact_through: bool | None = None


class RemoveRepresentative(CustomerCommand):
    representative_id: Identifier


class RecordCustomerLocation(CustomerCommand):
    """The state or territory the customer lives in; ``time_zone`` only where it is not the
    state's (Broken Hill, NSW, keeps Adelaide time)."""

    state: AustralianState
    time_zone: Ref | None = None
