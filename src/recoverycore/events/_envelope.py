"""The common envelope every recorded event carries (domain reference, section 3.1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID, uuid5

from eventsourcing.utils import get_topic, resolve_topic
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

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
]

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


@dataclass(frozen=True, slots=True)
class TextKind:
    """A mark on a text field saying how strictly a command checks it (see
    :func:`recoverycore.aggregates.check_command`). Only commands are checked: events are read
    as they were stored, so the mark never makes an earlier event unreadable."""

    name: str


IDENTIFIER = TextKind("identifier")
"""The mark of an identifier: at most :data:`MAX_IDENTIFIER_CHARS` characters, on one line, with
no control, format (zero-width, bidirectional) or separator character."""
Identifier = Annotated[NonEmptyStr, IDENTIFIER]
"""An id, reference, code or number (staff id, team, CRN, debt id, letter id, phone number):
checked as :data:`IDENTIFIER` in commands, read as any :data:`NonEmptyStr` in events."""

# -- the plausible range of what a command may record ---------------------------------------------
EARLIEST_TIME = datetime(1990, 1, 1, tzinfo=UTC)
"""The earliest time a command may record. Both procedures (and the systems they name) began long
after; and from 1895 every Australian zone's offset is whole minutes, the only offsets the stored
form (ISO 8601 as orjson writes it) keeps: before that, local mean time (+10:04:52 in Sydney)
would be stored as +10:05 and the event could not be read back as recorded."""
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)
"""The time before which every time a command records must be (exclusive): far beyond any plan
end date, review or payment an officer sets, and far inside every store's range."""
EARLIEST_DATE = date(1900, 1, 1)
"""The earliest calendar date a command may record (a date of birth or a debt raised long ago is
still after it)."""
LATEST_DATE = date(2199, 12, 31)
"""The latest calendar date a command may record (as :data:`LATEST_TIME`)."""
MAX_IDENTIFIER_CHARS = 200
"""The longest identifier (staff id, team, CRN, debt id, reference, phone number)."""
MAX_TEXT_CHARS = 20_000
"""The longest free text (a note, a reason, a description, a name, an address): some ten pages,
more than any officer writes in one field."""
MAX_COMMAND_CHARS = 100_000
"""The most characters of text one command may carry, all fields together (five notes at their
limit): no single command can hold the store's write lock for long."""
MAX_ITEMS = 1_000
"""The most items in one list of a command (debts, reasons, restrictions, evidence)."""
MAX_AMOUNT = Decimal(10) ** 12
"""The largest amount of money (or balance) a command may record, in dollars: a trillion."""
MAX_AMOUNT_PLACES = 4
"""The most decimal places an amount may have (cents need two; percentages a few more)."""

PERSONAL: dict[str, Any] = {"x-personal": True}
"""The JSON Schema mark of a field that identifies a customer (``"x-personal": true``)."""
PersonalStr = Annotated[NonEmptyStr, Field(json_schema_extra=PERSONAL)]
"""Text that identifies a customer (CRN, name, phone number, address): stored encrypted under
the customer's own key when the store protects personal data (see
:mod:`recoverycore.application.forget`), and read as ``[erased]`` once that key is destroyed."""
PersonalText = Annotated[str, Field(json_schema_extra=PERSONAL)]
"""As :data:`PersonalStr`, where the text may be empty (an empty text is stored as is)."""
OptionalPersonal = Annotated[str | None, Field(json_schema_extra=PERSONAL)]
"""As :data:`PersonalStr`, where the field may be absent."""

MAX_INT = 2**63 - 1
"""The largest integer the stored form (orjson, SQLite, PostgreSQL bigint) keeps."""


def _fixed_offset(value: datetime) -> datetime:
    # Keep the local offset the time was recorded with, as a fixed offset: a zone's ambiguous
    # hour (a daylight-saving fold) would otherwise not compare equal after store and load.
    offset = value.utcoffset()
    assert offset is not None  # AwareDatetime has checked this
    return value.astimezone(timezone(offset))


LocalDatetime = Annotated[AwareDatetime, AfterValidator(_fixed_offset)]
"""A timezone-aware time, kept with the fixed UTC offset it had (e.g. +11:00 in Sydney)."""


ApsLevel = Literal["APS1", "APS2", "APS3", "APS4", "APS5", "APS6", "EL1", "EL2", "SES", "N/A"]
"""The officer's classification; ``N/A`` for the system (timers and policies)."""


