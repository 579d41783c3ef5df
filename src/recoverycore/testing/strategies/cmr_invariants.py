"""The case's safeguards, as invariants over its event log: :class:`CaseInvariants`."""

from __future__ import annotations

from datetime import timedelta

from hypothesis.stateful import RuleBasedStateMachine, invariant

from recoverycore.aggregates import cmr
from recoverycore.events import cmr as ev
from recoverycore.testing.strategies.cmr_values import (
    SYDNEY,
    TERMINAL_EVENTS,
    actual_contact_times,
)

__all__ = ["CaseInvariants"]


class CaseInvariants(RuleBasedStateMachine):
    """The invariants of :class:`~recoverycore.testing.strategies.CaseStateMachine`: after every
    step, the case's ``events`` (as recorded) and ``state`` (as kept) obey the procedure's
    safeguards under ``config`` and the public holidays of ``holidays``."""

    config: cmr.CaseConfig
    holidays: cmr.ContactCalendar
    events: list[ev.CaseEvent]
    state: cmr.CaseState | None

    # -- invariants -------------------------------------------------------------------------------
    @invariant()
    def replay_equals_the_live_state(self) -> None:
        assert cmr.fold(self.events) == self.state

    @invariant()
    def versions_are_gap_free(self) -> None:
        assert [e.originator_version for e in self.events] == list(range(1, len(self.events) + 1))

    @invariant()
    def a_garnishee_is_never_placed_without_approval_and_an_approved_redress_check(self) -> None:
        approved: set[str] = set()
        checked: set[str] = set()
        for e in self.events:
            if isinstance(e, ev.GarnisheeApproved):
                approved.add(e.garnishee_id)
            elif isinstance(e, ev.DebtRedressCheckApproved):
                checked.add(e.garnishee_id)
            elif isinstance(e, ev.GarnisheePlaced):
                assert e.garnishee_id in approved
                assert e.garnishee_id in checked

    @invariant()
    def no_enforcement_on_a_paused_debt(self) -> None:
        paused: dict[str, set[str]] = {}
        garnished: dict[str, tuple[str, ...]] = {}
        for e in self.events:
            if isinstance(e, ev.RecoveryPaused):
                paused[e.pause_id] = set(e.debt_ids)
            elif isinstance(e, ev.RecoveryResumed):
                paused.pop(e.pause_id, None)
            elif isinstance(e, ev.GarnisheeAssessed):
                garnished[e.garnishee_id] = e.debt_ids
            elif isinstance(e, ev.GarnisheePlaced | ev.GarnisheeSubmitted):
                in_force = set().union(*paused.values()) if paused else set()
                assert not in_force & set(garnished[e.garnishee_id])
            elif isinstance(e, ev.DpoMade):
                in_force = set().union(*paused.values()) if paused else set()
                assert not in_force & set(e.debt_ids)

    @invariant()
    def no_employer_is_contacted_from_a_data_match_before_a_q289(self) -> None:
        data_match: set[str] = set()
        notified: set[str] = set()
        for e in self.events:
            if isinstance(e, ev.EmploymentLeadFound) and e.source.startswith("DATA_MATCH"):
                data_match.add(e.lead_id)
            elif isinstance(e, ev.LetterIssued) and e.code == "Q289":
                notified.add(e.employment_lead_id)
            elif isinstance(e, ev.EmployerContactAttempted) or (
                isinstance(e, ev.LetterIssued) and e.code == "Q609"
            ):
                lead = (
                    e.lead_id
                    if isinstance(e, ev.EmployerContactAttempted)
                    else (e.employment_lead_id)
                )
                assert lead not in data_match or lead in notified

    @invariant()
    def the_accc_caps_are_never_exceeded(self) -> None:
        times = actual_contact_times(self.events)
        for i, at in enumerate(times):
            week = [t for t in times[: i + 1] if at - t < timedelta(days=7)]
            month = [t for t in times[: i + 1] if at - t < timedelta(days=30)]
            assert len(week) <= self.config.max_actual_contacts_per_week
            assert len(month) <= self.config.max_actual_contacts_per_month

    @invariant()
    def calls_happen_in_contact_hours_and_never_on_a_public_holiday(self) -> None:
        for e in self.events:
            spoken = isinstance(e, ev.ContactAttempted) and e.channel in ("PHONE", "FACE_TO_FACE")
            if spoken or isinstance(e, ev.PreCallSmsSent):
                local = e.occurred_at.astimezone(SYDNEY)
                assert local.date() not in self.holidays.public_holidays
                start, end = (
                    self.config.weekday_contact_hours
                    if local.weekday() < 5
                    else self.config.weekend_contact_hours
                )
                assert start <= local.time() <= end

    @invariant()
    def a_closed_case_records_nothing_more_but_its_archiving(self) -> None:
        ended = next((i for i, e in enumerate(self.events) if isinstance(e, TERMINAL_EVENTS)), None)
        if ended is not None:
            after = self.events[ended + 1 :]
            assert all(
                isinstance(e, ev.CaseArchived | ev.ArchiveConsiderationRequested) for e in after
            )
            assert len(after) <= 1

    @invariant()
    def a_dpo_follows_a_delivered_warning_and_a_travel_pattern(self) -> None:
        delivered = travel = False
        for e in self.events:
            delivered = delivered or isinstance(e, ev.DpoWarningDelivered)
            travel = travel or (isinstance(e, ev.TravelPatternAssessed) and e.pattern_found)
            if isinstance(e, ev.DpoMade):
                assert delivered
                assert travel
