"""Following a notification log past an event that cannot be read back.

An unreadable event (:class:`~recoverycore.errors.UnreadableEvent`) stops only the aggregate it
belongs to: a process application that meets one logs a warning naming it, keeps it in
``skipped``, and records the event's position with nothing else, so every other record carries
on and a restart does not meet it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import structlog
from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.system import Follower, ProcessingJob
from eventsourcing.utils import EnvType

from recoverycore.errors import UnreadableEvent

__all__ = ["SkipsUnreadable", "UnreadableNotification"]

_log = structlog.get_logger("recoverycore.policies")


@dataclass(frozen=True)
class UnreadableNotification:
    """Stands for a notification whose event could not be read back; no policy reacts to it."""

    error: UnreadableEvent

    @property
    def originator_id(self) -> UUID:
        return self.error.aggregate_id

    @property
    def originator_version(self) -> int:
        return self.error.version


class SkipsUnreadable(Follower[UUID]):
    """A follower that goes past an unreadable event with a warning instead of stopping.

    An event of the log it follows that cannot be read back, or an unreadable event of its own
    that its policy needs to react (a ledger, a customer record), makes it skip that one
    notification: the warning ``"unreadable event skipped"`` names the log, aggregate, version,
    notification and reason, the error is kept in :attr:`skipped`, and the notification's
    position is recorded (with no events), so the follower does not meet it again. An event
    that cannot be decrypted is not skipped (a wrong ``CIPHER_KEY`` would skip them all): the
    follower stops with the error.
    """

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.skipped: list[UnreadableEvent] = []
        """The unreadable events this follower went past, oldest first (also logged)."""

    def convert_notifications(
        self, leader_name: str, notifications: Iterable[Notification]
    ) -> list[ProcessingJob[UUID]]:
        jobs: list[ProcessingJob[UUID]] = []
        for notification in notifications:
            try:
                jobs.extend(super().convert_notifications(leader_name, [notification]))
            except UnreadableEvent as error:
                if not getattr(error, "skippable", True):
                    raise  # perhaps the reader's key, not the event: stop, loudly
                if error.notification_id is None:
                    error.notification_id = notification.id
                stand_in: DomainEventProtocol[UUID] = UnreadableNotification(error)
                jobs.append((stand_in, Tracking(leader_name, notification.id)))
        return jobs

    def process_event(self, domain_event: DomainEventProtocol[UUID], tracking: Tracking) -> None:
        # eventsourcing's Follower.process_event, with the policy's unreadable events skipped.
        with self.processing_lock:
            processing_event = ProcessingEvent[UUID](tracking=tracking)
            if isinstance(domain_event, UnreadableNotification):
                self._skip(domain_event.error, tracking)
            else:
                try:
                    self.policy(domain_event, processing_event)
                except UnreadableEvent as error:
                    self._skip(error, tracking)
                    processing_event = ProcessingEvent[UUID](tracking=tracking)
            recordings = self._record(processing_event)
            self._take_snapshots(processing_event)
            self.notify(processing_event.events)
            self._notify(recordings)

    def _skip(self, error: UnreadableEvent, tracking: Tracking) -> None:
        self.skipped.append(error)
        _log.warning(
            "unreadable event skipped",
            follower=self.name,
            log=error.log,
            aggregate_id=str(error.aggregate_id),
            version=error.version,
            notification_id=error.notification_id,
            position=f"{tracking.application_name}#{tracking.notification_id}",
            reason=error.reason,
        )
