"""The persisted contract: frozen pydantic events with the common envelope.

Submodules: :mod:`~recoverycore.events.msp` (Managed Service Plans),
:mod:`~recoverycore.events.cmr` (case managed recovery), :mod:`~recoverycore.events.customer`
(the customer record), :mod:`~recoverycore.events.follow_ups`,
:mod:`~recoverycore.events.safeguards` and :mod:`~recoverycore.events.vocabulary` (the words the
aggregates and the views share). Event topics are the stored names of these classes: they never
move.
"""

from recoverycore.events import cmr, customer, follow_ups, msp, safeguards, vocabulary
from recoverycore.events._crn import Crn, normalise_crn
from recoverycore.events._envelope import (
    EARLIEST_DATE,
    EARLIEST_TIME,
    ENVELOPE_FIELDS,
    EVENT_ID_NAMESPACE,
    IDENTIFIER,
    LATEST_DATE,
    LATEST_TIME,
    MAX_AMOUNT,
    MAX_AMOUNT_PLACES,
    MAX_COMMAND_CHARS,
    MAX_IDENTIFIER_CHARS,
    MAX_INT,
    MAX_ITEMS,
    MAX_TEXT_CHARS,
    PERSONAL,
    Actor,
    ApsLevel,
    DomainEvent,
    Identifier,
    LocalDatetime,
    NonEmptyStr,
    OptionalPersonal,
    PersonalStr,
    PersonalText,
    Role,
    Snapshot,
    TextKind,
)
from recoverycore.events.cmr import DayCount

__all__ = [
    "EARLIEST_DATE",
    "EARLIEST_TIME",
    "ENVELOPE_FIELDS",
    "EVENT_ID_NAMESPACE",
    "IDENTIFIER",
    "LATEST_DATE",
    "LATEST_TIME",
    "MAX_AMOUNT",
    "MAX_AMOUNT_PLACES",
    "MAX_COMMAND_CHARS",
    "MAX_IDENTIFIER_CHARS",
    "MAX_INT",
    "MAX_ITEMS",
    "MAX_TEXT_CHARS",
    "PERSONAL",
    "Actor",
    "ApsLevel",
    "Crn",
    "DayCount",
    "DomainEvent",
    "Identifier",
    "LocalDatetime",
    "NonEmptyStr",
    "OptionalPersonal",
    "PersonalStr",
    "PersonalText",
    "Role",
    "Snapshot",
    "TextKind",
    "cmr",
    "customer",
    "follow_ups",
    "msp",
    "normalise_crn",
    "safeguards",
    "vocabulary",
]
