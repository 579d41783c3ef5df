"""Words both the aggregates and the views read: one definition each, beside the events.

The aggregates decide with them and the compliance view checks recorded histories with them;
defining them here (the persisted contract, which imports nothing of recoverycore) keeps the two
sides from drifting apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from recoverycore.events.cmr import DayCount

__all__ = [
    "ATTEMPT_CHANNELS",
    "DEFAULT_PERIODS",
    "DPO_DELIVERY_CHECK_AFTER",
    "ENFORCEMENT_FLAGS",
    "FLAG_RULES",
    "LETTERS_TO_CUSTOMER",
    "PROCEDURE_TIME_ZONE",
    "TERMINAL_EVENTS",
    "DayCount",
]

LETTERS_TO_CUSTOMER: Final = frozenset(
    {"CONTACT", "FINAL_OPTION", "DPO_WARNING", "DATA_MATCH_NOTIFICATION"}
)
"""Letter purposes that count as a contact with the customer (the others go to third parties)."""

ATTEMPT_CHANNELS: Final = frozenset({"PHONE", "VOICEMAIL", "FACE_TO_FACE"})
"""What counts towards "attempts must not be excessive" in a day (an SMS or a letter is a
contact, not a call attempt)."""

ENFORCEMENT_FLAGS: Final = frozenset({"SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT"})
"""Safety flags that stop enforcement and contact while they are in force (X-R3, X-R4)."""

FLAG_RULES: Final[Mapping[str, str]] = {
    "SUICIDE_SELF_HARM": "X-R3",
    "FDV_IMMEDIATE_THREAT": "X-R4",
    "DISASTER": "X-R1",
}
"""The rule a flag in force engages (the enforcement flags, and a disaster pause)."""

TERMINAL_EVENTS: Final[Mapping[str, tuple[str, frozenset[str]]]] = {
    "CaseClosed": ("closed", frozenset({"CaseArchived", "ArchiveConsiderationRequested"})),
    "CaseArchived": ("archived", frozenset()),
    "ArchiveConsiderationRequested": ("referred for archiving", frozenset()),
    "CustomerUnassigned": ("unassigned", frozenset()),
    "MspRejected": ("rejected", frozenset()),
    "MspWithdrawn": ("withdrawn", frozenset()),
    "MspEnded": ("ended", frozenset()),
    "MspExpired": ("expired", frozenset()),
}
"""The status an event ends a record in, and the only events that may follow it."""

PROCEDURE_TIME_ZONE: Final = "Australia/Sydney"
"""The local time zone the procedures' days and hours are reckoned in, unless configured."""

DPO_DELIVERY_CHECK_AFTER: Final = DayCount(days=14)
"""T4.S1-S2: a DPO warning's delivery is confirmed through tracking after 14 days (the default
of ``CaseConfig.dpo_delivery_check_after``)."""

DEFAULT_PERIODS: Final[Mapping[str, DayCount]] = {
    "dpo_delivery_check_after": DPO_DELIVERY_CHECK_AFTER,
}
"""The configurable periods a follow-up reads from the configuration (not from its event), by
configuration field, at their defaults; an application passes its configuration's values."""
