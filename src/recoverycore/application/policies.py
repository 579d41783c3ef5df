"""The follow-up policy as an eventsourcing process application.

:class:`FollowUpPolicy` follows :class:`~recoverycore.RecoveryApp`'s notification log. For each
plan or case event it records the follow-ups that event causes (scheduled, completed,
cancelled) in the plan's or case's follow-up ledger, together with the tracking position of
the event, in one transaction: each upstream event is processed exactly once, and a restart
resumes after the last position recorded. :meth:`FollowUpPolicy.tick` makes follow-ups due when
a supplied time passes their due time; it never reads a clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any, ClassVar
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import IntegrityError, InternalError, OperationalError, Tracking
from eventsourcing.system import ProcessApplication, SingleThreadedRunner, System
from eventsourcing.utils import get_topic
from pydantic import BaseModel

from recoverycore.aggregates import cmr, msp
from recoverycore.application._following import SkipsUnreadable
from recoverycore.application._startup import StartsTogether
from recoverycore.application.clock import DEFAULT_TIME_ZONE
from recoverycore.application.holidays import holidays_for
from recoverycore.application.recovery import RecoveryApp
from recoverycore.errors import (
    AggregateNotFound,
    ConcurrentUpdateError,
    RuleViolation,
    StoreBusy,
    UnreadableEvent,
)
from recoverycore.events import DayCount
from recoverycore.events.cmr import CaseAllocated, CaseEvent
from recoverycore.events.follow_ups import FollowUpEvent, FollowUpScheduled
from recoverycore.events.msp import MspEvent, MspExpired, MspRecorded
from recoverycore.persistence import (
    ERASED,
    FOLLOW_UP_APPLICATION,
    SAFEGUARD_APPLICATION,
    ProtectedStorage,
    in_memory_env,
    subject_of_crn,
)
from recoverycore.policies import follow_ups, safeguards

__all__ = [
    "FOLLOWERS",
    "FollowUpPolicy",
    "SafeguardPolicy",
    "catch_up",
    "follow",
    "policy_system",
    "run_policies",
]

_log = structlog.get_logger("recoverycore.policies")


def _project_ledger(ledger: Any, events: Any) -> follow_ups.FollowUpLedger | None:
    return follow_ups.fold(events, ledger)


def configured_periods(config: BaseModel) -> dict[str, DayCount]:
    """The periods (:class:`~recoverycore.events.DayCount` fields) of an aggregate's
    configuration, by field name, as the follow-up rules name them."""
    return {name: value for name, value in config if isinstance(value, DayCount)}


class FollowUpPolicy(ProtectedStorage, StartsTogether, SkipsUnreadable, ProcessApplication[UUID]):
    """Follows the plans and cases and keeps their follow-up ledgers.

    A follow-up that asks for an action when it falls due (a plan's end date: the plan expires)
    has it recorded by :meth:`tick` through the :class:`~recoverycore.RecoveryApp` the policy
    follows (:meth:`follow_application`, :meth:`follow_leader`, or :meth:`records_through` for
    a runner that wires the logs itself, as :func:`run_policies` does).
    """

    name = FOLLOW_UP_APPLICATION
    env: ClassVar[dict[str, str]] = dict(RecoveryApp.env)
    time_zone = DEFAULT_TIME_ZONE

    def __init__(
        self,
        env: Any = None,
        *,
        public_holidays: Callable[[range], frozenset[date]] | None = None,
        case_config: cmr.CaseConfig | None = None,
    ) -> None:
        super().__init__(env)
        self.periods: dict[str, DayCount] = configured_periods(case_config or cmr.CaseConfig())
        """The configured periods the follow-up rules read (``dpo_delivery_check_after``): from
        ``case_config``, else from the application this policy follows."""
        self._periods_given = case_config is not None
        self._holidays = lru_cache(maxsize=8)(public_holidays or holidays_for(self.env))
        self._open_ledgers: set[UUID] | None = None
        self._upstream: RecoveryApp | None = None
        self._pending: follow_ups.FollowUpLedger | None = None
        self.expired: list[MspExpired] = []
        """The plan expiries the last :meth:`tick` recorded."""

    # -- processing -------------------------------------------------------------------------------
    def policy(
        self, domain_event: DomainEventProtocol[UUID], processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Record what one plan or case event causes, with its tracking, atomically."""
        if not isinstance(domain_event, MspEvent | CaseEvent):
            return
        year = domain_event.occurred_at.year
        ledger = self.ledger_of(domain_event.originator_id)
        new = follow_ups.react(
            ledger,
            domain_event,
            holidays=self._holidays(range(year - 1, year + 6)),
            time_zone=self.time_zone,
            periods=self.periods,
        )
        if new:
            processing_event.collect_events(*new)
            self._pending = follow_ups.fold(new, ledger)
            if self._open_ledgers is not None:
                self._open_ledgers.add(new[0].originator_id)

    def process_event(self, domain_event: DomainEventProtocol[UUID], tracking: Tracking) -> None:
        self._pending = None
        super().process_event(domain_event, tracking)
        # Recorded: keep the newer ledger, so the next event of a long history does not refold
        # it (eventsourcing fast-forwards a cached state but cannot write the newer one back).
        pending, self._pending = self._pending, None
        if pending is not None and self.repository.cache is not None:
            self.repository.cache.put(pending.id, pending)

    def follow_application(self, upstream: RecoveryApp) -> None:
        """Follow ``upstream``'s notification log (keeping it open for as long as this lives)."""
        self._upstream = upstream
        if not self._periods_given:
            self.periods = configured_periods(upstream.case_config)
        self.follow_leader(upstream)

    def follow_leader(self, leader: Any) -> None:
        """Follow ``leader``'s notification log; a :class:`~recoverycore.RecoveryApp` leader is
        also where :meth:`tick` records the plan expiries that fall due."""
        super().follow_leader(leader)
        if isinstance(leader, RecoveryApp):
            self._upstream = leader

    def records_through(self, upstream: RecoveryApp) -> None:
        """Record the actions follow-ups call for (a plan's expiry) through ``upstream``, whose
        log this policy already follows (a runner wired them: see :func:`run_policies`)."""
        self._upstream = upstream

    def catch_up(self, leader_name: str = RecoveryApp.name) -> None:
        """Process every event the leader recorded since the last one processed.

        Another process (``recoverycore follow``) may process the same events at the same
        time; an event it recorded first is done, not an error (see :func:`catch_up`).
        """
        catch_up(self, leader_name)

    # -- queries ----------------------------------------------------------------------------------
    def ledger_of(self, subject_id: UUID) -> follow_ups.FollowUpLedger | None:
        """The follow-up ledger of a plan or case (``None`` if it has none yet)."""
        return self._ledger(follow_ups.ledger_id(subject_id))

    def _ledger(self, ledger_id: UUID) -> follow_ups.FollowUpLedger | None:
        try:
            ledger: follow_ups.FollowUpLedger = self.repository.get(
                ledger_id, projector_func=_project_ledger
            )
        except AggregateNotFoundError:
            return None
        return ledger

    def follow_ups_of(self, subject_id: UUID) -> list[FollowUpEvent]:
        """Every follow-up event recorded about a plan or case, oldest first."""
        events = self.events.get(follow_ups.ledger_id(subject_id))
        return [e for e in events if isinstance(e, FollowUpEvent)]

    # -- time -------------------------------------------------------------------------------------
    def tick(self, now: datetime) -> list[FollowUpEvent]:
        """Make due every follow-up whose due time ``now`` has passed; returns what fell due.

        A plan whose end-date follow-up has fallen due (now, or at an earlier tick that could
        not record the expiry) is expired: ``ExpireMsp`` is recorded on it through the
        application this policy follows, as the policy (:data:`follow_ups.POLICY_ACTOR`, on
        ``RecoveryApp.handle_for_policy``), dated when the follow-up fell due and caused by its
        ``FollowUpDue``; the expiries recorded are kept in :attr:`expired`. A plan extended,
        ended or already expired meanwhile, or whose history cannot be read, is left as it is
        (logged).

        Ticking again with the same or an earlier time records nothing more.
        """
        due: list[FollowUpEvent] = []
        expiring: list[follow_ups.PlanExpiryDue] = []
        for ledger_id in sorted(self._ledgers_with_open_follow_ups()):
            try:
                ledger = self._ledger(ledger_id)
            except UnreadableEvent as unreadable:
                # One damaged ledger stops only its own follow-ups: every other plan's and
                # case's still fall due.
                _log.warning(
                    "unreadable follow-up ledger skipped",
                    ledger_id=str(ledger_id),
                    version=unreadable.version,
                    reason=unreadable.reason,
                )
                self.skipped.append(unreadable)
                continue
            new = follow_ups.tick(ledger, now)
            if not new and ledger is not None and not ledger.open:
                self._ledgers_with_open_follow_ups().discard(ledger_id)
                continue
            if new:
                try:
                    self.save(*new)
                except IntegrityError:
                    # Another tick recorded it first; nothing is lost. Its expiries are asked
                    # for again below: the plan refuses one recorded twice.
                    ledger = self._readable_ledger(ledger_id)
                else:
                    due.extend(new)
                    ledger = follow_ups.fold(new, ledger)
            expiring.extend(follow_ups.expiries_due(ledger))
        self.expired = self._expire(expiring)
        _log.info("follow-ups ticked", now=now.isoformat(), due=len(due), expired=len(self.expired))
        return due

    def _readable_ledger(self, ledger_id: UUID) -> follow_ups.FollowUpLedger | None:
        try:
            return self._ledger(ledger_id)
        except UnreadableEvent:
            return None

    def _expire(self, expiring: list[follow_ups.PlanExpiryDue]) -> list[MspExpired]:
        """Record each plan's expiry through the application followed, once."""
        recovery = self._upstream
        if recovery is None:
            if expiring:
                _log.warning(
                    "plans past their end date not expired: the policy records through no "
                    "RecoveryApp (see FollowUpPolicy.records_through)",
                    plans=[str(e.plan_id) for e in expiring],
                )
            return []
        expired: list[MspExpired] = []
        for expiry in expiring:
            log = _log.bind(plan_id=str(expiry.plan_id), follow_up_id=expiry.follow_up_id)
            command = msp.ExpireMsp(
                plan_id=expiry.plan_id,
                actor=follow_ups.POLICY_ACTOR,
                occurred_at=expiry.due_at,
                causation_id=expiry.due_event_id,
                correlation_id=expiry.caused_by,
            )
            try:
                events = recovery.handle_for_policy(command, retries=2)
            except RuleViolation as refusal:
                # Already expired, extended, ended or withdrawn, or the end date not yet reached
                # by the application's clock (asked again at the next tick).
                log.info("plan not expired", rule_id=refusal.rule_id, reason=refusal.reason)
                continue
            except UnreadableEvent as unreadable:
                # Only that plan stops; every other plan still expires.
                log.warning(
                    "plan not expired: its history cannot be read",
                    version=unreadable.version,
                    reason=unreadable.reason,
                )
                continue
            except (AggregateNotFound, ConcurrentUpdateError, StoreBusy) as error:
                log.warning("plan not expired", error=str(error))
                continue
            recorded = [e for e in events if isinstance(e, MspExpired)]
            expired.extend(recorded)
            log.info("plan expired", expired_on=[str(e.expired_on) for e in recorded])
        return expired

    def _ledgers_with_open_follow_ups(self) -> set[UUID]:
        if self._open_ledgers is None:
            # Rebuilt from the policy's own log (derivable, so it needs no storage of its own).
            # Only the scheduling events, selected by topic in the store, a page at a time.
            ledgers: set[UUID] = set()
            topics, start = [get_topic(FollowUpScheduled)], 1
            while page := self.recorder.select_notifications(start, 10_000, topics=topics):
                ledgers.update(UUID(str(n.originator_id)) for n in page)
                start = page[-1].id + 1
            self._open_ledgers = ledgers
        return self._open_ledgers


class SafeguardPolicy(ProtectedStorage, StartsTogether, SkipsUnreadable, ProcessApplication[UUID]):
    """Follows the plans and cases; a safety flag on one asks for it on the customer's others.

    RecoveryApp follows this policy in turn and records the flags (see ``RecoveryApp.policy``),
    so a reaction is recorded once, atomically with the position of what caused it.
    """

    name = SAFEGUARD_APPLICATION
    env: ClassVar[dict[str, str]] = dict(RecoveryApp.env)

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self._upstream: RecoveryApp | None = None

    def follow_application(self, upstream: RecoveryApp) -> None:
        self._upstream = upstream
        self.follow_leader(upstream)

    def catch_up(self, leader_name: str = RecoveryApp.name) -> None:
        """Process every event the leader recorded since the last one processed (an event
        another process recorded first is done, see :func:`catch_up`)."""
        catch_up(self, leader_name)

    def record(self, record_id: UUID) -> safeguards.Customer | None:
        """A customer record or owner record (``None`` if there is none)."""
        try:
            record: safeguards.Customer = self.repository.get(
                record_id, projector_func=_project_customer
            )
        except AggregateNotFoundError:
            return None
        return record

    def customer_id(self, crn: str, *, create: bool = False) -> UUID | None:
        """The id of the customer record of ``crn`` (``None`` if there is none and not
        ``create``). On a store that protects personal data it is random, found through the key
        store's lookup row of the CRN's keyed digest (made with a new id when ``create``), or
        the ``uuid5`` id of a customer recorded before; on one that keeps personal data plain
        (the CRN is stored as it is) it is ``uuid5`` of the CRN."""
        if crn == ERASED:
            return None
        personal = self.personal
        if personal is None:
            return UUID(hex=subject_of_crn(crn))
        subject = personal.record_of_crn(crn, create=create)
        return None if subject is None else UUID(hex=subject)

    def customer(self, crn: str) -> safeguards.Customer | None:
        """The customer record of ``crn`` (``None`` if there is none)."""
        record_id = self.customer_id(crn)
        return None if record_id is None else self.record(record_id)

    def policy(
        self, domain_event: DomainEventProtocol[UUID], processing_event: ProcessingEvent[UUID]
    ) -> None:
        """Link plans and cases to their customer; turn a safety flag into a reaction."""
        if not isinstance(domain_event, MspEvent | CaseEvent):
            return
        owner = self.record(safeguards.owner_id(domain_event.originator_id))
        crn = getattr(domain_event, "crn", None) or (owner.crn if owner else None)
        links = isinstance(domain_event, MspRecorded | CaseAllocated)
        record_id = self.customer_id(crn, create=links) if crn else None
        customer = self.record(record_id) if record_id else None
        new = safeguards.react(domain_event, customer=customer, owner=owner, customer_id=record_id)
        if new:
            processing_event.collect_events(*new)


CATCH_UP_ROUNDS = 20
"""How many times :func:`catch_up` starts again after losing a race to another process."""


def catch_up(follower: ProcessApplication[UUID], leader_name: str) -> None:
    """Process what ``leader_name`` recorded since ``follower``'s last recorded position.

    Losing a race for a position to another process following the same log (``recoverycore
    follow``, another query bringing the policy up to date) is normal: that process recorded
    it, exactly once, so it is treated as done (logged at debug) and the catch-up goes on from
    the newer position. After :data:`CATCH_UP_ROUNDS` lost races in a row the rest is left
    to the other process.
    """
    for attempt in range(1, CATCH_UP_ROUNDS + 1):
        try:
            follower.pull_and_process(leader_name)
        except IntegrityError as race:
            _log.debug(
                "already processed by another process",
                follower=follower.name,
                leader=leader_name,
                attempt=attempt,
                error=str(race),
            )
            continue
        return


def _project_customer(record: Any, events: Any) -> safeguards.Customer | None:
    return safeguards.fold(events, record)


def policy_system() -> System:
    """RecoveryApp followed by the follow-up and safeguard policies; RecoveryApp follows the
    safeguard policy back (to record the flags a reaction asks for)."""
    return System(
        pipes=[
            [RecoveryApp, FollowUpPolicy],
            [RecoveryApp, SafeguardPolicy, RecoveryApp],
        ]
    )


def run_policies(env: dict[str, str] | None = None) -> SingleThreadedRunner[UUID]:
    """Start RecoveryApp and its policies in one thread (in memory unless ``env`` says).

    Commands handled by ``runner.get(RecoveryApp)`` are followed at once by the policies.
    """
    runner: SingleThreadedRunner[UUID] = SingleThreadedRunner(
        policy_system(), env=env if env is not None else in_memory_env()
    )
    runner.start()
    # The runner wired the logs; the follow-up policy records plan expiries through this one.
    runner.get(FollowUpPolicy).records_through(runner.get(RecoveryApp))
    return runner


FOLLOWERS: dict[str, tuple[str, ...]] = {
    "follow-ups": (FollowUpPolicy.name, RecoveryApp.name),
    "safeguards": (SafeguardPolicy.name, RecoveryApp.name),
    "recovery": (RecoveryApp.name, SafeguardPolicy.name),
}
"""What ``recoverycore follow NAME`` runs: (the process application, the application it follows).
Run all three, each in its own process, for the whole system on a shared store (PostgreSQL)."""


def _start(app_class: type[Any], env: dict[str, str], attempts: int = 8) -> Any:
    # Processes started together on a new database create its tables at the same moment, and
    # PostgreSQL may refuse concurrent DDL ("tuple concurrently updated", a duplicate type);
    # the tables exist once one of them succeeds, so trying again is safe.
    for attempt in range(1, attempts + 1):
        try:
            return app_class(env=env)
        except (InternalError, IntegrityError, OperationalError):
            if attempt == attempts:
                raise
            _log.info("retrying start-up", application=app_class.name, attempt=attempt)
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def follow(
    which: str,
    env: dict[str, str],
    *,
    poll_seconds: float = 0.5,
    stop: threading.Event | None = None,
    max_polls: int | None = None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Run one process application of the system in this process, following its upstream's
    notification log until ``stop`` is set (or ``max_polls`` polls have run).

    Each poll processes whatever the upstream recorded since the last position recorded, so a
    process killed at any point resumes exactly where it left off. With ``clock``, the
    follow-up policy also ticks to ``clock()`` after each poll (follow-ups fall due and plans
    past their end date expire without a separate ``recoverycore tick``). Returns the polls
    run.
    """
    follower_name, leader_name = FOLLOWERS[which]
    classes: dict[str, type[Any]] = {
        RecoveryApp.name: RecoveryApp,
        FollowUpPolicy.name: FollowUpPolicy,
        SafeguardPolicy.name: SafeguardPolicy,
    }
    stop = stop or threading.Event()
    follower, leader = _start(classes[follower_name], env), _start(classes[leader_name], env)
    with follower, leader:
        follower.follow_leader(leader)
        polls = 0
        log = _log.bind(follower=follower_name, leader=leader_name)
        log.info("following")
        while not stop.is_set() and (max_polls is None or polls < max_polls):
            catch_up(follower, leader.name)
            if clock is not None and isinstance(follower, FollowUpPolicy):
                follower.tick(clock())
            polls += 1
            stop.wait(poll_seconds)
        log.info("stopped following", polls=polls)
    return polls
