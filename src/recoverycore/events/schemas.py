"""The JSON Schema of every event type recoverycore records: the persisted contract, described.

``recoverycore report --schemas`` prints it beside the report's own schema.
"""

from __future__ import annotations

from typing import Any

from recoverycore.events._envelope import DomainEvent
from recoverycore.events.cmr import CASE_EVENT_TYPES
from recoverycore.events.follow_ups import FOLLOW_UP_EVENT_TYPES
from recoverycore.events.msp import MSP_EVENT_TYPES
from recoverycore.events.safeguards import CustomerAggregateLinked, SafeguardReactionRequested

__all__ = ["event_schemas"]


def _recorded_event_types() -> tuple[type[DomainEvent], ...]:
    return (
        *MSP_EVENT_TYPES,
        *CASE_EVENT_TYPES,
        *FOLLOW_UP_EVENT_TYPES,
        CustomerAggregateLinked,
        SafeguardReactionRequested,
    )


def event_schemas() -> dict[str, dict[str, Any]]:
    """A JSON Schema for every event type recoverycore records (plans, cases, follow-ups,
    safeguards), generated from its pydantic model, by event type name. Each schema carries
    ``x-schema-version`` (the type's ``class_version``) and ``x-aggregate-type``; a personal
    field is marked ``"x-personal": true``."""
    schemas: dict[str, dict[str, Any]] = {}
    for cls in _recorded_event_types():
        schema = cls.model_json_schema()
        schema["x-schema-version"] = cls.class_version
        schema["x-aggregate-type"] = cls.aggregate_type
        schemas[cls.__name__] = schema
    return schemas
