"""The read side of a store: its views kept up to date from the notification logs, and the
questions case managers, team leaders and auditors ask of them.

>>> from recoverycore import ReadModels
>>> with ReadModels(env) as views:                      # doctest: +SKIP
...     views.catch_up()
...     views.workload(as_of=now, officer_id="CM-1042")
...     views.audit(case_id, as_of=datetime(2026, 3, 1, tzinfo=ZoneInfo("Australia/Sydney")))
...     views.state_as_of(case_id, as_of=...)           # the case as it stood then

The views live beside the store: in the same PostgreSQL database (tables ``workload_*``,
``audit_*``, ``compliance_*``), or for SQLite in ``<store>.views.db`` next to the store's file.
This module is the application layer: it may fold a history with the aggregates, which the
projections themselves never import.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.projection import ProjectionRunner
from pydantic import BaseModel, ConfigDict

from recoverycore.aggregates import cmr, customer, decider_of_event, msp
from recoverycore.application.holidays import holidays_for
from recoverycore.application.policies import FollowUpPolicy
from recoverycore.application.recovery import RecoveryApp
from recoverycore.errors import AggregateNotFound
from recoverycore.events import normalise_crn
from recoverycore.persistence import PersonalData, StoreKind, personal_data_for, store_kind
from recoverycore.projections import (
    DEFAULT_BATCH_SIZE,
    VIEWS,
    CatchUpResult,
    Progress,
    Source,
    ViewRecorder,
    catch_up,
    open_sources,
    open_view,
    postgres_view_recorder,
    rebuild,
    sources_of,
    tolerant_application,
    view_projection,
)
from recoverycore.projections import audit as audit_view
from recoverycore.projections.audit import FollowUpRecord, Timeline
from recoverycore.projections.compliance import Compliance, ContactHours, compliance
from recoverycore.projections.workload import Workload, workload

__all__ = ["AuditReport", "ReadModels", "StateAsOf", "follow_views"]

_Answer = TypeVar("_Answer", bound=BaseModel)
_RECORD = "record"
"""A plan, a case or a customer record (what the audit questions take an id of)."""


def _personal_of(apps: Sequence[Application[Any]]) -> PersonalData | None:
    for app in apps:
        personal = getattr(app.mapper, "personal", None)
        if isinstance(personal, PersonalData):
            return personal
    return None


class StateAsOf(BaseModel):
    """A plan, case or customer record as it stood at a past time or version: what an auditor
    asks when they ask "what did this case look like on 1 March?"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject_id: str
    subject_type: str
    as_of: datetime | None
    version: int
    """The last event included."""
    state: msp.MspState | cmr.CaseState | customer.CustomerState
    """The record's state: the fold of its events up to then, as the aggregate has it."""
    pauses_in_force: tuple[cmr.Pause, ...]
    flags_in_force: tuple[str, ...]
    """Vulnerability (case, customer) or safety (plan) flags recorded and not cleared."""
    follow_ups_in_force: tuple[FollowUpRecord, ...]


