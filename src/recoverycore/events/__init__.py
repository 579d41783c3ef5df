"""The persisted contract: frozen pydantic events with the common envelope."""

from recoverycore.events import msp
from recoverycore.events._envelope import Actor, ApsLevel, DomainEvent, NonEmptyStr, Role, Snapshot

__all__ = ["Actor", "ApsLevel", "DomainEvent", "NonEmptyStr", "Role", "Snapshot", "msp"]
