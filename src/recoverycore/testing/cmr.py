"""Given/when/then helpers and command builders for the CaseManagedRecovery aggregate.

The case counterpart of :class:`recoverycore.testing.Scenario` and
:class:`recoverycore.testing.MspBuilder` (procedure 107-20112320). Everything works on the pure
functions :func:`~recoverycore.aggregates.cmr.decide` and :func:`~recoverycore.aggregates.cmr.fold`,
without storage::

    from recoverycore.testing import case_builder, given_case  # re-exported from this module

    b = case_builder()
    [letter] = b.contacted_without_answer().when(b.q190())
    assert letter.respond_by == letter.occurred_at.date() + timedelta(days=15)
    error = b.onboarded().refused(b.add_document(name="referral.pdf"))
    assert error.rule_id == "CMR-R2"
    later = given_case(b.onboarded().events, now=b.day(1)).then(b.capacity_review())

Time matters to the case rules (contact hours and caps, letter response periods, the garnishee
warning's 90 days, the DPO warning's 14 and 23 days), so a scenario carries the time at which
its commands are decided (``now``) and the builder's histories move it forward realistically:
``scenario.at(when)`` or ``scenario.later(days=1)`` moves it on, and a command's ``occurred_at``
(if given) must not be later than ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel

from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr import CaseCommand, CaseConfig, CaseState, ContactCalendar
from recoverycore.aggregates.customer import CustomerState
from recoverycore.errors import RuleViolation
from recoverycore.events.cmr import CaseEvent
from recoverycore.testing._cmr_defaults import DEFAULT_BUILDERS, CaseCommandDefaults, case_staff
from recoverycore.testing._shared import EPOCH

__all__ = [
    "CASE_EPOCH",
    "DEFAULT_BUILDERS",
    "CaseBuilder",
    "CaseCommandDefaults",
    "CaseScenario",
    "case_builder",
    "case_staff",
    "given_case",
]

CASE_EPOCH = EPOCH
"""The default start of case scenarios: Monday 2 March 2026, 9 am in Sydney (the same moment as
:data:`~recoverycore.testing.EPOCH`, of which it is an alias)."""


@dataclass(frozen=True)
class CaseScenario:
    """A case's history (``given``) and the time, configuration and public-holiday calendar
    its next command is decided with (``when``).

    Scenarios are immutable: :meth:`then` and :meth:`at` return new ones.
    """

    events: tuple[CaseEvent, ...] = ()
    now: datetime = CASE_EPOCH
    config: CaseConfig = field(default_factory=CaseConfig)
    calendar: ContactCalendar = field(default_factory=ContactCalendar)
    customer: CustomerState | None = None
    """The customer's record the next command is decided with (``None``: none yet)."""
    related: tuple[BaseModel, ...] = ()
    """The customer's other plans and cases (their states)."""

    @property
    def state(self) -> CaseState | None:
        """The case as the history makes it (``None`` before it is allocated)."""
        return cmr.fold(self.events)

    def at(self, now: datetime) -> CaseScenario:
        """The same history, with the next commands decided at ``now``."""
        return replace(self, now=now)

    def later(self, *, days: int = 0, hours: int = 0, minutes: int = 0) -> CaseScenario:
        """The same history, decided that much later."""
        return self.at(self.now + timedelta(days=days, hours=hours, minutes=minutes))

    def configured(self, config: CaseConfig) -> CaseScenario:
        """The same history, decided with ``config``."""
        return replace(self, config=config)

    def with_calendar(self, calendar: ContactCalendar) -> CaseScenario:
        """The same history, decided with the national public holidays of ``calendar``."""
        return replace(self, calendar=calendar)

    def with_holidays(self, *holidays: date) -> CaseScenario:
        """The same history, with ``holidays`` as the national public holidays."""
        return self.with_calendar(ContactCalendar(public_holidays=frozenset(holidays)))

    def for_customer(self, customer: CustomerState | None, *related: BaseModel) -> CaseScenario:
        """The same history, decided with the customer's record ``customer`` and their other
        plans' and cases' states ``related``."""
        return replace(self, customer=customer, related=related)

    def when(self, command: CaseCommand) -> list[CaseEvent]:
        """The events ``command`` would record (raises :class:`RuleViolation` if refused)."""
        return cmr.decide(
            self.state,
            command,
            now=self.now,
            config=self.config,
            calendar=self.calendar,
            customer=self.customer,
            related={getattr(r, "id"): r for r in self.related},  # noqa: B009
        )

    def refused(self, command: CaseCommand) -> RuleViolation:
        """Assert that ``command`` is refused, and return the refusal to inspect."""
        try:
            events = self.when(command)
        except RuleViolation as refusal:
            return refusal
        raise AssertionError(
            f"{type(command).__name__} was accepted, recording {[type(e).__name__ for e in events]}"
        )

    def then(self, command: CaseCommand) -> CaseScenario:
        """Decide ``command`` and continue from the history it makes."""
        return replace(self, events=(*self.events, *self.when(command)))

    def then_at(self, now: datetime, command: CaseCommand) -> CaseScenario:
        """Move to ``now``, then decide ``command`` and continue from the history it makes."""
        return self.at(now).then(command)