class Role(StrEnum):
    """Roles named by the two procedures (domain reference 1.2 and 2.2)."""

    MSP_RECORDER = "MSP_RECORDER"
    MSP_REVIEWER = "MSP_REVIEWER"
    MSP_APPROVER = "MSP_APPROVER"
    """An approved decision maker for MSPs."""
    SERVICE_OFFICER = "SERVICE_OFFICER"
    """The implementing officer, often the OMC or PSSO."""
    OMC = "OMC"
    PSSO = "PSSO"
    CASE_MANAGER = "CASE_MANAGER"
    LITIGATION_CASE_MANAGER = "LITIGATION_CASE_MANAGER"
    TEAM_LEADER = "TEAM_LEADER"
    OPERATIONAL_LEADER = "OPERATIONAL_LEADER"
    SENIOR_LITIGATION_OFFICER = "SENIOR_LITIGATION_OFFICER"
    SRT_OFFICER = "SRT_OFFICER"
    DEBT_STAFF = "DEBT_STAFF"
    DPO_DELEGATE = "DPO_DELEGATE"
    SOCIAL_WORKER = "SOCIAL_WORKER"
    SYSTEM = "SYSTEM"
    """A timer or policy acting on the procedure's behalf."""


class Actor(BaseModel):
    """Who acted: staff id, role, APS level and team or site."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    staff_id: Identifier
    role: Role
    aps_level: ApsLevel
    team: Identifier


class DomainEvent(BaseModel):
    """Base of every recorded event: a frozen pydantic model with the common envelope.

    ``originator_id`` is the plan or case id and ``originator_version`` its gap-free sequence.
    ``occurred_at`` is when the action happened, ``recorded_at`` when it was recorded (both from
    the application's clock unless the command says when the action happened). ``reasons`` are
    mandatory on decision events (checked before recording), ``rules_applied`` lists the rule
    ids checked when the command was accepted.

    Schema evolution: raise ``class_version`` and add ``upcast_vN_vM(state: dict) -> None``
    static methods, as in eventsourcing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    class_version: ClassVar[int] = 1
    aggregate_type: ClassVar[str] = ""
    is_decision: ClassVar[bool] = False

    originator_id: UUID
    originator_version: int = Field(ge=1, le=MAX_INT)
    occurred_at: LocalDatetime
    recorded_at: LocalDatetime
    actor: Actor
    authority: OptionalPersonal = None
    reasons: tuple[PersonalText, ...] = ()
    evidence_refs: tuple[PersonalText, ...] = ()
    procedure_ref: str
    rules_applied: tuple[str, ...] = ()
    correlation_id: UUID | None = None
    causation_id: UUID | None = None

    @property
    def event_id(self) -> UUID:
        """A stable id from (aggregate id, sequence): unique, and the same on every replay."""
        return uuid5(EVENT_ID_NAMESPACE, f"{self.originator_id}:{self.originator_version}")

    @property
    def sequence(self) -> int:
        return self.originator_version

    @property
    def event_type(self) -> str:
        return type(self).__name__

    @property
    def schema_version(self) -> int:
        return type(self).class_version

    def payload(self) -> dict[str, Any]:
        """The event's own fields, without the envelope."""
        return self.model_dump(mode="json", exclude=_ENVELOPE_FIELDS)


ENVELOPE_FIELDS: tuple[str, ...] = tuple(DomainEvent.model_fields)
"""The envelope's field names, in the model's order (derived, never typed by hand)."""
_ENVELOPE_FIELDS: set[str] = set(ENVELOPE_FIELDS)
EVENT_ID_NAMESPACE = UUID("6f1c8a52-6a3b-4f0e-9d1e-2b4d2a7c9e10")
"""The namespace of :attr:`DomainEvent.event_id` (uuid5 of ``"<aggregate id>:<version>"``)."""
_EVENT_ID_NAMESPACE = EVENT_ID_NAMESPACE


class Snapshot(BaseModel):
    """A snapshot of an immutable pydantic aggregate state, for eventsourcing's snapshot store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    topic: str
    state: dict[str, Any]

    @classmethod
    def take(cls, aggregate: Any, *, topic: str | None = None) -> Self:
        """A snapshot of ``aggregate``; ``topic`` names its state class as stored (by default
        the class's own topic). An aggregate passes the topic its stored snapshots have always
        had, so moving the class in the code never changes what is written."""
        return cls(
            originator_id=aggregate.id,
            originator_version=aggregate.version,
            topic=topic or get_topic(type(aggregate)),
            state=aggregate.model_dump(mode="json"),
        )

    def mutate(self, _: Any = None) -> Any:
        state_class: type[BaseModel] = resolve_topic(self.topic)
        return state_class.model_validate(self.state)
