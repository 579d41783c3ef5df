"""The persisted contract: frozen pydantic events with the common envelope.

Submodules: :mod:`~recoverycore.events.msp` (Managed Service Plans),
:mod:`~recoverycore.events.cmr` (case managed recovery), :mod:`~recoverycore.events.follow_ups`,
:mod:`~recoverycore.events.safeguards` and :mod:`~recoverycore.events.vocabulary` (the words the
aggregates and the views share). Event topics are the stored names of these classes: they never
move.
"""

from recoverycore.events import cmr, follow_ups, msp, safeguards, vocabulary
from recoverycore.events._crn import Crn, normalise_crn
from recoverycore.events._envelope import (
    ENVELOPE_FIELDS,
    EVENT_ID_NAMESPACE,
    MAX_INT,
    PERSONAL,
    Actor,
    ApsLevel,
    DomainEvent,
    LocalDatetime,
    NonEmptyStr,
    OptionalPersonal,
    PersonalStr,
    PersonalText,
    Role,
    Snapshot,
)
from recoverycore.events.cmr import DayCount

__all__ = [
    "ENVELOPE_FIELDS",
    "EVENT_ID_NAMESPACE",
    "MAX_INT",
    "PERSONAL",
    "Actor",
    "ApsLevel",
    "Crn",
    "DayCount",
    "DomainEvent",
    "LocalDatetime",
    "NonEmptyStr",
    "OptionalPersonal",
    "PersonalStr",
    "PersonalText",
    "Role",
    "Snapshot",
    "cmr",
    "follow_ups",
    "msp",
    "normalise_crn",
    "safeguards",
    "vocabulary",
]