class AuditReport(BaseModel):
    """What ``recoverycore audit ID`` prints: the timeline and the state it led to, both as the
    record stood at ``as_of`` (or ``version``, or now)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeline: Timeline
    state: StateAsOf


class ReadModels:
    """The views of one store, by name (``workload``, ``audit``, ``compliance``).

    ``env`` describes the store as for :class:`~recoverycore.RecoveryApp` (SQLite, PostgreSQL).
    For an in-memory system pass the running applications instead: ``ReadModels(apps=[recovery,
    follow_ups])`` (the views are then kept in memory too).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        apps: Sequence[Application[Any]] | None = None,
        names: Iterable[str] | None = None,
        case_config: cmr.CaseConfig | None = None,
    ) -> None:
        if (env is None) == (apps is None):
            raise ValueError("Give either the store's env or the running applications.")
        self.env = dict(env or {})
        self.case_config = case_config or cmr.CaseConfig()
        self._holidays = holidays_for(self.env)
        self._sources: dict[str, Source] = (
            sources_of(apps) if apps is not None else open_sources(self.env)
        )
        wanted = list(names) if names is not None else list(VIEWS)
        unknown = [n for n in wanted if n not in VIEWS]
        if unknown:
            raise ValueError(f"Unknown view(s) {unknown}; the views are {sorted(VIEWS)}.")
        self._views = {name: open_view(VIEWS[name], self.env) for name in wanted}
        self.personal: PersonalData | None = (
            _personal_of(apps) if apps is not None else personal_data_for(self.env)
        )

    # -- running ---------------------------------------------------------------------------------
    def view(self, name: str) -> ViewRecorder:
        """The recorder of one view (to query it with SQL, or dump it)."""
        try:
            return self._views[name]
        except KeyError:
            raise ValueError(f"No view {name!r} here; these are {sorted(self._views)}.") from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._views)

    @property
    def sources(self) -> Mapping[str, Source]:
        """The logs the views read, by application name (the report reads stored events)."""
        return self._sources

    def backlog(self) -> dict[str, int]:
        """Events recorded but not yet applied, per view (an upper bound when a view reads only
        some event types)."""
        return {
            name: sum(
                max(0, (self._sources[s].recorder.max_notification_id() or 0) - position)
                for s, position in view.positions().items()
                if s in self._sources
            )
            for name, view in self._views.items()
        }

    def catch_up(
        self,
        names: Iterable[str] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Mapping[str, Progress] | None = None,
    ) -> dict[str, CatchUpResult]:
        """Apply to each view what was recorded since its last position."""
        return {
            name: catch_up(
                self.view(name),
                self._sources,
                batch_size=batch_size,
                progress=(progress or {}).get(name),
            )
            for name in (names or self._views)
        }

    def rebuild(
        self,
        names: Iterable[str] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Mapping[str, Progress] | None = None,
    ) -> dict[str, CatchUpResult]:
        """Build each view again from the first event beside the live one, and switch to it in
        one transaction (see :func:`~recoverycore.projections.rebuild`). Only reads the logs:
        no policy reacts to a rebuild."""
        return {
            name: rebuild(
                self.view(name),
                self._sources,
                batch_size=batch_size,
                progress=(progress or {}).get(name),
            )
            for name in (names or self._views)
        }

    # -- questions -------------------------------------------------------------------------------
    def workload(
        self, *, as_of: datetime, officer_id: str | None = None, team: str | None = None
    ) -> Workload:
        """An officer's (or team's, or everyone's) open plans, cases and follow-ups at ``as_of``."""
        return self._reveal(
            workload(self.view("workload"), as_of=as_of, officer_id=officer_id, team=team)
        )

    def audit(
        self, subject_id: UUID | str, *, as_of: datetime | None = None, version: int | None = None
    ) -> Timeline:
        """A plan's, case's or customer record's timeline of actions (as recorded by ``as_of``,
        up to ``version``)."""
        return self._reveal(
            audit_view.timeline(self.view("audit"), subject_id, as_of=as_of, version=version)
        )

    def customer_audit(self, crn: str, *, as_of: datetime | None = None) -> Timeline:
        """Every action on every plan and case of one customer, in the order they happened."""
        stored = self._stored_crn(crn)
        timeline = audit_view.customer_timeline(self.view("audit"), stored, as_of=as_of)
        return self._reveal(timeline.model_copy(update={"crn": crn}))

    def compliance(
        self,
        *,
        as_of: datetime,
        crn: str | None = None,
        subject_id: UUID | str | None = None,
        history_years: int = 7,
    ) -> Compliance:
        """Contacts against the caps, letters past their response period without a review,
        pauses and flags in force, garnishees and rule breaches at ``as_of``, for one customer,
        one plan or case, or everyone, checked with this store's case rules
        (``case_config``) and public holidays (``RECOVERYCORE_HOLIDAY_STATES``) over the last
        ``history_years`` years."""
        config = self.case_config
        answer = compliance(
            self.view("compliance"),
            as_of=as_of,
            crn=None if crn is None else self._stored_crn(crn),
            subject_id=None if subject_id is None else str(subject_id),
            weekly_cap=config.max_actual_contacts_per_week,
            monthly_cap=config.max_actual_contacts_per_month,
            daily_attempts=config.max_attempts_per_day,
            contact_hours=ContactHours(
                weekday=config.weekday_contact_hours, weekend=config.weekend_contact_hours
            ),
            public_holidays=self._holidays(range(as_of.year - history_years, as_of.year + 1)),
        )
        return self._reveal(answer)

    # -- personal data ---------------------------------------------------------------------------
    def _stored_crn(self, crn: str) -> str:
        # A protected store's views hold a CRN as its (deterministic) token; a plain store's, in
        # its canonical spelling. Records from before CRNs were normalised hold the spelling
        # the officer typed: when the audit view knows the customer only by that, use it.
        typed = crn.strip()
        if self.personal is None:
            candidates = [normalise_crn(crn), typed]
        else:
            canonical = self.personal.token_for_crn(crn)
            legacy = self.personal.token_for_spelling(typed)
            candidates = [c for c in (canonical, legacy) if c is not None] or [crn]
        if len(set(candidates)) > 1 and "audit" in self._views:
            for candidate in candidates:
                if self._views["audit"].select(
                    "SELECT subject_id FROM {p}audit_subjects WHERE crn = :crn LIMIT 1",
                    {"crn": candidate},
                ):
                    return candidate
        return candidates[0]

    def _reveal(self, answer: _Answer) -> _Answer:
        """The answer with personal fields read from their tokens (``[erased]`` once the
        customer's key is destroyed)."""
        if self.personal is None:
            return answer
        return type(answer).model_validate(self.personal.reveal(answer.model_dump()))

    def state_as_of(
        self, subject_id: UUID | str, *, as_of: datetime | None = None, version: int | None = None
    ) -> StateAsOf:
        """The plan, case or customer record as it stood at ``as_of`` (or at ``version``): its
        events from the audit view folded by the aggregate, with the pauses, flags and
        follow-ups that were in force."""
        events = audit_view.events_until(
            self.view("audit"), subject_id, as_of=as_of, version=version
        )
        if not events:
            when = as_of.isoformat() if as_of else f"version {version}" if version else ""
            raise AggregateNotFound(UUID(str(subject_id)), kind=_RECORD, when=when)
        follow_ups = self.audit(subject_id, as_of=as_of, version=version).follow_ups_in_force
        decider = decider_of_event(events[0])
        state = decider.fold(e for e in events if decider.owns(e)) if decider else None
        if decider is None or state is None:
            raise AggregateNotFound(UUID(str(subject_id)), kind=_RECORD)
        return self._reveal(
            StateAsOf(
                subject_id=str(subject_id),
                subject_type=decider.kind,
                as_of=as_of,
                version=events[-1].originator_version,
                state=state,
                pauses_in_force=decider.pauses_in_force(state),
                flags_in_force=decider.flags_in_force(state),
                follow_ups_in_force=follow_ups,
            )
        )

    def audit_report(
        self, subject_id: UUID | str, *, as_of: datetime | None = None, version: int | None = None
    ) -> AuditReport:
        """The timeline and the state as of the same moment (what ``recoverycore audit`` shows)."""
        return AuditReport(
            timeline=self.audit(subject_id, as_of=as_of, version=version),
            state=self.state_as_of(subject_id, as_of=as_of, version=version),
        )

    # -- lifetime --------------------------------------------------------------------------------
    def close(self) -> None:
        for view in self._views.values():
            closer = getattr(getattr(view, "datastore", None), "close", None)
            if closer is not None:
                closer()
        for source in self._sources.values():
            source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def follow_views(
    env: Mapping[str, str],
    names: Iterable[str] | None = None,
    *,
    stop: threading.Event,
    poll_seconds: float = 0.5,
    progress: Mapping[str, Progress] | None = None,
) -> None:
    """Keep views up to date until ``stop`` is set: the process ``recoverycore project
    --follow`` runs.

    First a batch catch-up of everything recorded so far. Then, on PostgreSQL, eventsourcing's
    ``ProjectionRunner`` for each view and each log it reads (subscribed with LISTEN/NOTIFY,
    one event per transaction); on SQLite, whose eventsourcing recorder cannot subscribe, a
    catch-up every ``poll_seconds``. Either way a process stopped or killed at any point resumes
    after the last position it committed.
    """
    with ReadModels(env, names=names) as views:
        views.catch_up(progress=progress)
        if store_kind(env) is not StoreKind.POSTGRES:
            while not stop.wait(poll_seconds):
                views.catch_up()
            return
        with contextlib.ExitStack() as stack:
            runners = [
                stack.enter_context(
                    ProjectionRunner(
                        application_class=tolerant_application(application_class),
                        projection_class=view_projection(VIEWS[name]),
                        view_class=postgres_view_recorder(VIEWS[name]),
                        env=dict(env),
                    )
                )
                for name in views.names
                for application_class in (RecoveryApp, FollowUpPolicy)
            ]
            while not stop.wait(poll_seconds):
                for runner in runners:
                    runner.run_forever(timeout=0)  # re-raises a runner's error
