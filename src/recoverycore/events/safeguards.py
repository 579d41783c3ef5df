"""Events of the safeguard policy: who a customer's plans and cases are, and the reactions a
safety flag on one of them requires on the others (X-R3, X-R4)."""

from __future__ import annotations

from typing import ClassVar, Literal

from recoverycore.events._envelope import DomainEvent, NonEmptyStr, PersonalStr

__all__ = ["CustomerAggregateLinked", "SafeguardEvent", "SafeguardReactionRequested"]

SafetyFlagKind = Literal["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"]


class SafeguardEvent(DomainEvent):
    aggregate_type: ClassVar[str] = "Customer"

    crn: PersonalStr


class CustomerAggregateLinked(SafeguardEvent):
    """A plan or case was recorded for the customer (recorded on the customer and on the
    plan's or case's owner record)."""

    aggregate_id: NonEmptyStr
    aggregate_type_name: Literal["ManagedServicePlan", "CaseManagedRecovery"]


class SafeguardReactionRequested(SafeguardEvent):
    """A safety flag recorded on one of the customer's plans or cases must take effect on the
    others: MSP SMS blocked, enforcement on their cases paused until cleared."""

    flag: SafetyFlagKind
    source_aggregate_id: NonEmptyStr
    cause_event_id: NonEmptyStr
    targets: tuple[str, ...]
    target_types: tuple[str, ...]