def given_case(
    *events: CaseEvent | Sequence[CaseEvent],
    now: datetime = CASE_EPOCH,
    config: CaseConfig | None = None,
    calendar: ContactCalendar | None = None,
) -> CaseScenario:
    """A case scenario from events (or lists of events), oldest first, decided at ``now``."""
    flat: list[CaseEvent] = []
    for item in events:
        if isinstance(item, CaseEvent):
            flat.append(item)
        else:
            flat.extend(item)
    return CaseScenario(tuple(flat), now, config or CaseConfig(), calendar or ContactCalendar())


class CaseBuilder(CaseCommandDefaults):
    """Valid commands for one case, every field overridable, and common histories.

    Each command method takes keyword overrides of the command's fields (``actor``,
    ``occurred_at``, ``reasons`` included) and returns a command the rules accept in the
    matching history. The history methods (:meth:`allocated`, :meth:`onboarded`, ...) decide
    their commands at realistic times counted from the builder's start (``now``) and return a
    :class:`CaseScenario` whose ``now`` is the time of the last command; with the default start
    (Monday 2 March 2026, 9 am) the days are:

    ======  =====================================================================================
    day 0   allocation and onboarding (9:00-9:20); record review; first call (10:05)
    day 1   second call (10:05): two genuine attempts, no answer
    day 2   Q190 'final option' letter (9:30), the garnishee warning; 15 days to respond
    day 3   inbound call: debt discussed, financial circumstance assessment, refusal (11:00-11:25)
    day 4   investigation starts: FI account lead (10:00); or closure starts (``closing``)
    day 9   DPO track: travel pattern, referral, DPO warning by the SRT officer (10:00-10:30)
    ======  =====================================================================================

    The garnishee histories continue on the first working day after every letter's response
    period has ended, and the DPO histories check delivery and make the order on the first
    working days the configured periods allow.
    A customer subscribed to SMS (``sms_subscribed=True``) gets a pre-call SMS before each call.

    Actors: :attr:`case_manager` (the case's case manager: SRT, APS 5), :attr:`team_leader`,
    :attr:`operational_leader`, :attr:`srt_officer`, :attr:`litigation_case_manager`,
    :attr:`senior_litigation_officer`, :attr:`debt_staff`, :attr:`dpo_delegate`,
    :attr:`social_worker` and the :attr:`allocator` (the team leader, who allocates the case
    individually: S-CMR T1.S2).
    """

    # -- histories --------------------------------------------------------------------------------
    def start(self) -> CaseScenario:
        """No history yet, decided at the builder's start."""
        return CaseScenario((), self.now, self.config, self.calendar)

    def allocated(self) -> CaseScenario:
        """Day 0, 9:00: the team leader allocates the customer to the case manager."""
        return self.start().then_at(self.day(0, 9, 0), self.allocate())

    def onboarded(self) -> CaseScenario:
        """Table 1 done by 9:20: suitable, DOA DOC, actor relationship, case file."""
        return (
            self.allocated()
            .then_at(self.day(0, 9, 5), self.assess_suitability())
            .then_at(self.day(0, 9, 10), self.create_doa_doc())
            .then_at(self.day(0, 9, 15), self.apply_actor_relationship())
            .then_at(self.day(0, 9, 20), self.create_case_file())
        )

    def _call(self, scenario: CaseScenario, day: int) -> CaseScenario:
        if self.sms_subscribed:
            scenario = scenario.then_at(self.day(day, 10, 0), self.pre_call_sms())
        return scenario.then_at(self.day(day, 10, 5), self.contact_attempt())

    def contacted_without_answer(self) -> CaseScenario:
        """The record reviewed (day 0, 9:30) and two genuine calls unanswered (days 0 and 1,
        10:05), each after a pre-call SMS if the customer is subscribed."""
        scenario = self.onboarded().then_at(self.day(0, 9, 30), self.capacity_review())
        return self._call(self._call(scenario, 0), 1)

    def final_option_sent(self) -> CaseScenario:
        """Day 2, 9:30: the Q190 'final option' letter (a garnishee warning)."""
        return self.contacted_without_answer().then_at(self.day(2, 9, 30), self.q190())

    def refused_after_q190(self) -> CaseScenario:
        """Day 3: the customer rings in, the debt is discussed, an FCA is done, and the customer
        refuses any arrangement."""
        return (
            self.final_option_sent()
            .then_at(self.day(3, 11, 0), self.discussion())
            .then_at(self.day(3, 11, 20), self.fca())
            .then_at(self.day(3, 11, 25), self.refusal())
        )

    def arranged(self) -> CaseScenario:
        """Onboarded, then an inbound call (day 0, 11:00) ends in an acceptable arrangement."""
        return (
            self.onboarded()
            .then_at(self.day(0, 11, 0), self.discussion())
            .then_at(self.day(0, 11, 10), self.acceptable_arrangement())
        )

    def employment_lead_found(self, **kw: Any) -> CaseScenario:
        """After the refusal, a data-match employment lead (day 4, 10:00)."""
        return self.refused_after_q190().then_at(self.day(4, 10, 0), self.employment_lead(**kw))

    def garnishee_ready(self) -> CaseScenario:
        """After the refusal, an FI account lead (day 4); decided at 10:00 the day after every
        letter's response period has ended, so an FI garnishee assessment finds it
        appropriate."""
        scenario = self.refused_after_q190().then_at(self.day(4, 10, 0), self.fi_lead())
        return scenario.at(self._after_letters(scenario))

    def working_day_after(self, day: date, hour: int = 10, minute: int = 0) -> datetime:
        """The first weekday after ``day`` that is not a public holiday of the builder's
        calendar, at ``hour:minute`` local time."""
        day += timedelta(days=1)
        while day.weekday() >= 5 or day in self.calendar.public_holidays:
            day += timedelta(days=1)
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)

    def _after_letters(self, scenario: CaseScenario) -> datetime:
        state = scenario.state
        assert state is not None
        last = max((x.respond_by for x in state.letters), default=self.day(0).date())
        return max(self.working_day_after(last), scenario.now)

    def garnishee_assessed(self, **kw: Any) -> CaseScenario:
        """The FI garnishee assessed as appropriate (or per ``kw``, overrides of
        :meth:`assess_garnishee`)."""
        return self.garnishee_ready().then(self.assess_garnishee(**kw))

    def garnishee_submitted(self) -> CaseScenario:
        """The submission saved in the case file and sent to the OL (10 and 20 minutes on)."""
        scenario = self.garnishee_assessed()
        return (
            scenario.later(minutes=10)
            .then(self.submission_document())
            .later(minutes=10)
            .then(self.submit_garnishee())
        )

    def garnishee_approved(self) -> CaseScenario:
        """The next working morning: the OL approves; the Debt Redress Check is actioned (clear) and
        approved. The garnishee can now be placed."""
        scenario = self.garnishee_submitted()
        at = self.working_day_after(scenario.now.astimezone(self.zone).date(), 9)
        return (
            scenario.then_at(at, self.decide_garnishee())
            .then_at(at + timedelta(minutes=30), self.redress_check())
            .then_at(at + timedelta(minutes=60), self.approve_redress_check())
        )

    def garnishee_placed(self) -> CaseScenario:
        """An hour after the approvals, the garnishee is placed."""
        return self.garnishee_approved().later(hours=1).then(self.place_garnishee())

    def dpo_referred(self) -> CaseScenario:
        """Day 9, 10:00-10:10: a travel pattern is found and the customer referred for a DPO."""
        return (
            self.refused_after_q190()
            .then_at(self.day(9, 10, 0), self.travel_pattern())
            .then_at(self.day(9, 10, 10), self.refer_for_dpo())
        )

    def dpo_warned(self) -> CaseScenario:
        """Day 9, 10:30: the SRT officer issues the tracked DPO warning (23 days to respond)."""
        return self.dpo_referred().then_at(self.day(9, 10, 30), self.dpo_warning())

    def dpo_warning_delivered(self) -> CaseScenario:
        """The SRT officer confirms delivery on the first working day once the configured wait
        (14 days) has passed."""
        scenario = self.dpo_warned()
        wait = self.config.dpo_delivery_check_after
        check_from = cmr.add_days(self.day(9).date(), wait, self.calendar.public_holidays)
        at = self.working_day_after(check_from - timedelta(days=1))
        return scenario.then_at(at, self.confirm_dpo_delivery())

    def dpo_made(self) -> CaseScenario:
        """The first working day after the DPO warning's response period ends, the delegate
        makes the DPO."""
        scenario = self.dpo_warning_delivered()
        state = scenario.state
        assert state is not None
        warning = state.dpo_warning()
        assert warning is not None
        at = self.working_day_after(warning.respond_by)
        return scenario.then_at(max(at, scenario.now), self.make_dpo())

    def closing(self, **kw: Any) -> CaseScenario:
        """Day 4, 10:00: after the refused Q190, closure starts (recovery options exhausted,
        or per ``kw``, overrides of :meth:`close`)."""
        return self.refused_after_q190().then_at(self.day(4, 10, 0), self.close(**kw))

    def closed(self) -> CaseScenario:
        """The ROE closure with the Fast Note and every Table 5 step, completed by 10:35."""
        scenario = self.closing().later(minutes=5).then(self.roe_fast_note())
        for step in (*self.closing_steps(), self.complete_closure()):
            scenario = scenario.later(minutes=5).then(step)
        return scenario


def case_builder(**kwargs: Any) -> CaseBuilder:
    """A :class:`CaseBuilder` for a fresh case (see its arguments)."""
    return CaseBuilder(**kwargs)
