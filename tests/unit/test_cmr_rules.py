"""Given/when/then tests of the CaseManagedRecovery's rules (procedure 107-20112320).

Each test decides one command against a history with the pure ``decide`` (no storage) and
checks the events it would record, or the rule that refuses it. Every refusal must say what
is wrong and what to do instead and record nothing; every accepted event names the rules that
were checked. Histories come from :class:`recoverycore._case_testing.CaseBuilder`, whose
timeline starts on Monday 2 March 2026 (day 0) in Sydney: two unanswered calls (days 0-1), the
Q190 'final option' letter (day 2, Wednesday 4 March, 15 days to respond), the customer's
refusal (day 3), then investigation, enforcement, the DPO track or closure.

Tests marked ``xfail(strict=True, reason="bug: ...")`` describe what the procedure requires and
the aggregate does not do yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from recoverycore._case_testing import (
    CASE_EPOCH,
    CaseBuilder,
    CaseScenario,
    case_builder,
    case_staff,
    given_case,
)
from recoverycore.aggregates import cmr
from recoverycore.aggregates.cmr import (
    CaseCommand,
    CaseConfig,
    CaseState,
    ContactCalendar,
    DayCount,
    Debt,
)
from recoverycore.errors import AggregateNotFound, RuleViolation
from recoverycore.events._envelope import Actor, Role
from recoverycore.events.cmr import (
    ArchiveConsiderationRequested,
    ArrangementAgreed,
    CaseAllocated,
    CaseClosed,
    CaseClosureStarted,
    CaseEvent,
    CivilActionEnded,
    ContactAttempted,
    DacIssued,
    DebtDiscussed,
    DebtPaidInFull,
    DoaDocCreated,
    DpoMade,
    DpoNotified,
    DpoRevoked,
    DpoWarningDelivered,
    DpoWarningNotDelivered,
    EmployerContactAttempted,
    GarnisheeApproved,
    GarnisheeAssessed,
    GarnisheePlaced,
    GarnisheeRemittanceRecorded,
    GarnisheeSubmitted,
    LetterIssued,
    OpcvCodingEnded,
    PreCallSmsBlocked,
    PreCallSmsSent,
    RecoveryPaused,
    ReviewRequested,
    SituationalHardshipSmsExcluded,
    SuitabilityAssessed,
    VulnerabilityFlagCleared,
    VulnerabilityFlagRecorded,
)

E = TypeVar("E", bound=CaseEvent)

B = case_builder()
"""An SRT case with two debts (D-1 $12,400, D-2 $3,600), customer not subscribed to SMS."""
SMS = case_builder(sms_subscribed=True)
"""The same case for a customer subscribed to SMS: a pre-call SMS precedes every call."""
ZONE = ZoneInfo("Australia/Sydney")
Q190_ISSUED = B.day(2).date()
"""Wednesday 4 March 2026: the builder's Q190 'final option' letter, a garnishee warning."""
STRANGER = case_staff(Role.CASE_MANAGER, "CM-9999", team="TRT")


# -- helpers --------------------------------------------------------------------------------------
def names(events: Sequence[CaseEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


def single(events: Sequence[CaseEvent], cls: type[E]) -> E:
    """The one event recorded, of type ``cls``."""
    assert len(events) == 1, names(events)
    [event] = events
    assert isinstance(event, cls), names(events)
    return event


def refused(scenario: CaseScenario, command: CaseCommand, rule_id: str) -> RuleViolation:
    """The command is refused by ``rule_id``, with words an officer can act on, and nothing is
    returned or recorded."""
    before = scenario.state
    with pytest.raises(RuleViolation) as raised:
        cmr.decide(
            before, command, now=scenario.now, config=scenario.config, calendar=scenario.calendar
        )
    error = raised.value
    assert error.rule_id == rule_id, str(error)
    assert error.reason.strip(), "a refusal says what is wrong"
    assert error.remedy.strip(), "a refusal says what to do instead"
    assert scenario.state == before, "a refusal records nothing"
    return error


def accepted(scenario: CaseScenario, command: CaseCommand, *rules: str) -> list[CaseEvent]:
    """The events the command records; each names at least ``rules`` as checked."""
    events = scenario.when(command)
    assert events, "an accepted command records something"
    for event in events:
        missing = set(rules) - set(event.rules_applied)
        assert not missing, f"{type(event).__name__} does not list {sorted(missing)}"
        assert event.originator_id == B.case_id
    return events


def after(scenario: CaseScenario, *commands: CaseCommand) -> CaseState:
    for command in commands:
        scenario = scenario.then(command)
    assert scenario.state is not None
    return scenario.state


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """Day ``day`` of the builder's timeline at ``hour:minute`` in Sydney."""
    return B.day(day, hour, minute)


def letter(events: Sequence[CaseEvent]) -> LetterIssued:
    return single(events, LetterIssued)


# -- common histories ----------------------------------------------------------------------------
def onboarded(b: CaseBuilder = B) -> CaseScenario:
    return b.onboarded()


def contacted(b: CaseBuilder = B) -> CaseScenario:
    """Two genuine, unanswered calls; decided on day 2 at 9:30."""
    return b.contacted_without_answer().at(b.day(2, 9, 30))


def refused_customer(b: CaseBuilder = B) -> CaseScenario:
    """The Q190 sent and the customer's refusal recorded (day 3, 11:25)."""
    return b.refused_after_q190()


def investigating(b: CaseBuilder = B) -> CaseScenario:
    """After the refusal, decided on day 4 at 10:00."""
    return b.refused_after_q190().at(b.day(4))


def with_lead(source: str = "DATA_MATCH_STP") -> CaseScenario:
    """An employment lead from ``source``, decided on day 4 at 10:30."""
    return B.employment_lead_found(source=source).at(at(4, 10, 30))


def with_q289() -> CaseScenario:
    return with_lead().then(B.q289()).at(at(5))


def ready() -> CaseScenario:
    """Every letter's response period over (Friday 20 March), an FI lead, the refusal."""
    return B.garnishee_ready()


def assessed(b: CaseBuilder = B, **kw: Any) -> CaseScenario:
    return b.garnishee_assessed(**kw)


def submitted() -> CaseScenario:
    return B.garnishee_submitted()


def approved() -> CaseScenario:
    """Approved by the OL with the Debt Redress Check clear and approved (Monday 23 March)."""
    return B.garnishee_approved()


def placed() -> CaseScenario:
    return B.garnishee_placed()


def dpo_referred() -> CaseScenario:
    return B.dpo_referred().at(at(9, 10, 30))


def dpo_warned() -> CaseScenario:
    """The DPO warning issued on day 9 (Wednesday 11 March), 23 days to respond."""
    return B.dpo_warned()


def dpo_delivered() -> CaseScenario:
    """Delivery confirmed on Wednesday 25 March; the response period ends Friday 3 April."""
    return B.dpo_warning_delivered()


def dpo_in_force() -> CaseScenario:
    return B.dpo_made()


def closing() -> CaseScenario:
    """Closure started for recovery options exhausted (day 4, 10:00)."""
    return B.closing()


def with_flag(kind: str, scenario: CaseScenario | None = None) -> CaseScenario:
    base = scenario if scenario is not None else investigating()
    return base.then(B.flag(kind=kind))


def config(**fields: Any) -> CaseConfig:
    return CaseConfig.model_validate(fields)


# == Table 1: a new case ==========================================================================
# -- C1 AllocateCase ------------------------------------------------------------------------------
def test_wlm_allocates_the_customer_to_a_case_manager_and_onboarding_starts() -> None:
    events = accepted(B.start(), B.allocate(), "CMR-A2")

    allocated = single(events, CaseAllocated)
    assert allocated.originator_version == 1
    assert (allocated.case_manager_id, allocated.team) == ("CM-3012", "SRT")
    assert allocated.recorded_at == CASE_EPOCH
    state = after(B.start(), B.allocate())
    assert (state.status, state.stage) == ("OPEN", "ONBOARDING")
    assert state.debt_ids == ("D-1", "D-2")


def test_a_case_id_is_allocated_only_once() -> None:
    error = refused(B.allocated(), B.allocate(), "CMR-A2")
    assert str(B.case_id) in error.reason


def test_a_customer_who_is_already_case_managed_is_not_allocated_again() -> None:
    refused(B.start(), B.allocate(already_case_managed=True), "CMR-A1")


def test_a_case_needs_at_least_one_debt() -> None:
    refused(B.start(), B.allocate(debts=()), "CMR-A2")


def test_an_action_dated_after_it_is_recorded_is_refused() -> None:
    scenario = onboarded()

    refused(B.start(), B.allocate(occurred_at=CASE_EPOCH + timedelta(minutes=1)), "CMR-A2")
    refused(scenario, B.capacity_review(occurred_at=scenario.now + timedelta(hours=1)), "CMR-A2")


def test_an_action_recorded_after_it_happened_keeps_when_it_happened() -> None:
    scenario = onboarded().at(at(0, 11))
    called = at(0, 10, 5)

    attempt = single(scenario.when(B.contact_attempt(occurred_at=called)), ContactAttempted)
    assert (attempt.occurred_at, attempt.recorded_at) == (called, at(0, 11))


def test_a_command_for_a_case_never_allocated_finds_no_case() -> None:
    with pytest.raises(AggregateNotFound):
        B.start().when(B.capacity_review())


# -- CMR-R1 who acts on a case --------------------------------------------------------------------
@pytest.mark.parametrize(
    "actor",
    [
        STRANGER,
        case_staff(Role.SERVICE_OFFICER, "SO-4411", team="SRT"),
        case_staff(Role.CASE_MANAGER, "CM-0001", team="Parramatta Service Centre"),
    ],
    ids=["other-team-case-manager", "service-officer", "service-centre-case-manager"],
)
def test_only_the_assigned_case_manager_or_team_takes_recovery_actions(actor: Actor) -> None:
    error = refused(onboarded(), B.capacity_review(actor=actor), "CMR-R1")

    assert "CM-3012" in error.reason
    assert "DOA DOC" in error.remedy


def test_another_officer_of_the_case_team_may_act_on_the_case() -> None:
    colleague = case_staff(Role.CASE_MANAGER, "CM-4100", team="SRT")

    assert names(accepted(onboarded(), B.capacity_review(actor=colleague), "CMR-R1")) == [
        "RecordReviewed"
    ]


# -- C2 AssessSuitability -------------------------------------------------------------------------
def test_the_case_manager_finds_the_case_suitable_and_engagement_starts() -> None:
    events = accepted(B.allocated(), B.assess_suitability(), "CMR-R1", "CMR-A8")

    assessed_ = single(events, SuitabilityAssessed)
    assert assessed_.suitable
    assert assessed_.outstanding_balance == Decimal("16000.00")
    assert after(B.allocated(), B.assess_suitability()).stage == "ENGAGEMENT"


def test_an_unsuitable_case_is_recorded_after_discussing_it_with_the_ol() -> None:
    state = after(B.allocated(), B.assess_suitability(suitable=False))

    assert (state.suitable, state.stage) == (False, "ONBOARDING")


def test_an_unsuitable_case_must_be_discussed_with_the_operational_leader() -> None:
    command = B.assess_suitability(suitable=False, discussed_with_ol=None)

    refused(B.allocated(), command, "CMR-R4")


@pytest.mark.parametrize("reasons", [(), ("OK",), ("  ", "Fine")])
def test_a_suitability_assessment_needs_its_reasons(reasons: tuple[str, ...]) -> None:
    refused(B.allocated(), B.assess_suitability(reasons=reasons), "CMR-A8")


def test_an_unsuitable_assessment_records_the_ol_it_was_discussed_with() -> None:
    events = B.allocated().when(B.assess_suitability(suitable=False))

    assert "OL-0107" in str(single(events, SuitabilityAssessed).model_dump())


# -- C3 UnassignCustomer --------------------------------------------------------------------------
def unsuitable() -> CaseScenario:
    return B.allocated().then(B.assess_suitability(suitable=False))


def test_the_operational_leader_unassigns_an_unsuitable_customer() -> None:
    events = accepted(unsuitable(), B.unassign(), "CMR-R4", "CMR-A8")

    assert names(events) == ["CustomerUnassigned"]
    state = after(unsuitable(), B.unassign())
    assert (state.status, state.is_terminal) == ("UNASSIGNED", True)


def test_a_litigation_case_manager_unassigns_after_discussing_it_with_the_slo() -> None:
    command = B.unassign(actor=B.litigation_case_manager, discussed_with="SLO-0019")

    assert names(accepted(unsuitable(), command, "CMR-R4")) == ["CustomerUnassigned"]


@pytest.mark.parametrize(
    ("actor", "discussed_with"),
    [
        (B.case_manager, "OL-0107"),
        (B.team_leader, "OL-0107"),
        (B.litigation_case_manager, ""),
        (B.litigation_case_manager, "   "),
    ],
    ids=["case-manager", "team-leader", "lcm-without-slo", "lcm-blank-slo"],
)
def test_only_the_ol_or_a_litigation_case_manager_after_slo_discussion_unassigns(
    actor: Actor, discussed_with: str
) -> None:
    refused(unsuitable(), B.unassign(actor=actor, discussed_with=discussed_with), "CMR-R4")


def test_a_customer_is_unassigned_only_once_the_case_is_found_unsuitable() -> None:
    refused(B.allocated(), B.unassign(), "CMR-R4")
    refused(B.onboarded(), B.unassign(), "CMR-R4")


def test_an_unassignment_needs_its_reasons() -> None:
    refused(unsuitable(), B.unassign(reasons=("Unfit.",)), "CMR-A8")


# -- C4 CreateDoaDoc ------------------------------------------------------------------------------
def test_a_doa_doc_shows_who_manages_the_customer_and_expires_in_five_years() -> None:
    scenario = B.allocated().then(B.assess_suitability())

    doc = single(accepted(scenario, B.create_doa_doc(), "CMR-R1"), DoaDocCreated)
    assert (doc.service_reason, doc.who, doc.source, doc.channel, doc.doc_type) == (
        "DMN",
        "CSO",
        "INT",
        "INT",
        "SCC",
    )
    assert doc.ext_detail == "DO NOT DISCUSS DEBT RECOVERY"
    assert doc.transfer_to == "CLK Case Managed Recoveries"
    assert (doc.receipt_date, doc.expires_on) == (date(2026, 3, 2), date(2031, 3, 2))
    assert after(scenario, B.create_doa_doc()).doa_doc_expires_on == date(2031, 3, 2)


def test_the_doa_doc_validity_is_configurable() -> None:
    scenario = B.allocated().configured(config(doa_doc_validity_years=2))

    assert single(scenario.when(B.create_doa_doc()), DoaDocCreated).expires_on == date(2028, 3, 2)


def test_a_doa_doc_created_on_29_february_expires_on_28_february() -> None:
    leap_day = datetime(2028, 2, 29, 9, 30, tzinfo=ZONE)
    b = case_builder(now=leap_day)

    doc = single(b.allocated().at(leap_day).when(b.create_doa_doc()), DoaDocCreated)
    assert (doc.receipt_date, doc.expires_on) == (date(2028, 2, 29), date(2033, 2, 28))


def test_a_second_doa_doc_is_refused() -> None:
    refused(onboarded(), B.create_doa_doc(doc_id="DOC-2"), "CMR-A1")


# -- C5 ApplyActorRelationship --------------------------------------------------------------------
@pytest.mark.parametrize("role", ["team_leader", "operational_leader"])
def test_a_team_leader_or_operational_leader_applies_the_actor_relationship(role: str) -> None:
    command = B.apply_actor_relationship(actor=getattr(B, role))

    assert names(accepted(B.allocated(), command, "CMR-R3")) == ["ActorRelationshipApplied"]
    assert after(B.allocated(), command).actor_relationship


@pytest.mark.parametrize("role", ["case_manager", "srt_officer", "litigation_case_manager"])
def test_only_a_team_leader_or_operational_leader_applies_the_actor_relationship(
    role: str,
) -> None:
    refused(B.allocated(), B.apply_actor_relationship(actor=getattr(B, role)), "CMR-R3")


def test_the_actor_relationship_needs_an_allocation_group() -> None:
    b = case_builder(allocation_group=None)

    error = refused(b.allocated(), b.apply_actor_relationship(), "CMR-R3")
    assert "allocation group" in error.reason
    state = after(b.allocated(), b.apply_actor_relationship(allocation_group="SRT-NSW-3"))
    assert state.allocation_group == "SRT-NSW-3"


# -- C6 CreateCaseFile, C7 AddCaseFileDocument ----------------------------------------------------
def test_the_case_file_is_created_once() -> None:
    scenario = B.allocated()

    assert names(accepted(scenario, B.create_case_file(), "CMR-R1")) == ["CaseFileCreated"]
    refused(scenario.then(B.create_case_file()), B.create_case_file(), "CMR-A1")


def test_a_document_named_by_the_convention_is_saved_in_the_case_file() -> None:
    command = B.add_document(name="2020-10-01 - CITIZEN, Alex - SRT/TRT referral")

    assert names(accepted(onboarded(), command, "CMR-R2")) == ["CaseFileDocumentAdded"]
    assert after(onboarded(), command).documents == (command.name,)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Alex Citizen referral.pdf", "does not follow the format"),
        ("2026-03-02 - Citizen, Alex - SRT/TRT referral", "does not follow the format"),
        ("2026-03-02 - CITIZEN, Alex -", "does not follow the format"),
        ("02-03-2026 - CITIZEN, Alex - SRT/TRT referral", "does not follow the format"),
        ("2026-02-30 - CITIZEN, Alex - SRT/TRT referral", "is not a date"),
        ("2026-03-02 - SMITH, Alex - SRT/TRT referral", "surname should be CITIZEN"),
        ("2026-03-02 - CITIZEN, Mary - SRT/TRT referral", "first name should be Alex"),
    ],
)
def test_a_document_not_named_yyyy_mm_dd_surname_first_name_action_is_refused(
    name: str, problem: str
) -> None:
    error = refused(onboarded(), B.add_document(name=name), "CMR-R2")

    assert problem in error.reason
    assert "CITIZEN, Alex" in error.remedy
    assert cmr.document_name_problem(name, B.customer) is not None


def test_a_document_needs_a_case_file_to_go_in() -> None:
    refused(B.allocated(), B.add_document(), "CMR-A1")


# -- C8 ExcludeFromHardshipSms --------------------------------------------------------------------
def test_a_customer_under_recovery_action_is_excluded_from_situational_hardship_sms() -> None:
    excluded = single(
        accepted(onboarded(), B.exclude_from_hardship_sms(), "CMR-R1"),
        SituationalHardshipSmsExcluded,
    )

    assert excluded.attribute == "XCSHSMS"


# == Table 2: outbound contact and discussion =====================================================
# -- C9 RecordCapacityReview ----------------------------------------------------------------------
def test_the_case_manager_reviews_the_record_for_capacity_to_pay() -> None:
    assert names(accepted(onboarded(), B.capacity_review())) == ["RecordReviewed"]
    assert after(onboarded(), B.capacity_review()).record_reviewed


# -- C10 SendPreCallSms, CMR-A3 -------------------------------------------------------------------
def test_a_pre_call_sms_goes_to_a_subscribed_customer_and_counts_as_a_contact() -> None:
    scenario = SMS.onboarded().at(at(0, 10))

    sms = single(accepted(scenario, SMS.pre_call_sms(), "CMR-A3", "X-R3", "X-R4"), PreCallSmsSent)
    assert "0413" not in sms.mobile_number_hash
    state = after(scenario, SMS.pre_call_sms())
    assert state.pre_call_sms_pending
    assert [(c.channel, c.actual) for c in state.contacts] == [("SMS", True)]


def test_no_pre_call_sms_to_a_customer_not_subscribed_to_sms() -> None:
    refused(onboarded().at(at(0, 10)), B.pre_call_sms(), "CMR-A3")


def test_every_call_to_a_subscribed_customer_follows_a_pre_call_sms() -> None:
    scenario = SMS.onboarded().at(at(0, 10))

    refused(scenario, SMS.contact_attempt(), "CMR-A3")
    after_sms = scenario.then(SMS.pre_call_sms()).at(at(0, 10, 5))
    assert names(accepted(after_sms, SMS.contact_attempt(), "CMR-A3")) == ["ContactAttempted"]
    refused(after_sms.then(SMS.contact_attempt()).at(at(1)), SMS.contact_attempt(), "CMR-A3")


# -- C11 RecordContactAttempt ---------------------------------------------------------------------
def test_an_unanswered_call_is_recorded_as_an_attempt_not_an_actual_contact() -> None:
    scenario = onboarded().at(at(0, 10))

    attempt = single(accepted(scenario, B.contact_attempt(), "X-R6", "X-R8"), ContactAttempted)
    assert (attempt.attempt_no, attempt.outcome, attempt.actual_contact) == (1, "NO_ANSWER", False)


@pytest.mark.parametrize(
    ("fields", "actual"),
    [
        ({"outcome": "ENGAGED"}, True),
        ({"outcome": "VOICEMAIL", "voicemail_left": True}, True),
        ({"channel": "EMAIL", "outcome": "NO_ANSWER"}, True),
        ({"outcome": "WRONG_NUMBER"}, False),
    ],
    ids=["engaged", "voicemail", "email", "wrong-number"],
)
def test_engaged_calls_voicemails_and_emails_are_actual_contacts(
    fields: dict[str, Any], actual: bool
) -> None:
    attempt = single(onboarded().at(at(0, 10)).when(B.contact_attempt(**fields)), ContactAttempted)

    assert attempt.actual_contact is actual


@pytest.mark.parametrize("note", ["", "   "])
def test_every_contact_attempt_needs_a_note(note: str) -> None:
    refused(onboarded().at(at(0, 10)), B.contact_attempt(note=note), "CMR-A2")


def test_a_voicemail_must_not_say_the_reason_for_the_call() -> None:
    command = B.contact_attempt(
        outcome="VOICEMAIL", voicemail_left=True, voicemail_disclosed_reason=True
    )

    refused(onboarded().at(at(0, 10)), command, "CMR-R5")


def test_a_third_party_is_told_the_reason_only_with_the_customers_express_authority() -> None:
    scenario = onboarded().at(at(0, 10))
    told = B.contact_attempt(outcome="NO_ANSWER", third_party_told_reason=True)

    refused(scenario, told, "CMR-R5")
    authorised = B.contact_attempt(third_party_told_reason=True, third_party_has_authority=True)
    assert names(scenario.when(authorised)) == ["ContactAttempted"]


# -- X-R6 contact hours ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("when", "allowed"),
    [
        (datetime(2026, 3, 3, 7, 29, tzinfo=ZONE), False),
        (datetime(2026, 3, 3, 7, 30, tzinfo=ZONE), True),
        (datetime(2026, 3, 3, 21, 0, tzinfo=ZONE), True),
        (datetime(2026, 3, 3, 21, 1, tzinfo=ZONE), False),
        (datetime(2026, 3, 7, 8, 59, tzinfo=ZONE), False),
        (datetime(2026, 3, 7, 9, 0, tzinfo=ZONE), True),
        (datetime(2026, 3, 8, 20, 59, tzinfo=ZONE), True),
        (datetime(2026, 3, 8, 21, 30, tzinfo=ZONE), False),
    ],
    ids=[
        "tue-7.29",
        "tue-7.30",
        "tue-21.00",
        "tue-21.01",
        "sat-8.59",
        "sat-9.00",
        "sun-20.59",
        "sun-21.30",
    ],
)
def test_calls_are_made_between_7_30_and_9_pm_on_weekdays_and_9_and_9_on_weekends(
    when: datetime, allowed: bool
) -> None:
    scenario = onboarded().at(when)

    if allowed:
        assert names(scenario.when(B.contact_attempt())) == ["ContactAttempted"]
    else:
        error = refused(scenario, B.contact_attempt(), "X-R6")
        assert "outside contact hours" in error.reason


def test_no_contact_on_a_national_public_holiday_from_the_contact_calendar() -> None:
    good_friday = datetime(2026, 4, 3, 10, 0, tzinfo=ZONE)
    holidays = ContactCalendar(public_holidays=frozenset({good_friday.date()}))
    scenario = onboarded().at(good_friday)

    assert names(scenario.when(B.contact_attempt())) == ["ContactAttempted"]
    error = refused(scenario.with_calendar(holidays), B.contact_attempt(), "X-R6")
    assert "public holiday" in error.reason
    refused(SMS.onboarded().at(good_friday).with_calendar(holidays), SMS.pre_call_sms(), "X-R6")


def test_contact_hours_are_the_customers_local_time() -> None:
    perth = config(time_zone="Australia/Perth")
    ten_in_sydney = onboarded().at(at(1, 10)).configured(perth)

    error = refused(ten_in_sydney, B.contact_attempt(), "X-R6")
    assert "07:00" in error.reason
    assert names(ten_in_sydney.at(at(1, 11)).when(B.contact_attempt())) == ["ContactAttempted"]


def test_a_pre_call_sms_is_also_sent_only_in_contact_hours() -> None:
    refused(SMS.onboarded().at(at(1, 22)), SMS.pre_call_sms(), "X-R6")


def test_letters_are_not_bound_by_contact_hours() -> None:
    assert names(contacted().at(at(2, 22, 30)).when(B.q190())) == ["LetterIssued"]


def test_contact_hours_are_configurable() -> None:
    early = config(weekday_contact_hours=(time(7, 0), time(20, 0)))

    assert names(onboarded().at(at(1, 7, 10)).configured(early).when(B.contact_attempt()))
    refused(onboarded().at(at(1, 20, 30)).configured(early), B.contact_attempt(), "X-R6")


# -- X-R8 contact frequency -----------------------------------------------------------------------
def test_a_third_unanswered_call_the_same_day_is_excessive() -> None:
    scenario = (
        onboarded()
        .then_at(at(0, 10), B.contact_attempt())
        .then_at(at(0, 15), B.contact_attempt())
        .at(at(0, 18))
    )

    error = refused(scenario, B.contact_attempt(), "X-R8")
    assert "2 contact attempts" in error.reason
    assert names(scenario.at(at(1, 10)).when(B.contact_attempt())) == ["ContactAttempted"]


def test_a_subscribed_customer_can_be_called_morning_and_afternoon_after_pre_call_sms() -> None:
    scenario = (
        SMS.onboarded()
        .then_at(at(0, 10), SMS.pre_call_sms())
        .then_at(at(0, 10, 5), SMS.contact_attempt())
        .then_at(at(0, 15), SMS.pre_call_sms())
        .at(at(0, 15, 5))
    )

    assert names(scenario.when(SMS.contact_attempt())) == ["ContactAttempted"]


def engaged_calls_on(*days: int) -> CaseScenario:
    scenario = onboarded()
    for day in days:
        scenario = scenario.then_at(at(day), B.contact_attempt(outcome="ENGAGED"))
    return scenario


def test_a_fourth_actual_contact_in_seven_days_is_refused_and_letters_count() -> None:
    scenario = engaged_calls_on(0, 1, 2).at(at(3))

    error = refused(scenario, B.q190(), "X-R8")
    assert "3 actual contacts in the last 7 days" in error.reason
    refused(scenario, B.contact_attempt(outcome="ENGAGED"), "X-R8")
    assert names(scenario.at(at(7)).when(B.q190())) == ["LetterIssued"]


def test_pre_call_sms_and_letters_count_towards_the_weekly_cap() -> None:
    scenario = SMS.final_option_sent().at(at(3))

    assert len([c for c in after(scenario).contacts if c.actual]) == 3
    refused(scenario, SMS.pre_call_sms(), "X-R8")
    refused(scenario, SMS.contact_attempt(channel="EMAIL", note="Emailed the customer."), "X-R8")
    assert names(scenario.at(at(8)).when(SMS.pre_call_sms())) == ["PreCallSmsSent"]


def test_an_eleventh_actual_contact_in_thirty_days_is_refused() -> None:
    scenario = engaged_calls_on(0, 1, 2, 7, 8, 9, 14, 15, 16, 21)

    error = refused(scenario.at(at(28)), B.contact_attempt(outcome="ENGAGED"), "X-R8")
    assert "10 actual contacts in the last 30 days" in error.reason
    assert names(scenario.at(at(30)).when(B.contact_attempt(outcome="ENGAGED")))


def test_the_contact_caps_are_configurable() -> None:
    scenario = (
        engaged_calls_on(0, 1, 2).at(at(3)).configured(config(max_actual_contacts_per_week=4))
    )

    assert names(scenario.when(B.q190())) == ["LetterIssued"]


# -- X-R7 face-to-face contact --------------------------------------------------------------------
def face_to_face(**kw: Any) -> cmr.RecordContactAttempt:
    fields: dict[str, Any] = {
        "channel": "FACE_TO_FACE",
        "outcome": "ENGAGED",
        "note": "Field visit at the home address.",
        "reasons": ("No response to calls or the Q190; a field visit is the last resort.",),
    }
    return B.contact_attempt(**{**fields, **kw})


def test_face_to_face_contact_is_a_last_resort_after_calls_and_a_contact_letter() -> None:
    refused(onboarded().at(at(0, 10)), face_to_face(), "X-R7")
    scenario = B.final_option_sent().at(at(8))
    assert names(accepted(scenario, face_to_face(), "X-R7", "X-R6")) == ["ContactAttempted"]


def test_face_to_face_contact_records_its_reasons() -> None:
    refused(B.final_option_sent().at(at(8)), face_to_face(reasons=()), "X-R7")


# -- X-R9 contact while an arrangement is in place ------------------------------------------------
def test_no_recovery_contact_while_an_arrangement_is_in_place() -> None:
    scenario = B.arranged().at(at(2))

    refused(scenario, B.contact_attempt(), "X-R9")
    for purpose in ("DEBTOR_REQUESTED", "BETTER_ALTERNATIVE", "DEFAULT"):
        assert names(scenario.when(B.contact_attempt(purpose=purpose))) == ["ContactAttempted"]


def test_no_final_option_letter_while_an_arrangement_is_in_place() -> None:
    scenario = (
        B.contacted_without_answer()
        .then_at(at(1, 11), B.discussion())
        .then_at(at(1, 11, 10), B.acceptable_arrangement())
        .at(at(2))
    )

    refused(scenario, B.q190(), "X-R9")


# -- C12 IssueContactLetterQ164 / C13 IssueFinalOptionLetterQ190, CMR-A4 --------------------------
def test_a_q164_gives_a_customer_unaware_of_the_debt_15_days_to_respond() -> None:
    issued = letter(accepted(contacted(), B.q164(), "CMR-A4", "CMR-R5", "X-R10", "X-R8"))

    assert (issued.code, issued.purpose) == ("Q164", "CONTACT")
    assert issued.response_period == DayCount(days=15)
    assert issued.respond_by == Q190_ISSUED + timedelta(days=15)
    assert issued.address == B.address
    assert not issued.counts_as_garnishee_warning


def test_a_q190_final_option_gives_15_days_to_respond_and_is_a_garnishee_warning() -> None:
    issued = letter(accepted(contacted(), B.q190(), "CMR-A4", "CMR-R5", "X-R10"))

    assert (issued.code, issued.purpose) == ("Q190", "FINAL_OPTION")
    assert issued.response_period == DayCount(days=15, unit="CALENDAR")
    assert issued.respond_by == date(2026, 3, 19)
    assert issued.counts_as_garnishee_warning
    state = after(contacted(), B.q190())
    assert state.letters[0].respond_by == date(2026, 3, 19)
    assert state.contacts[-1].channel == "LETTER"


def test_a_q164_is_for_a_customer_unaware_of_the_debt_and_a_q190_for_one_aware() -> None:
    refused(contacted(), B.q164(customer_aware_of_debt=True), "CMR-A4")
    refused(contacted(), B.q190(customer_aware_of_debt=False), "CMR-A4")


def test_a_contact_letter_follows_two_genuine_call_attempts() -> None:
    one_call = onboarded().then_at(at(0, 10), B.contact_attempt()).at(at(0, 11))
    close_together = one_call.then(B.contact_attempt()).at(at(0, 12))

    refused(onboarded(), B.q190(), "CMR-A4")
    refused(one_call, B.q190(), "CMR-A4")
    error = refused(close_together, B.q190(), "CMR-A4")
    assert "2 genuine" in error.reason
    engaged = onboarded().then_at(at(0, 10), B.contact_attempt(outcome="ENGAGED")).at(at(0, 11))
    assert names(engaged.when(B.q190())) == ["LetterIssued"]


@pytest.mark.parametrize(
    "fields",
    [
        {"privacy_safeguarded": False},
        {"address_confirmed": False},
        {"address": "  "},
    ],
    ids=["privacy-not-safeguarded", "address-not-confirmed", "no-address"],
)
def test_a_letter_needs_privacy_safeguarded_and_the_address_confirmed_and_recorded(
    fields: dict[str, Any],
) -> None:
    refused(contacted(), B.q190(**fields), "CMR-R5")
    refused(contacted(), B.q164(**fields), "CMR-R5")


def test_a_letter_asserting_a_debt_states_how_to_seek_a_review() -> None:
    error = refused(contacted(), B.q190(includes_review_rights=False), "X-R10")

    assert "review" in error.reason


def test_a_response_period_shorter_than_14_days_is_refused() -> None:
    short = contacted().configured(config(contact_letter_response=DayCount(days=10)))

    error = refused(short, B.q190(), "X-R10")
    assert "10 days" in error.reason
    lenient = short.configured(
        config(contact_letter_response=DayCount(days=10), min_notice_response_days=10)
    )
    assert letter(lenient.when(B.q190())).respond_by == Q190_ISSUED + timedelta(days=10)


def test_a_letter_id_is_used_once() -> None:
    refused(B.final_option_sent().at(at(9)), B.q164(letter_id="Q190-1"), "CMR-A2")


# -- day counts -----------------------------------------------------------------------------------
def test_a_response_period_in_business_days_skips_weekends_and_public_holidays() -> None:
    business = config(contact_letter_response=DayCount(days=15, unit="BUSINESS"))
    scenario = contacted().configured(business)

    issued = letter(scenario.when(B.q190()))
    assert issued.response_period == DayCount(days=15, unit="BUSINESS")
    assert issued.respond_by == date(2026, 3, 25)
    with_holiday = scenario.with_holidays(date(2026, 3, 16))
    assert letter(with_holiday.when(B.q190())).respond_by == date(2026, 3, 26)


def test_add_days_counts_calendar_or_business_days() -> None:
    friday = date(2026, 4, 2)
    easter = (date(2026, 4, 3), date(2026, 4, 6))

    assert cmr.add_days(friday, DayCount(days=3)) == date(2026, 4, 5)
    assert cmr.add_days(friday, DayCount(days=3, unit="BUSINESS")) == date(2026, 4, 7)
    assert cmr.add_days(friday, DayCount(days=3, unit="BUSINESS"), easter) == date(2026, 4, 9)
    assert cmr.add_days(friday, DayCount(days=0, unit="BUSINESS")) == friday


# -- C14 RecordDiscussion -------------------------------------------------------------------------
def test_the_debt_is_discussed_once_the_customers_identity_is_confirmed() -> None:
    command = B.discussion(customer_queried_debt=True)

    discussed = single(accepted(onboarded(), command, "CMR-R5"), DebtDiscussed)
    assert discussed.customer_queried_debt


def test_the_debt_is_not_discussed_before_identity_is_confirmed() -> None:
    refused(onboarded(), B.discussion(identity_confirmed=False), "CMR-R5")


def test_a_verbal_garnishee_warning_given_in_a_discussion_is_remembered() -> None:
    state = after(onboarded(), B.discussion(garnishee_warning_given=True))

    assert state.verbal_warnings == (date(2026, 3, 2),)


# -- C15 RequestExplanationOrReview, PauseRecovery, ResumeRecovery (X-R1, X-R5) -------------------
@pytest.mark.parametrize("kind", ["EXPLANATION", "REVIEW", "REASSESSMENT", "ART_REVIEW"])
def test_a_review_request_pauses_recovery_of_those_debts_only(kind: str) -> None:
    command = B.request_review(kind=kind)

    events = accepted(investigating(), command, "CMR-A2")
    assert names(events) == ["ReviewRequested", "RecoveryPaused"]
    requested, paused = events
    assert isinstance(requested, ReviewRequested)
    assert isinstance(paused, RecoveryPaused)
    assert (requested.debt_ids, paused.debt_ids, paused.reason) == (("D-1",), ("D-1",), kind)
    assert after(investigating(), command).paused_debts() == {"D-1": kind}


def test_a_review_names_debts_of_this_case() -> None:
    error = refused(investigating(), B.request_review(debt_ids=("D-9",)), "CMR-A2")

    assert "D-9" in error.reason
    refused(investigating(), B.request_review(debt_ids=()), "CMR-A2")


@pytest.mark.parametrize("reason", ["DISASTER", "VULNERABILITY", "REDRESS"])
def test_a_documented_pause_excludes_debts_from_recovery(reason: str) -> None:
    command = B.pause(reason=reason)

    assert names(accepted(investigating(), command, "X-R5")) == ["RecoveryPaused"]
    assert after(investigating(), command).paused_debts() == {"D-1": reason}


def test_a_pause_without_documented_reasons_is_refused() -> None:
    refused(investigating(), B.pause(reasons=()), "X-R5")


def test_a_pause_id_is_used_once() -> None:
    scenario = investigating().then(B.pause())

    refused(scenario, B.pause(debt_ids=("D-2",)), "CMR-A2")
    refused(scenario, B.request_review(debt_ids=("D-2",)), "CMR-A2")


def test_recovery_resumes_with_reasons() -> None:
    scenario = investigating().then(B.request_review())

    assert names(accepted(scenario, B.resume(), "CMR-A8")) == ["RecoveryResumed"]
    assert after(scenario, B.resume()).paused_debts() == {}
    refused(scenario, B.resume(reasons=()), "CMR-A8")


def test_only_a_pause_in_force_is_resumed() -> None:
    refused(investigating(), B.resume(), "CMR-A1")


# -- C16-C21 arrangements, refusal ----------------------------------------------------------------
def test_an_acceptable_arrangement_is_recorded() -> None:
    scenario = onboarded().then(B.discussion())

    agreed = single(accepted(scenario, B.acceptable_arrangement()), ArrangementAgreed)
    assert (agreed.kind, agreed.amount) == ("ACCEPTABLE", Decimal("150"))
    assert after(scenario, B.acceptable_arrangement()).stage == "IN_ARRANGEMENT"


def test_a_financial_circumstance_assessment_is_recorded() -> None:
    state = after(onboarded(), B.fca())

    assert state.fca is not None
    assert (state.fca.assessed_on, state.fca.excess_income_per_fortnight) == (
        date(2026, 3, 2),
        Decimal("180"),
    )


def test_an_interim_arrangement_rests_on_a_financial_circumstance_assessment() -> None:
    refused(onboarded(), B.interim_arrangement(), "CMR-A10")
    events = accepted(onboarded().then(B.fca()), B.interim_arrangement(), "CMR-A10")
    agreed = single(events, ArrangementAgreed)
    assert (agreed.kind, agreed.fca_id) == ("INTERIM", "FCA-1")


def test_a_broken_arrangement_sends_the_case_to_investigation() -> None:
    scenario = B.arranged()

    assert names(accepted(scenario, B.arrangement_broken())) == ["ArrangementBroken"]
    state = after(scenario, B.arrangement_broken())
    assert (state.arrangement, state.refused, state.stage) == (None, True, "INVESTIGATION")
    refused(onboarded(), B.arrangement_broken(), "CMR-A1")


def test_a_callback_is_agreed_for_a_date_not_yet_past() -> None:
    scenario = onboarded()

    assert after(scenario, B.callback()).callback_on == date(2026, 3, 9)
    assert names(scenario.when(B.callback(callback_on=date(2026, 3, 2))))
    refused(scenario, B.callback(callback_on=date(2026, 3, 1)), "CMR-A2")


def test_a_refusal_is_documented_and_investigation_follows() -> None:
    scenario = B.final_option_sent().at(at(3))

    assert names(accepted(scenario, B.refusal())) == ["ArrangementRefused"]
    state = after(scenario, B.refusal())
    assert (state.refused, state.stage) == (True, "INVESTIGATION")


def test_a_customer_who_retracts_their_refusal_goes_back_to_negotiation() -> None:
    state = after(refused_customer(), B.refusal_retracted())

    assert (state.refused, state.refusal_retracted, state.stage) == (False, True, "ENGAGEMENT")
    refused(onboarded(), B.refusal_retracted(), "CMR-A1")


@pytest.mark.parametrize(
    "actor",
    [B.case_manager, case_staff(Role.DEBT_STAFF, "DS-0600", "APS6", "Debt Recovery"), B.debt_staff],
    ids=["aps5-case-manager", "aps6-debt-staff-elsewhere", "aps5-debt-staff"],
)
def test_debt_staff_at_aps5_or_above_decide_an_arrangement_is_not_reasonable(actor: Actor) -> None:
    command = B.declare_not_reasonable(actor=actor)

    assert names(accepted(refused_customer(), command, "CMR-R13")) == [
        "ArrangementDeemedUnreasonable"
    ]
    assert after(refused_customer(), command).deemed_unreasonable


@pytest.mark.parametrize(
    "actor",
    [
        case_staff(Role.CASE_MANAGER, "CM-3012", "APS4"),
        case_staff(Role.DEBT_STAFF, "DS-1", "APS4", "Debt Recovery"),
        case_staff(Role.SRT_OFFICER, "SRTO-1", "APS6"),
    ],
    ids=["aps4-case-manager", "aps4-debt-staff", "srt-officer"],
)
def test_only_aps5_debt_staff_decide_an_arrangement_is_not_reasonable(actor: Actor) -> None:
    refused(refused_customer(), B.declare_not_reasonable(actor=actor), "CMR-R13")


def test_an_arrangement_is_not_deemed_unreasonable_without_documented_reasons() -> None:
    refused(refused_customer(), B.declare_not_reasonable(reasons=("Too low.",)), "CMR-R13")


# == Table 3: other searches and enforcement ======================================================
# -- C22 RecordFiAccountLead, C23 RequestFieInformation, C24 IssueThirdPartyNoticeQSS40 ----------
def test_a_financial_institution_account_lead_starts_the_investigation() -> None:
    scenario = B.final_option_sent().at(at(3))

    assert names(accepted(scenario, B.fi_lead())) == ["FinancialInstitutionLeadFound"]
    state = after(scenario, B.fi_lead())
    assert (state.fi_leads, state.stage) == (("WBC-***-4411",), "INVESTIGATION")


@pytest.mark.parametrize("institution", ["Commonwealth Bank", "CBA", "  commonwealth bank "])
def test_account_information_is_requested_from_the_commonwealth_bank_through_fie(
    institution: str,
) -> None:
    command = B.fie_request(institution=institution)

    assert names(accepted(investigating(), command, "CMR-A11")) == ["FieRequestSent"]


def test_the_fie_tool_is_only_for_the_commonwealth_bank() -> None:
    error = refused(investigating(), B.fie_request(institution="Westpac"), "CMR-A11")

    assert "QSS40" in error.remedy


def test_a_qss40_notice_cites_its_legislation_and_gives_the_third_party_15_days() -> None:
    issued = letter(accepted(investigating(), B.qss40(), "CMR-A5", "CMR-R5", "X-R10"))

    assert (issued.code, issued.purpose) == ("QSS40", "THIRD_PARTY_NOTICE")
    assert issued.legislation_cited.startswith("s.192")
    assert issued.respond_by == B.day(4).date() + timedelta(days=15)
    assert not issued.counts_as_garnishee_warning
    contacts_before = after(investigating()).contacts
    assert after(investigating(), B.qss40()).contacts == contacts_before


def test_a_qss40_notice_without_the_legislation_relied_on_is_refused() -> None:
    refused(investigating(), B.qss40(legislation_cited=" "), "CMR-A5")


# -- C25 RecordEmploymentLead, C26 Q289, C27 employer contact, C28 Q609 ---------------------------
def test_an_employment_lead_is_recorded_with_its_source() -> None:
    command = B.employment_lead()

    assert names(accepted(investigating(), command, "CMR-R8")) == ["EmploymentLeadFound"]
    [lead] = after(investigating(), command).employment_leads
    assert (lead.lead_id, lead.source, lead.q289_issued) == ("EMP-1", "DATA_MATCH_STP", False)


def test_the_partners_employment_is_not_recorded_as_a_lead() -> None:
    error = refused(investigating(), B.employment_lead(relates_to="PARTNER"), "CMR-R8")

    assert "partner" in error.reason


def test_an_employment_lead_id_is_used_once() -> None:
    refused(with_lead(), B.employment_lead(employer_name="Other Pty Ltd"), "CMR-A2")


def test_a_q289_tells_the_customer_of_the_data_match_and_is_a_garnishee_warning() -> None:
    issued = letter(accepted(with_lead(), B.q289(), "CMR-R5", "X-R10"))

    assert (issued.code, issued.purpose) == ("Q289", "DATA_MATCH_NOTIFICATION")
    assert issued.counts_as_garnishee_warning
    assert issued.employment_lead_id == "EMP-1"
    [lead] = after(with_lead(), B.q289()).employment_leads
    assert lead.q289_issued


def test_a_q289_names_a_recorded_employment_lead() -> None:
    refused(investigating(), B.q289(), "CMR-A2")


@pytest.mark.parametrize("source", ["DATA_MATCH_STP", "DATA_MATCH_TDF"])
def test_no_employer_contact_before_the_q289_for_a_data_match_lead(source: str) -> None:
    scenario = with_lead(source)

    error = refused(scenario, B.employer_contact(), "CMR-R6")
    assert "Q289" in error.remedy
    refused(scenario, B.q609(), "CMR-R6")


@pytest.mark.parametrize("source", ["CUSTOMER_RECORD", "OTHER"])
def test_an_employer_from_the_customers_record_is_contacted_without_a_q289(source: str) -> None:
    scenario = with_lead(source)

    assert names(accepted(scenario, B.employer_contact(), "CMR-R6")) == ["EmployerContactAttempted"]
    assert names(accepted(scenario, B.q609(), "CMR-R6")) == ["LetterIssued"]


def test_after_the_q289_the_customer_is_sought_through_the_employer() -> None:
    events = accepted(with_q289(), B.employer_contact(), "CMR-R6", "CMR-R7", "CMR-R5", "CMR-A12")

    attempt = single(events, EmployerContactAttempted)
    assert (attempt.attempt_no, attempt.outcome) == (1, "NOT_REACHED")
    second = with_q289().then(B.employer_contact()).at(at(6))
    assert single(second.when(B.employer_contact()), EmployerContactAttempted).attempt_no == 2


def test_employment_details_are_never_requested_from_an_employer_by_phone() -> None:
    command = B.employer_contact(requested_employment_details=True)

    error = refused(with_q289(), command, "CMR-R7")
    assert "Q609" in error.remedy


def test_the_debt_is_not_disclosed_to_the_employer() -> None:
    refused(with_q289(), B.employer_contact(debt_disclosed=True), "CMR-R5")


def test_two_genuine_attempts_through_the_employer_are_on_different_days() -> None:
    once = with_q289().then(B.employer_contact())

    refused(once.at(at(5, 15)), B.employer_contact(), "CMR-A12")
    twice = once.at(at(6)).then(B.employer_contact())
    refused(twice.at(at(7)), B.employer_contact(), "CMR-A12")


def test_calls_to_the_employer_keep_to_contact_hours() -> None:
    refused(with_q289().at(at(5, 22)), B.employer_contact(), "X-R6")


def test_a_q609_asks_the_employer_in_writing_attention_payroll_private_and_confidential() -> None:
    issued = letter(accepted(with_q289(), B.q609(), "CMR-R6", "CMR-R7", "CMR-A6", "CMR-R5"))

    assert (issued.code, issued.purpose) == ("Q609", "EMPLOYER_REQUEST")
    assert (issued.attention, issued.marking) == ("Attention Payroll", "Private and Confidential")
    assert issued.respond_by == B.day(5).date() + timedelta(days=15)
    [lead] = after(with_q289(), B.q609()).employment_leads
    assert lead.q609_on == B.day(5).date()


@pytest.mark.parametrize(
    "fields",
    [
        {"attention": ""},
        {"attention": "The Manager"},
        {"marking": ""},
        {"marking": "Urgent"},
    ],
    ids=["no-attention", "wrong-attention", "no-marking", "wrong-marking"],
)
def test_a_q609_not_addressed_and_marked_as_required_is_refused(fields: dict[str, Any]) -> None:
    refused(with_q289(), B.q609(**fields), "CMR-R7")


def test_no_new_q609_within_90_days_of_one_that_confirmed_the_employment() -> None:
    sent = with_q289().then(B.q609())
    sent_on = B.day(5)

    again = B.q609(letter_id="Q609-2")
    refused(sent.at(sent_on + timedelta(days=90)), again, "CMR-A6")
    assert names(sent.at(sent_on + timedelta(days=91)).when(again)) == ["LetterIssued"]


def test_a_q609_still_goes_to_an_employer_of_a_customer_with_an_fdv_flag() -> None:
    scenario = with_flag("FDV_IMMEDIATE_THREAT", with_q289())

    assert names(scenario.when(B.q609())) == ["LetterIssued"]


# -- C29 ProcessReturnedCorrespondence ------------------------------------------------------------
def test_returned_correspondence_is_reviewed_and_recorded() -> None:
    command = B.returned_correspondence()

    assert names(accepted(investigating(), command)) == ["ReturnedCorrespondenceProcessed"]


# -- C30 AssessGarnishee (CMR-R10, CMR-R12, X-R2, X-R11) ------------------------------------------
def test_an_fi_garnishee_is_assessed_appropriate_when_every_precondition_holds() -> None:
    events = accepted(ready(), B.assess_garnishee(), "X-R2")

    assessed_ = single(events, GarnisheeAssessed)
    assert (assessed_.appropriate, assessed_.failed_checks) == (True, ())
    state = after(ready(), B.assess_garnishee())
    assert state.stage == "ENFORCEMENT"
    garnishee = state.garnishee("G-1")
    assert garnishee is not None
    assert garnishee.appropriate


def test_several_failed_garnishee_checks_are_all_recorded_and_named_when_submitting() -> None:
    early = B.refused_after_q190().then_at(at(4), B.fi_lead()).at(at(5))
    checklist = B.checklist(bank_balance=Decimal("5000.00"), reasonable_contact_effort=False)

    assessed_ = single(early.when(B.assess_garnishee(checklist=checklist)), GarnisheeAssessed)
    assert not assessed_.appropriate
    assert assessed_.failed_checks == (
        "bank balance is not over $5000",
        "reasonable efforts to contact the customer were not made",
        "letter response periods have not all expired",
    )
    scenario = early.then(B.assess_garnishee(checklist=checklist)).then(B.submission_document())
    error = refused(scenario, B.submit_garnishee(), "CMR-R10")
    for failed in assessed_.failed_checks:
        assert failed in error.reason


def no_fca() -> CaseScenario:
    return (
        B.final_option_sent()
        .then_at(at(3, 11), B.discussion())
        .then_at(at(3, 11, 25), B.refusal())
        .at(at(18))
    )


def stale_fca() -> CaseScenario:
    """An FCA on 2 March, decided on 10 June (more than 3 months later)."""
    return onboarded().then(B.fca()).then_at(at(100), B.refusal())


def low_excess() -> CaseScenario:
    return no_fca().then(B.fca(excess_income_per_fortnight=Decimal("14.99")))


def hardship_fca() -> CaseScenario:
    return no_fca().then(B.fca(financial_hardship=True))


def not_refused() -> CaseScenario:
    return B.final_option_sent().then_at(at(3, 11, 20), B.fca()).at(at(18))


FAILED_CHECKS: dict[str, tuple[Callable[[], CaseScenario], dict[str, Any], str]] = {
    "not-due": (ready, {"debts_due_and_payable": False}, "not all due and payable"),
    "unverified": (
        ready,
        {"employment_or_bank_details_verified": False},
        "employment or bank details are not verified",
    ),
    "balance-5000": (ready, {"bank_balance": Decimal("5000.00")}, "bank balance is not over"),
    "no-balance": (ready, {"bank_balance": None}, "bank balance is not over"),
    "no-contact-effort": (ready, {"reasonable_contact_effort": False}, "reasonable efforts"),
    "letters-not-expired": (ready, {"letter_periods_expired": False}, "letter response periods"),
    "no-fca": (no_fca, {}, "no financial circumstance assessment in the last 3 months"),
    "stale-fca": (stale_fca, {}, "no financial circumstance assessment in the last 3 months"),
    "excess-under-15": (low_excess, {}, "excess income is under $15"),
    "hardship-checklist": (ready, {"causes_financial_hardship": True}, "financial hardship"),
    "hardship-fca": (hardship_fca, {}, "financial hardship"),
    "no-refusal": (
        not_refused,
        {"failed_or_broke_reasonable_arrangement_or_nondisclosure": False},
        "has not refused or broken a reasonable arrangement",
    ),
}
"""For each garnishee precondition of [OB-GAR]: a history, checklist overrides, and the text of
the failed check the assessment records."""


@pytest.mark.parametrize("check", sorted(FAILED_CHECKS))
def test_a_garnishee_failing_a_precondition_is_assessed_not_appropriate(check: str) -> None:
    history, overrides, text = FAILED_CHECKS[check]
    command = B.assess_garnishee(checklist=B.checklist(**overrides))

    assessed_ = single(history().when(command), GarnisheeAssessed)
    assert not assessed_.appropriate
    assert any(text in failed for failed in assessed_.failed_checks), assessed_.failed_checks


def test_a_bank_balance_just_over_5000_supports_an_fi_garnishee() -> None:
    command = B.assess_garnishee(checklist=B.checklist(bank_balance=Decimal("5000.01")))

    assert single(ready().when(command), GarnisheeAssessed).appropriate


def test_an_fca_relied_on_is_at_most_3_months_old() -> None:
    scenario = onboarded().then(B.fca()).then(B.refusal())

    on_the_day = scenario.at(datetime(2026, 6, 2, 10, tzinfo=ZONE)).when(B.assess_garnishee())
    assert single(on_the_day, GarnisheeAssessed).appropriate
    next_day = scenario.at(datetime(2026, 6, 3, 10, tzinfo=ZONE)).when(B.assess_garnishee())
    assert not single(next_day, GarnisheeAssessed).appropriate


def test_a_continuing_income_garnishee_needs_a_balance_of_200_or_more() -> None:
    small = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("199.99")),))
    command = small.assess_garnishee(kind="WAGE", checklist=small.checklist(continuing_income=True))

    assessed_ = single(small.garnishee_ready().when(command), GarnisheeAssessed)
    assert assessed_.failed_checks == ("the balance is under $200",)


def test_a_debt_not_yet_due_and_payable_fails_the_garnishee_assessment() -> None:
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("9000"), due_and_payable=False),))

    assessed_ = single(b.garnishee_ready().when(b.assess_garnishee()), GarnisheeAssessed)
    assert assessed_.failed_checks == ("debts are not all due and payable",)


def test_a_refusal_or_an_arrangement_deemed_unreasonable_satisfies_the_arrangement_check() -> None:
    checklist = B.checklist(failed_or_broke_reasonable_arrangement_or_nondisclosure=False)

    assert single(
        ready().when(B.assess_garnishee(checklist=checklist)), GarnisheeAssessed
    ).appropriate
    deemed = not_refused().then(B.declare_not_reasonable())
    assessed_ = single(deemed.when(B.assess_garnishee(checklist=checklist)), GarnisheeAssessed)
    assert assessed_.appropriate


def test_the_garnishee_thresholds_are_configurable() -> None:
    scenario = ready().configured(config(min_bank_balance_for_fi_garnishee=Decimal("10000")))

    assessed_ = single(scenario.when(B.assess_garnishee()), GarnisheeAssessed)
    assert assessed_.failed_checks == ("bank balance is not over $10000",)


EXCLUDED: dict[str, tuple[Debt | None, dict[str, Any], str]] = {
    "pgpa-under-10000": (
        Debt(debt_id="D-1", balance=Decimal("9999"), legislation="PGPA"),
        {},
        "PGPA debt under $10000",
    ),
    "fma": (Debt(debt_id="D-1", balance=Decimal("20000"), legislation="FMA"), {}, "fma debt"),
    "ndis": (
        Debt(debt_id="D-1", balance=Decimal("20000"), legislation="NDIS_SELF_MANAGED"),
        {},
        "ndis self managed debt",
    ),
    "child-support": (
        Debt(debt_id="D-1", balance=Decimal("20000"), legislation="CHILD_SUPPORT"),
        {},
        "child support debt",
    ),
    "superannuation": (None, {"superannuation": True}, "superannuation cannot be garnished"),
    "bankrupt": (None, {"bankrupt": True}, "the customer is bankrupt"),
    "nls-write-off": (None, {"nls_write_off": True}, "written off (NLS)"),
    "disaster-area": (None, {"declared_disaster_area": True}, "declared disaster area"),
}
"""CMR-R12: what may never be garnished, as a debt of the case or a checklist answer."""


@pytest.mark.parametrize("case", sorted(EXCLUDED))
def test_an_excluded_debt_or_circumstance_makes_a_garnishee_not_appropriate(case: str) -> None:
    debt, overrides, text = EXCLUDED[case]
    b = case_builder(debts=(debt,)) if debt else B
    command = b.assess_garnishee(checklist=b.checklist(**overrides))

    assessed_ = single(b.garnishee_ready().when(command), GarnisheeAssessed)
    assert not assessed_.appropriate
    assert any(text in excluded for excluded in assessed_.exclusions), assessed_.exclusions
    assert cmr.garnishee_exclusions(
        after(b.garnishee_ready()), ("D-1",), command.checklist, b.config
    )


def test_a_pgpa_debt_of_10000_or_more_may_be_garnished() -> None:
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("10000"), legislation="PGPA"),))

    assert single(b.garnishee_ready().when(b.assess_garnishee()), GarnisheeAssessed).appropriate


def excluded_after_assessment() -> tuple[CaseBuilder, CaseScenario]:
    """A PGPA debt of $12,000 assessed when the PGPA threshold was $10,000, submitted after it
    was raised to $15,000."""
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("12000"), legislation="PGPA"),))
    scenario = (
        b.garnishee_assessed()
        .then(b.submission_document())
        .configured(config(min_pgpa_debt_for_garnishee=Decimal("15000")))
    )
    return b, scenario


def test_a_garnishee_of_a_debt_excluded_when_it_is_submitted_is_refused() -> None:
    b, scenario = excluded_after_assessment()

    error = refused(scenario, b.submit_garnishee(), "CMR-R12")
    assert "PGPA debt under $15000" in error.reason


def test_a_garnishee_of_an_excluded_debt_is_refused_naming_cmr_r12() -> None:
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("9000"), legislation="PGPA"),))
    scenario = b.garnishee_assessed().then(b.submission_document())

    refused(scenario, b.submit_garnishee(), "CMR-R12")


def test_a_garnishee_is_assessed_only_after_considering_the_customers_vulnerabilities() -> None:
    command = B.assess_garnishee(checklist=B.checklist(vulnerabilities_considered=False))

    error = refused(ready(), command, "X-R2")
    assert "family and domestic violence" in error.reason


def test_a_hardship_flag_makes_a_garnishee_not_appropriate() -> None:
    scenario = with_flag("HARDSHIP", ready())

    assessed_ = single(scenario.when(B.assess_garnishee()), GarnisheeAssessed)
    assert assessed_.failed_checks == ("the garnishee would cause financial hardship",)


def wage_ready(source: str = "DATA_MATCH_STP", q289: bool = False) -> CaseScenario:
    scenario = B.refused_after_q190().then_at(at(4), B.employment_lead(source=source))
    if q289:
        scenario = scenario.then(B.q289())
    return scenario.at(at(22))


def wage(**kw: Any) -> cmr.AssessGarnishee:
    return B.assess_garnishee(kind="WAGE", employment_lead_id="EMP-1", **kw)


def test_a_wage_garnishee_on_a_data_matched_employer_needs_the_customer_told_first() -> None:
    error = refused(wage_ready(), wage(), "X-R11")

    assert "Q289" in error.remedy
    assert single(wage_ready(q289=True).when(wage()), GarnisheeAssessed).appropriate
    assert single(wage_ready("CUSTOMER_RECORD").when(wage()), GarnisheeAssessed).appropriate


def test_a_garnishee_names_known_debts_and_a_fresh_id() -> None:
    refused(ready(), B.assess_garnishee(debt_ids=("D-7",)), "CMR-A2")
    refused(assessed(), B.assess_garnishee(), "CMR-A2")


# -- C31 SubmitGarnishee --------------------------------------------------------------------------
def test_a_garnishee_submission_saved_in_the_case_file_is_sent_to_the_ol() -> None:
    scenario = assessed().then(B.submission_document())

    events = accepted(scenario, B.submit_garnishee(), "CMR-R10", "CMR-R12", "X-R1", "CMR-A7")
    submitted_ = single(events, GarnisheeSubmitted)
    assert submitted_.submitted_to == "OL-0107"
    garnishee = after(scenario, B.submit_garnishee()).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.submitted_by == "CM-3012"


def test_a_submission_not_saved_in_the_case_file_is_refused() -> None:
    error = refused(assessed(), B.submit_garnishee(), "CMR-A7")

    assert "case file" in error.reason


def test_a_garnishee_is_submitted_once_and_only_once_assessed() -> None:
    refused(submitted(), B.submit_garnishee(), "CMR-A1")
    refused(ready().then(B.submission_document()), B.submit_garnishee(), "CMR-A2")


# -- X-R1 recovery pauses stop enforcement of those debts only ------------------------------------
PAUSES: dict[str, Callable[[], CaseCommand]] = {
    "explanation": lambda: B.request_review(kind="EXPLANATION"),
    "review": lambda: B.request_review(kind="REVIEW"),
    "reassessment": lambda: B.request_review(kind="REASSESSMENT"),
    "art-review": lambda: B.request_review(kind="ART_REVIEW"),
    "disaster": lambda: B.pause(reason="DISASTER"),
    "vulnerability": lambda: B.pause(reason="VULNERABILITY"),
    "redress": lambda: B.pause(reason="REDRESS"),
}


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_garnishee_is_submitted_for_a_paused_debt_while_other_debts_continue(
    pause: str,
) -> None:
    scenario = (
        assessed()
        .then(B.assess_garnishee(garnishee_id="G-2", debt_ids=("D-2",)))
        .then(B.submission_document())
        .then(PAUSES[pause]())
    )

    error = refused(scenario, B.submit_garnishee(), "X-R1")
    assert "D-1" in error.reason
    other = B.submit_garnishee(garnishee_id="G-2")
    assert names(accepted(scenario, other, "X-R1")) == ["GarnisheeSubmitted"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_garnishee_is_placed_for_a_debt_paused_after_approval(pause: str) -> None:
    scenario = approved().then(PAUSES[pause]())

    refused(scenario, B.place_garnishee(), "X-R1")
    resumed = scenario.then(B.resume())
    assert names(resumed.when(B.place_garnishee())) == ["GarnisheePlaced"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_litigation_referral_for_a_paused_debt_while_other_debts_continue(pause: str) -> None:
    scenario = investigating().then(B.referral_document()).then(PAUSES[pause]())

    refused(scenario, B.refer_to_litigation(), "X-R1")
    refused(scenario, B.refer_to_litigation(debt_ids=("D-1", "D-2")), "X-R1")
    other = B.refer_to_litigation(debt_ids=("D-2",))
    assert names(accepted(scenario, other, "X-R1")) == ["LitigationReferralSent"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_dpo_warning_while_the_customers_debts_are_paused(pause: str) -> None:
    scenario = dpo_referred().then(PAUSES[pause]())

    refused(scenario, B.dpo_warning(debt_ids=("D-1",)), "X-R1")


def test_a_dpo_warning_is_issued_for_the_debts_that_are_not_paused() -> None:
    scenario = dpo_referred().then(B.request_review(debt_ids=("D-1",)))

    assert names(scenario.when(B.dpo_warning())) == ["LetterIssued"]


@pytest.mark.parametrize("pause", sorted(PAUSES))
def test_no_dpo_is_made_for_a_paused_debt_while_other_debts_continue(pause: str) -> None:
    scenario = dpo_delivered().at(at(33)).then(PAUSES[pause]())

    refused(scenario, B.make_dpo(), "X-R1")
    refused(scenario, B.make_dpo(debt_ids=("D-1",)), "X-R1")
    assert names(accepted(scenario, B.make_dpo(debt_ids=("D-2",)), "X-R1")) == ["DpoMade"]


def test_a_review_request_does_not_revoke_a_dpo_in_force() -> None:
    scenario = dpo_in_force().then(B.request_review())

    state = after(scenario)
    assert state.dpo_active
    assert names(scenario.when(B.notify_dpo())) == ["DpoNotified"]


# -- C32 DecideGarnisheeSubmission (CMR-R9) -------------------------------------------------------
def test_the_operational_leader_approves_a_garnishee_submission() -> None:
    events = accepted(submitted(), B.decide_garnishee(), "CMR-R9", "CMR-A8")

    approval = single(events, GarnisheeApproved)
    assert not approval.self_approved
    garnishee = after(submitted(), B.decide_garnishee()).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.decision == "APPROVED"


def test_the_operational_leader_rejects_a_garnishee_submission() -> None:
    command = B.decide_garnishee(approve=False)

    assert names(accepted(submitted(), command, "CMR-R9")) == ["GarnisheeRejected"]
    garnishee = after(submitted(), command).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.decision == "REJECTED"


@pytest.mark.parametrize(
    "actor",
    [B.case_manager, B.team_leader, B.srt_officer, B.litigation_case_manager],
    ids=["case-manager", "team-leader", "srt-officer", "another-cms-lcm"],
)
def test_only_an_operational_leader_approves_someone_elses_garnishee(actor: Actor) -> None:
    error = refused(submitted(), B.decide_garnishee(actor=actor), "CMR-R9")

    assert "Operational Leader" in error.reason


def lcm_submitted(kind: str, lcm: Actor = B.litigation_case_manager) -> CaseScenario:
    return (
        ready()
        .then(B.assess_garnishee(kind=kind, actor=lcm))
        .then(B.submission_document(actor=lcm))
        .then(B.submit_garnishee(actor=lcm))
    )


def test_an_aps5_litigation_case_manager_approves_their_own_bank_garnishee() -> None:
    lcm = B.litigation_case_manager
    events = accepted(lcm_submitted("FI"), B.decide_garnishee(actor=lcm), "CMR-R9")

    assert single(events, GarnisheeApproved).self_approved


def test_a_litigation_case_manager_does_not_approve_their_own_wage_garnishee() -> None:
    lcm = B.litigation_case_manager

    refused(lcm_submitted("WAGE"), B.decide_garnishee(actor=lcm), "CMR-R9")
    assert names(lcm_submitted("WAGE").when(B.decide_garnishee())) == ["GarnisheeApproved"]


def test_a_litigation_case_manager_below_aps5_does_not_approve_their_own_garnishee() -> None:
    junior = case_staff(Role.LITIGATION_CASE_MANAGER, "LCM-0901", "APS4")

    refused(lcm_submitted("FI", junior), B.decide_garnishee(actor=junior), "CMR-R9")


def test_the_garnishee_approver_roles_are_configurable() -> None:
    approvers = config(garnishee_approver_roles=frozenset({Role.TEAM_LEADER}))

    scenario = submitted().configured(approvers)
    assert names(scenario.when(B.decide_garnishee(actor=B.team_leader))) == ["GarnisheeApproved"]
    refused(scenario, B.decide_garnishee(), "CMR-R9")


def test_a_garnishee_decision_records_its_reasons() -> None:
    refused(submitted(), B.decide_garnishee(reasons=()), "CMR-A8")


def test_only_a_submitted_garnishee_awaiting_a_decision_is_decided() -> None:
    refused(assessed(), B.decide_garnishee(), "CMR-A1")
    refused(approved(), B.decide_garnishee(), "CMR-A1")


# -- C33 RecordDebtRedressCheck / ApproveDebtRedressCheck (CMR-R9) --------------------------------
def test_a_debt_redress_check_is_actioned_then_approved_by_the_ol() -> None:
    decided = submitted().then(B.decide_garnishee())

    assert names(accepted(decided, B.redress_check())) == ["DebtRedressCheckActioned"]
    actioned = decided.then(B.redress_check())
    assert names(accepted(actioned, B.approve_redress_check(), "CMR-R9")) == [
        "DebtRedressCheckApproved"
    ]
    garnishee = after(actioned, B.approve_redress_check()).garnishee("G-1")
    assert garnishee is not None
    assert (garnishee.redress_result, garnishee.redress_approved) == ("CLEAR", True)


def test_a_debt_redress_check_is_for_a_submitted_garnishee() -> None:
    refused(assessed(), B.redress_check(), "CMR-A1")


def test_a_debt_redress_check_not_clear_cannot_be_approved() -> None:
    actioned = submitted().then(B.redress_check(result="NOT_CLEAR"))

    error = refused(actioned, B.approve_redress_check(), "CMR-R9")
    assert "not clear" in error.reason


def test_only_the_operational_leader_approves_the_debt_redress_check_it_actioned() -> None:
    actioned = submitted().then(B.redress_check())

    refused(actioned, B.approve_redress_check(actor=B.case_manager), "CMR-R9")
    refused(actioned, B.approve_redress_check(check_id="DRC-9"), "CMR-R9")
    refused(submitted(), B.approve_redress_check(), "CMR-R9")


# -- C34 PlaceGarnishee (CMR-R9, R11, R14, R15, A9) -----------------------------------------------
def test_an_approved_garnishee_with_a_clear_approved_redress_check_is_placed() -> None:
    scenario = approved().later(hours=1)
    command = B.place_garnishee()

    events = accepted(
        scenario, command, "CMR-R9", "CMR-R10", "CMR-R11", "CMR-R14", "CMR-R15", "CMR-A9", "X-R1"
    )
    placed_ = single(events, GarnisheePlaced)
    assert placed_.notice_date == date(2026, 3, 23)
    assert placed_.warning_relied_on == "Q190 Q190-1 of 2026-03-04"
    garnishee = after(scenario, command).garnishee("G-1")
    assert garnishee is not None
    assert garnishee.placed_on == date(2026, 3, 23)


def test_a_garnishee_is_not_placed_before_its_submission_is_approved() -> None:
    refused(submitted(), B.place_garnishee(), "CMR-R9")
    rejected = submitted().then(B.decide_garnishee(approve=False))
    refused(rejected, B.place_garnishee(), "CMR-R9")


def test_a_garnishee_is_not_placed_until_a_debt_redress_check_is_actioned_and_approved() -> None:
    decided = submitted().then(B.decide_garnishee())

    error = refused(decided, B.place_garnishee(), "CMR-R9")
    assert "Debt Redress Check" in error.reason
    refused(decided.then(B.redress_check()), B.place_garnishee(), "CMR-R9")


def test_a_garnishee_is_placed_only_once() -> None:
    refused(placed(), B.place_garnishee(), "CMR-A1")


def placement_on(day: date, scenario: CaseScenario | None = None) -> CaseScenario:
    return (scenario or approved()).at(datetime.combine(day, time(10), tzinfo=ZONE))


def test_the_garnishee_warning_counts_for_90_days_before_implementation() -> None:
    on_day_90 = placement_on(Q190_ISSUED + timedelta(days=90))
    on_day_91 = placement_on(Q190_ISSUED + timedelta(days=91))

    assert names(accepted(on_day_90, B.place_garnishee(), "CMR-R11")) == ["GarnisheePlaced"]
    error = refused(on_day_91, B.place_garnishee(), "CMR-R11")
    assert "90 days" in error.reason


def test_a_later_verbal_warning_or_q289_renews_the_garnishee_warning() -> None:
    verbal = approved().then_at(at(60, 11), B.discussion(garnishee_warning_given=True))
    q289 = (
        approved()
        .then_at(at(60), B.employment_lead(lead_id="EMP-9"))
        .then(B.q289(letter_id="Q289-9", employment_lead_id="EMP-9"))
    )
    day = Q190_ISSUED + timedelta(days=100)

    assert names(placement_on(day, verbal).when(B.place_garnishee())) == ["GarnisheePlaced"]
    placed_ = single(placement_on(day, q289).when(B.place_garnishee()), GarnisheePlaced)
    assert placed_.warning_relied_on.startswith("Q289 Q289-9")


def test_the_garnishee_warning_validity_is_configurable() -> None:
    day = Q190_ISSUED + timedelta(days=30)
    strict = placement_on(day).configured(config(garnishee_warning_validity_days=28))

    refused(strict, B.place_garnishee(), "CMR-R11")


def test_a_customer_who_retracts_their_refusal_before_the_garnishee_issues_negotiates() -> None:
    scenario = approved().then(B.refusal_retracted())

    error = refused(scenario, B.place_garnishee(), "CMR-R14")
    assert "negotiation resumes" in error.reason


def test_the_customer_is_told_the_garnishee_decision_is_reviewable() -> None:
    refused(approved(), B.place_garnishee(review_rights_advised=False), "CMR-R15")


def test_a_garnishee_notice_allows_14_days_before_payment() -> None:
    today = approved().now.date()

    too_soon = B.place_garnishee(payment_not_before=today + timedelta(days=13))
    error = refused(approved(), too_soon, "CMR-A9")
    assert "s.1233" in error.reason
    in_time = B.place_garnishee(payment_not_before=today + timedelta(days=14))
    assert names(approved().when(in_time)) == ["GarnisheePlaced"]


# -- C35 RecordGarnisheeOutcome -------------------------------------------------------------------
def test_a_garnishee_remittance_is_recorded_and_the_last_one_pays_the_debt_in_full() -> None:
    part = B.garnishee_outcome(remaining_balance=Decimal("4400"))

    remittance = single(accepted(placed(), part), GarnisheeRemittanceRecorded)
    assert remittance.remaining_balance == Decimal("4400")
    assert not after(placed(), part).paid_in_full
    events = accepted(placed().then(part), B.garnishee_outcome())
    assert names(events) == ["GarnisheeRemittanceRecorded", "DebtPaidInFull"]
    assert isinstance(events[1], DebtPaidInFull)
    assert after(placed(), B.garnishee_outcome()).paid_in_full


def test_an_outcome_is_recorded_only_for_a_placed_garnishee() -> None:
    refused(approved(), B.garnishee_outcome(), "CMR-A1")


# -- C36 RecordPropertySearch / C37 RecordEquifaxSearch (CMR-R16) ---------------------------------
def searched(action: str = "RP Data search") -> CaseScenario:
    return investigating().then(B.search_document(action))


@pytest.mark.parametrize("state", ["VIC", "NSW", "QLD", "WA"])
def test_an_rp_data_name_search_covers_vic_nsw_qld_and_wa(state: str) -> None:
    command = B.property_search(state=state)

    assert names(accepted(searched(), command, "CMR-R16", "CMR-A7")) == ["PropertySearchRecorded"]
    assert after(searched(), command).property_searches == (state,)


@pytest.mark.parametrize("state", ["SA", "TAS", "ACT", "NT"])
def test_no_rp_data_name_search_for_other_states(state: str) -> None:
    error = refused(searched(), B.property_search(state=state), "CMR-R16")

    assert "Equifax" in error.remedy


def test_the_rp_data_states_are_configurable() -> None:
    scenario = searched().configured(config(rp_data_states=frozenset({"VIC", "NSW", "SA"})))

    assert names(scenario.when(B.property_search(state="SA")))
    refused(scenario, B.property_search(state="QLD"), "CMR-R16")


def test_a_property_search_result_is_saved_in_the_case_file() -> None:
    refused(investigating(), B.property_search(), "CMR-A7")


def test_an_equifax_search_covers_a_state_outside_rp_data() -> None:
    scenario = searched("Equifax search")

    assert names(accepted(scenario, B.equifax_search(), "CMR-R16")) == ["EquifaxSearchRecorded"]
    refused(scenario, B.equifax_search(state="NSW"), "CMR-R16")


def test_an_equifax_search_in_an_rp_data_state_follows_the_rp_data_search() -> None:
    command = B.equifax_search(state="NSW", reason="OTHER_SEARCHES_EXHAUSTED")
    scenario = searched().then(B.search_document("Equifax search"))

    refused(scenario, command, "CMR-R16")
    assert names(scenario.then(B.property_search()).when(command)) == ["EquifaxSearchRecorded"]


def test_an_equifax_search_result_is_saved_in_the_case_file() -> None:
    refused(investigating(), B.equifax_search(), "CMR-A7")


# -- C38 ReferToSrtLitigation / C39 DecideLitigationReferral --------------------------------------
def referred() -> CaseScenario:
    return investigating().then(B.referral_document()).then(B.refer_to_litigation())


def test_a_litigation_referral_saved_in_the_case_file_goes_to_the_positional_mailbox() -> None:
    scenario = investigating().then(B.referral_document())

    events = accepted(scenario, B.refer_to_litigation(), "CMR-A7", "X-R1", "X-R3")
    assert names(events) == ["LitigationReferralSent"]
    state = after(scenario, B.refer_to_litigation())
    assert (state.litigation, state.stage) == ("SENT", "LITIGATION_REFERRED")


def test_a_litigation_referral_not_saved_in_the_case_file_is_refused() -> None:
    refused(investigating(), B.refer_to_litigation(), "CMR-A7")


def test_a_litigation_referral_names_debts_of_the_case_and_is_made_once() -> None:
    refused(investigating(), B.refer_to_litigation(debt_ids=("D-5",)), "CMR-A2")
    refused(referred(), B.refer_to_litigation(), "CMR-A1")


@pytest.mark.parametrize("accept", [True, False])
@pytest.mark.parametrize("decider", ["senior_litigation_officer", "litigation_case_manager"])
def test_srt_litigation_accepts_or_declines_a_referral(accept: bool, decider: str) -> None:
    command = B.decide_litigation(actor=getattr(B, decider), accept=accept)

    events = accepted(referred(), command, "CMR-A13", "CMR-A8")
    expected = "LitigationReferralAccepted" if accept else "LitigationReferralDeclined"
    assert names(events) == [expected]
    assert after(referred(), command).litigation == ("ACCEPTED" if accept else "DECLINED")


def test_only_srt_litigation_decides_a_referral_with_reasons() -> None:
    refused(referred(), B.decide_litigation(actor=B.operational_leader), "CMR-A13")
    refused(referred(), B.decide_litigation(reasons=()), "CMR-A8")
    refused(investigating(), B.decide_litigation(), "CMR-A1")


# -- C40 RecordTravelPatternAssessment / C41 ReferForDpo ------------------------------------------
def test_a_travel_pattern_found_leads_to_a_dpo_referral() -> None:
    scenario = investigating()

    assert names(accepted(scenario, B.travel_pattern())) == ["TravelPatternAssessed"]
    with_pattern = scenario.then(B.travel_pattern())
    assert names(accepted(with_pattern, B.refer_for_dpo(), "CMR-R17")) == ["DpoReferralMade"]
    state = after(with_pattern, B.refer_for_dpo())
    assert (state.dpo_referred, state.stage) == (True, "DPO_TRACK")


def test_no_dpo_referral_without_an_identified_travel_pattern() -> None:
    refused(investigating(), B.refer_for_dpo(), "CMR-R17")
    no_pattern = investigating().then(B.travel_pattern(pattern_found=False))
    refused(no_pattern, B.refer_for_dpo(), "CMR-R17")


# == Table 4: the SRT Officer's DPO steps (CMR-R17) ===============================================
# -- C42 IssueDpoWarning --------------------------------------------------------------------------
def test_the_srt_officer_issues_a_tracked_dpo_warning_with_23_days_to_respond() -> None:
    events = accepted(dpo_referred(), B.dpo_warning(), "CMR-A13", "CMR-R17", "X-R1", "CMR-R5")

    warning = letter(events)
    assert (warning.code, warning.purpose) == ("Q190", "DPO_WARNING")
    assert warning.response_period == DayCount(days=23)
    assert warning.respond_by == date(2026, 4, 3)
    assert warning.tracking_id == "AP-7781-DPO"
    assert warning.counts_as_garnishee_warning
    state = after(dpo_referred(), B.dpo_warning())
    assert state.stage == "DPO_TRACK"
    dpo_warning = state.dpo_warning()
    assert dpo_warning is not None
    assert dpo_warning.respond_by == date(2026, 4, 3)


def test_the_same_q190_gives_15_days_as_a_final_option_and_23_as_a_dpo_warning() -> None:
    final_option = letter(contacted().when(B.q190()))
    dpo = letter(dpo_referred().when(B.dpo_warning()))

    assert final_option.code == dpo.code == "Q190"
    assert (final_option.response_period.days, dpo.response_period.days) == (15, 23)
    assert final_option.respond_by - final_option.occurred_at.date() == timedelta(days=15)
    assert dpo.respond_by - dpo.occurred_at.date() == timedelta(days=23)


@pytest.mark.parametrize("role", ["case_manager", "operational_leader"])
def test_only_the_srt_officer_issues_a_dpo_warning(role: str) -> None:
    refused(dpo_referred(), B.dpo_warning(actor=getattr(B, role)), "CMR-A13")


def test_no_dpo_warning_before_the_dpo_referral() -> None:
    with_pattern = investigating().then(B.travel_pattern())

    error = refused(with_pattern, B.dpo_warning(), "CMR-R17")
    assert "referred" in error.reason


def test_a_dpo_warning_goes_by_a_tracked_article() -> None:
    refused(dpo_referred(), B.dpo_warning(tracking_id=""), "CMR-R17")


def test_a_dpo_warning_safeguards_privacy_and_states_review_rights() -> None:
    refused(dpo_referred(), B.dpo_warning(address_confirmed=False), "CMR-R5")
    refused(dpo_referred(), B.dpo_warning(includes_review_rights=False), "X-R10")


# -- C43 ConfirmDpoWarningDelivery ----------------------------------------------------------------
def test_delivery_of_the_dpo_warning_is_confirmed_after_14_days() -> None:
    scenario = dpo_warned().at(at(23))

    delivered = single(
        accepted(scenario, B.confirm_dpo_delivery(), "CMR-A13", "CMR-R17"), DpoWarningDelivered
    )
    assert (delivered.tracking_id, delivered.checked_on) == ("AP-7781-DPO", date(2026, 3, 25))
    warning = after(scenario, B.confirm_dpo_delivery()).dpo_warning()
    assert warning is not None
    assert warning.delivered is True


def test_delivery_is_not_checked_before_14_days_have_passed() -> None:
    error = refused(dpo_warned().at(at(22, 16)), B.confirm_dpo_delivery(), "CMR-R17")

    assert "2026-03-25" in error.reason


def test_an_undelivered_dpo_warning_is_recorded_and_no_dpo_follows() -> None:
    command = B.confirm_dpo_delivery(delivered=False, tracking_status="Awaiting collection")
    scenario = dpo_warned().at(at(23))

    not_delivered = single(accepted(scenario, command), DpoWarningNotDelivered)
    assert not_delivered.tracking_status == "Awaiting collection"
    refused(scenario.then(command).at(at(40)), B.make_dpo(), "CMR-R17")


def test_only_the_srt_officer_confirms_delivery_of_a_dpo_warning() -> None:
    refused(dpo_warned().at(at(23)), B.confirm_dpo_delivery(actor=B.case_manager), "CMR-A13")


def test_delivery_is_confirmed_only_for_a_dpo_warning() -> None:
    scenario = dpo_warned().at(at(23))

    refused(scenario, B.confirm_dpo_delivery(letter_id="Q190-1"), "CMR-R17")
    refused(scenario, B.confirm_dpo_delivery(letter_id="Q190-X"), "CMR-R17")


def test_the_delivery_wait_is_configurable_in_business_days() -> None:
    five_business_days = config(dpo_delivery_check_after=DayCount(days=5, unit="BUSINESS"))
    scenario = dpo_warned().configured(five_business_days)

    refused(
        scenario.at(datetime(2026, 3, 17, 16, tzinfo=ZONE)), B.confirm_dpo_delivery(), "CMR-R17"
    )
    wednesday = scenario.at(datetime(2026, 3, 18, 10, tzinfo=ZONE))
    assert names(wednesday.when(B.confirm_dpo_delivery())) == ["DpoWarningDelivered"]


def test_a_business_day_delivery_wait_skips_public_holidays() -> None:
    five_business_days = config(dpo_delivery_check_after=DayCount(days=5, unit="BUSINESS"))
    scenario = dpo_warned().configured(five_business_days).with_holidays(date(2026, 3, 16))

    wednesday = scenario.at(datetime(2026, 3, 18, 10, tzinfo=ZONE))
    refused(wednesday, B.confirm_dpo_delivery(), "CMR-R17")


# -- C44 MakeDpo ----------------------------------------------------------------------------------
def test_the_delegate_makes_a_dpo_once_the_warning_is_delivered_and_its_23_days_are_over() -> None:
    scenario = dpo_delivered().at(datetime(2026, 4, 4, 10, tzinfo=ZONE))

    made = single(accepted(scenario, B.make_dpo(), "CMR-R17", "CMR-A8", "X-R1"), DpoMade)
    assert (made.dpo_id, made.debt_ids, made.made_on) == ("DPO-1", ("D-1", "D-2"), date(2026, 4, 4))
    assert made.considerations.time_unpaid == "Debts unpaid since 2022."
    state = after(scenario, B.make_dpo())
    assert (state.dpo_id, state.dpo_active) == ("DPO-1", True)


def test_no_dpo_while_the_customer_may_still_respond_to_the_warning() -> None:
    on_the_last_day = dpo_delivered().at(datetime(2026, 4, 3, 16, tzinfo=ZONE))

    error = refused(on_the_last_day, B.make_dpo(), "CMR-R17")
    assert "2026-04-03" in error.reason


@pytest.mark.parametrize("role", ["operational_leader", "srt_officer", "case_manager"])
def test_only_a_dpo_delegate_makes_a_dpo(role: str) -> None:
    scenario = dpo_delivered().at(at(33))

    refused(scenario, B.make_dpo(actor=getattr(B, role)), "CMR-R17")


def test_no_dpo_without_a_delivered_warning() -> None:
    refused(dpo_warned().at(at(33)), B.make_dpo(), "CMR-R17")
    refused(dpo_referred().at(at(33)), B.make_dpo(), "CMR-R17")


def test_no_dpo_while_a_satisfactory_arrangement_is_in_place() -> None:
    scenario = dpo_delivered().then(B.acceptable_arrangement()).at(at(33))

    error = refused(scenario, B.make_dpo(), "CMR-R17")
    assert "arrangement" in error.reason


def test_a_dpo_decision_records_its_reasons() -> None:
    refused(dpo_delivered().at(at(33)), B.make_dpo(reasons=()), "CMR-A8")


def test_a_dpo_names_debts_of_the_case_and_only_one_is_in_force() -> None:
    refused(dpo_delivered().at(at(33)), B.make_dpo(debt_ids=("D-3",)), "CMR-A2")
    refused(dpo_in_force(), B.make_dpo(dpo_id="DPO-2"), "CMR-A1")


# -- C45 NotifyDpo --------------------------------------------------------------------------------
def test_a_dpo_is_notified_to_the_customer_and_home_affairs() -> None:
    notified = single(accepted(dpo_in_force(), B.notify_dpo(), "CMR-R17"), DpoNotified)

    assert notified.recipients == ("CUSTOMER", "HOME_AFFAIRS")


def test_home_affairs_gets_no_copy_for_an_australian_citizen() -> None:
    command = B.notify_dpo(recipients=("CUSTOMER",), australian_citizen=True)

    assert names(dpo_in_force().when(command)) == ["DpoNotified"]


@pytest.mark.parametrize(
    "recipients",
    [("CUSTOMER",), ("HOME_AFFAIRS",), ()],
    ids=["no-home-affairs", "no-customer", "none"],
)
def test_a_non_citizen_and_home_affairs_must_both_be_notified(recipients: tuple[str, ...]) -> None:
    command = B.notify_dpo(recipients=recipients)

    error = refused(dpo_in_force(), command, "CMR-R17")
    assert "Home Affairs" in error.reason


def test_the_srt_officer_may_notify_a_dpo_but_not_the_case_manager() -> None:
    assert names(dpo_in_force().when(B.notify_dpo(actor=B.srt_officer))) == ["DpoNotified"]
    refused(dpo_in_force(), B.notify_dpo(actor=B.case_manager), "CMR-R17")


def test_only_a_dpo_in_force_is_notified() -> None:
    refused(dpo_in_force(), B.notify_dpo(dpo_id="DPO-9"), "CMR-A1")
    refused(dpo_delivered(), B.notify_dpo(), "CMR-A1")


# -- C46 VaryDpo / RevokeDpo ----------------------------------------------------------------------
def test_the_delegate_varies_a_dpo_with_reasons() -> None:
    assert names(accepted(dpo_in_force(), B.vary_dpo(), "CMR-R17", "CMR-A8")) == ["DpoVaried"]
    refused(dpo_in_force(), B.vary_dpo(reasons=()), "CMR-A8")
    refused(dpo_in_force(), B.vary_dpo(actor=B.operational_leader), "CMR-R17")


@pytest.mark.parametrize(
    "ground", ["PAID", "SATISFACTORY_ARRANGEMENT", "IRRECOVERABLE", "DISCRETION"]
)
def test_the_delegate_revokes_a_dpo(ground: str) -> None:
    command = B.revoke_dpo(ground=ground)

    revoked = single(accepted(dpo_in_force(), command, "CMR-R17"), DpoRevoked)
    assert revoked.ground == ground
    assert not after(dpo_in_force(), command).dpo_active


def test_a_revoked_dpo_is_no_longer_in_force() -> None:
    revoked = dpo_in_force().then(B.revoke_dpo())

    refused(revoked, B.revoke_dpo(), "CMR-A1")
    refused(revoked, B.vary_dpo(), "CMR-A1")
    refused(dpo_in_force(), B.revoke_dpo(actor=B.srt_officer), "CMR-R17")


# -- C47 DecideDac --------------------------------------------------------------------------------
def test_the_delegate_grants_or_refuses_a_departure_authorisation_certificate() -> None:
    issued = single(accepted(dpo_in_force(), B.decide_dac(), "CMR-R17"), DacIssued)
    assert (issued.departs_on, issued.returns_by) == (date(2026, 5, 1), date(2026, 5, 15))
    assert names(dpo_in_force().when(B.decide_dac(grant=False))) == ["DacRefused"]


def test_a_dac_needs_a_return_after_the_departure_and_a_dpo_in_force() -> None:
    same_day = B.decide_dac(returns_by=date(2026, 5, 1))

    refused(dpo_in_force(), same_day, "CMR-A2")
    refused(dpo_delivered(), B.decide_dac(), "CMR-A1")
    refused(dpo_in_force(), B.decide_dac(reasons=()), "CMR-A8")


# == Table 5: closing (CMR-R18) ===================================================================
def test_a_case_that_exhausted_its_recovery_options_starts_closing() -> None:
    scenario = investigating()

    started = single(accepted(scenario, B.close(), "CMR-R18", "CMR-R17"), CaseClosureStarted)
    assert started.reason == "RECOVERY_OPTIONS_EXHAUSTED"
    state = after(scenario, B.close())
    assert (state.status, state.stage, state.closure_reason) == (
        "CLOSING",
        "CLOSING",
        "RECOVERY_OPTIONS_EXHAUSTED",
    )


UNMET_OUTCOMES: dict[str, Callable[[], CaseScenario]] = {
    "PAID_IN_FULL": investigating,
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED": investigating,
    "LITIGATION_REFERRAL_ACCEPTED": referred,
    "RECOVERY_OPTIONS_EXHAUSTED": B.onboarded,
    "UNASSIGNED_NOT_SUITABLE": investigating,
}


@pytest.mark.parametrize("reason", sorted(UNMET_OUTCOMES))
def test_a_case_closes_only_after_its_outcome_is_achieved(reason: str) -> None:
    error = refused(UNMET_OUTCOMES[reason](), B.close(reason=reason), "CMR-R18")

    assert reason.replace("_", " ").lower() in error.reason


MET_OUTCOMES: dict[str, Callable[[], CaseScenario]] = {
    "PAID_IN_FULL": lambda: placed().then(B.garnishee_outcome()),
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED": B.arranged,
    "LITIGATION_REFERRAL_ACCEPTED": lambda: referred().then(B.decide_litigation()),
    "UNASSIGNED_NOT_SUITABLE": unsuitable,
    "WRITTEN_OFF": investigating,
    "WAIVED": investigating,
    "DECEASED_NO_ESTATE": investigating,
    "BANKRUPT": investigating,
}


@pytest.mark.parametrize("reason", sorted(MET_OUTCOMES))
def test_a_case_with_its_outcome_achieved_starts_closing(reason: str) -> None:
    events = MET_OUTCOMES[reason]().when(B.close(reason=reason))

    assert single(events, CaseClosureStarted).reason == reason


def test_a_closure_for_another_reason_describes_the_outcome() -> None:
    refused(investigating(), B.close(reason="OTHER"), "CMR-R18")
    command = B.close(reason="OTHER", detail="Customer migrated; debt transferred to ATO.")
    assert names(investigating().when(command)) == ["CaseClosureStarted"]


def test_a_case_does_not_close_while_a_dpo_is_in_force() -> None:
    error = refused(dpo_in_force(), B.close(), "CMR-R17")

    assert "revoke" in error.remedy
    revoked = dpo_in_force().then(B.revoke_dpo())
    assert names(revoked.when(B.close())) == ["CaseClosureStarted"]


def test_the_recovery_options_exhausted_fast_note_is_linked_to_its_activity() -> None:
    events = accepted(closing(), B.roe_fast_note(), "CMR-R18")

    assert names(events) == ["RecoveryOptionsExhaustedRecorded"]
    assert after(closing(), B.roe_fast_note()).closure_steps == ("ROE_FAST_NOTE",)


def test_the_roe_fast_note_is_only_for_a_recovery_options_exhausted_closure() -> None:
    paid = placed().then(B.garnishee_outcome()).then(B.close(reason="PAID_IN_FULL"))

    refused(paid, B.roe_fast_note(), "CMR-R18")


CLOSING_STEPS: dict[str, tuple[Callable[[], CaseCommand], str, str]] = {
    "C50": (B.expire_doa_doc, "DoaDocExpired", "DOA_DOC_EXPIRED"),
    "C51": (B.end_civil_action, "CivilActionEnded", "CIVIL_ACTION_ENDED"),
    "C52": (B.end_opcv_coding, "OpcvCodingEnded", "OPCV_CODING_ENDED"),
    "C53": (
        B.update_wlm_actor_relationship,
        "ActorRelationshipEnded",
        "ACTOR_RELATIONSHIP_UPDATED",
    ),
    "C54": (B.finalise_case_file, "CaseFileFinalised", "CASE_FILE_FINALISED"),
}


@pytest.mark.parametrize("step", sorted(CLOSING_STEPS))
def test_each_closing_step_is_recorded_once(step: str) -> None:
    command, event, done = CLOSING_STEPS[step]

    assert names(accepted(closing(), command(), "CMR-A1")) == [event]
    assert after(closing(), command()).closure_steps == (done,)
    error = refused(closing().then(command()), command(), "CMR-A1")
    assert "already done" in error.reason


def test_the_civil_action_ends_for_the_debts_that_have_one() -> None:
    b = case_builder(
        debts=(
            Debt(debt_id="D-1", balance=Decimal("9000"), civil_action=True),
            Debt(debt_id="D-2", balance=Decimal("3000")),
        )
    )

    ended = single(b.closing().when(b.end_civil_action()), CivilActionEnded)
    assert ended.debt_ids == ("D-1",)


def test_opcv_coding_ends_even_on_debts_with_a_zero_balance() -> None:
    b = case_builder(
        debts=(
            Debt(debt_id="D-1", balance=Decimal("9000")),
            Debt(debt_id="D-2", balance=Decimal("0")),
            Debt(debt_id="D-3", balance=Decimal("50"), opcv_coded=False),
        )
    )

    ended = single(b.closing().when(b.end_opcv_coding()), OpcvCodingEnded)
    assert ended.debt_ids == ("D-1", "D-2")


def test_the_closure_completes_once_every_table_5_step_is_done() -> None:
    scenario = closing().then(B.roe_fast_note())
    for step in B.closing_steps():
        scenario = scenario.then(step)

    closed = single(accepted(scenario, B.complete_closure(), "CMR-R18"), CaseClosed)
    assert closed.completed_steps == ("ROE_FAST_NOTE", *cmr.CLOSURE_STEPS)
    state = after(scenario, B.complete_closure())
    assert (state.status, state.stage, state.is_terminal) == ("CLOSED", "CLOSED", True)


def test_the_closure_is_not_complete_while_a_step_is_missing() -> None:
    error = refused(closing(), B.complete_closure(), "CMR-R18")
    assert "roe fast note" in error.reason
    assert "doa doc expired" in error.reason

    scenario = closing().then(B.roe_fast_note())
    for step in B.closing_steps()[:-1]:
        scenario = scenario.then(step)
    error = refused(scenario, B.complete_closure(), "CMR-R18")
    assert "case file finalised" in error.reason


def test_a_paid_in_full_closure_needs_no_roe_fast_note() -> None:
    scenario = placed().then(B.garnishee_outcome()).then(B.close(reason="PAID_IN_FULL"))
    for step in B.closing_steps():
        scenario = scenario.then(step)

    closed = single(scenario.when(B.complete_closure()), CaseClosed)
    assert closed.completed_steps == cmr.CLOSURE_STEPS


def test_an_srt_case_is_archived_once_closed() -> None:
    assert names(accepted(B.closed(), B.archive(), "CMR-A1")) == ["CaseArchived"]
    assert after(B.closed(), B.archive()).status == "ARCHIVED"


def test_a_closed_trt_case_is_referred_to_the_positional_mailbox_for_archiving() -> None:
    trt = case_builder(team="TRT")

    events = trt.closed().when(trt.archive())
    assert single(events, ArchiveConsiderationRequested).mailbox == "TRT positional mailbox"


def test_only_a_closed_case_is_archived() -> None:
    refused(investigating(), B.archive(), "CMR-A1")
    refused(closing(), B.archive(), "CMR-A1")


# -- CMR-A1 the case's status ---------------------------------------------------------------------
TERMINAL: dict[str, Callable[[], CaseScenario]] = {
    "CLOSED": B.closed,
    "ARCHIVED": lambda: B.closed().then(B.archive()),
    "UNASSIGNED": lambda: unsuitable().then(B.unassign()),
}
ANY_COMMAND: dict[str, Callable[[], CaseCommand]] = {
    "suitability": B.assess_suitability,
    "document": B.add_document,
    "call": B.contact_attempt,
    "q190": B.q190,
    "discussion": B.discussion,
    "pause": B.pause,
    "arrangement": B.acceptable_arrangement,
    "employment-lead": B.employment_lead,
    "garnishee": B.assess_garnishee,
    "litigation": B.refer_to_litigation,
    "dpo": B.make_dpo,
    "flag": B.flag,
    "close": B.close,
    "closing-step": B.expire_doa_doc,
    "complete": B.complete_closure,
}


@pytest.mark.parametrize("status", sorted(TERMINAL))
@pytest.mark.parametrize("command", sorted(ANY_COMMAND))
def test_a_closed_archived_or_unassigned_case_accepts_no_changing_command(
    status: str, command: str
) -> None:
    scenario = TERMINAL[status]().later(days=1)
    assert scenario.state is not None
    assert (scenario.state.status, scenario.state.is_terminal) == (status, True)

    error = refused(scenario, ANY_COMMAND[command](), "CMR-A1")
    assert status.lower() in error.reason


def test_an_archived_case_is_not_archived_again() -> None:
    refused(B.closed().then(B.archive()), B.archive(), "CMR-A1")


@pytest.mark.parametrize(
    "command",
    sorted(set(ANY_COMMAND) - {"flag", "closing-step", "complete"}),
)
def test_a_closing_case_accepts_only_the_closing_steps(command: str) -> None:
    error = refused(closing(), ANY_COMMAND[command](), "CMR-A1")

    assert "closing steps" in error.reason


def test_a_vulnerability_flag_is_still_recorded_while_the_case_closes() -> None:
    assert names(closing().when(B.flag())) == ["VulnerabilityFlagRecorded"]
    assert names(closing().then(B.flag()).when(B.clear_flag())) == ["VulnerabilityFlagCleared"]


@pytest.mark.parametrize(
    "command",
    [B.roe_fast_note, *(step for step, _, _ in CLOSING_STEPS.values()), B.complete_closure],
    ids=["C49", *sorted(CLOSING_STEPS), "C55"],
)
def test_a_closing_step_waits_for_the_closure_to_start(command: Callable[[], CaseCommand]) -> None:
    error = refused(investigating(), command(), "CMR-A1")

    assert "CloseCase" in error.remedy


# == vulnerability flags (X-R2, X-R3, X-R4, X-R1 disaster) ========================================
@pytest.mark.parametrize(
    "kind", ["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "FDV", "HARDSHIP", "DISASTER", "OTHER"]
)
def test_a_vulnerability_flag_is_recorded_by_the_case_team_or_a_social_worker(kind: str) -> None:
    recorded = single(accepted(investigating(), B.flag(kind=kind)), VulnerabilityFlagRecorded)

    assert recorded.kind == kind
    by_social_worker = B.flag(kind=kind, actor=B.social_worker)
    assert names(investigating().when(by_social_worker)) == ["VulnerabilityFlagRecorded"]
    assert after(investigating(), B.flag(kind=kind)).flag_kinds() == {kind}


def test_a_flag_id_is_used_once() -> None:
    refused(with_flag("OTHER"), B.flag(kind="HARDSHIP"), "CMR-A2")


@pytest.mark.parametrize(
    ("kind", "rule_id"), [("SUICIDE_SELF_HARM", "X-R3"), ("FDV_IMMEDIATE_THREAT", "X-R4")]
)
def test_a_pre_call_sms_to_a_customer_at_risk_is_recorded_as_blocked_not_refused(
    kind: str, rule_id: str
) -> None:
    scenario = with_flag(kind, SMS.onboarded().at(at(0, 10)))

    blocked = single(scenario.when(SMS.pre_call_sms()), PreCallSmsBlocked)
    assert blocked.rule_id == rule_id
    assert rule_id in blocked.rules_applied
    assert blocked.detail
    state = after(scenario, SMS.pre_call_sms())
    assert (state.contacts, state.pre_call_sms_pending) == ((), False)
    call = SMS.contact_attempt(occurred_at=at(0, 10))
    assert names(scenario.then(SMS.pre_call_sms()).when(call)) == ["ContactAttempted"]


def test_fdv_with_an_immediate_threat_suppresses_letters_to_the_customer() -> None:
    scenario = with_flag("FDV_IMMEDIATE_THREAT", contacted())

    error = refused(scenario, B.q190(), "X-R4")
    assert "suppressed" in error.reason
    refused(scenario, B.q164(customer_aware_of_debt=False), "X-R4")


def test_an_fdv_flag_without_an_immediate_threat_does_not_stop_letters() -> None:
    assert names(with_flag("FDV", contacted()).when(B.q190())) == ["LetterIssued"]


ENFORCEMENT: dict[str, tuple[Callable[[], CaseScenario], Callable[[], CaseCommand]]] = {
    "submit-garnishee": (lambda: assessed().then(B.submission_document()), B.submit_garnishee),
    "place-garnishee": (approved, B.place_garnishee),
    "litigation-referral": (
        lambda: investigating().then(B.referral_document()),
        B.refer_to_litigation,
    ),
    "dpo-warning": (dpo_referred, B.dpo_warning),
    "make-dpo": (lambda: dpo_delivered().at(at(33)), B.make_dpo),
}
"""Each enforcement step, in a history where it would otherwise go ahead."""


@pytest.mark.parametrize(
    ("kind", "rule_id"),
    [("SUICIDE_SELF_HARM", "X-R3"), ("FDV_IMMEDIATE_THREAT", "X-R4"), ("DISASTER", "X-R1")],
)
@pytest.mark.parametrize("step", sorted(ENFORCEMENT))
def test_suicide_fdv_and_disaster_flags_pause_every_enforcement_step(
    step: str, kind: str, rule_id: str
) -> None:
    history, command = ENFORCEMENT[step]
    assert history().when(command()), "the step goes ahead without the flag"

    refused(with_flag(kind, history()), command(), rule_id)


@pytest.mark.parametrize("kind", ["FDV", "OTHER"])
def test_other_flags_do_not_pause_enforcement(kind: str) -> None:
    scenario = with_flag(kind, approved())

    assert names(scenario.when(B.place_garnishee())) == ["GarnisheePlaced"]


def test_a_hardship_flag_recorded_after_approval_stops_the_garnishee_being_placed() -> None:
    error = with_flag("HARDSHIP", approved()).refused(B.place_garnishee())

    assert error.rule_id in ("CMR-R10", "X-R2")


@pytest.mark.parametrize(
    ("kind", "clearer"),
    [
        ("SUICIDE_SELF_HARM", "social_worker"),
        ("SUICIDE_SELF_HARM", "operational_leader"),
        ("FDV_IMMEDIATE_THREAT", "social_worker"),
        ("FDV_IMMEDIATE_THREAT", "operational_leader"),
    ],
)
def test_a_social_worker_or_ol_clears_a_safety_flag_and_enforcement_resumes(
    kind: str, clearer: str
) -> None:
    scenario = with_flag(kind, approved())
    command = B.clear_flag(actor=getattr(B, clearer))

    cleared = single(accepted(scenario, command, "CMR-A8"), VulnerabilityFlagCleared)
    assert cleared.flag_id == "F-1"
    assert names(scenario.then(command).when(B.place_garnishee())) == ["GarnisheePlaced"]


@pytest.mark.parametrize(
    ("kind", "rule_id"), [("SUICIDE_SELF_HARM", "X-R3"), ("FDV_IMMEDIATE_THREAT", "X-R4")]
)
@pytest.mark.parametrize("role", ["case_manager", "team_leader", "srt_officer"])
def test_only_a_social_worker_or_ol_clears_a_safety_flag(
    kind: str, rule_id: str, role: str
) -> None:
    refused(with_flag(kind), B.clear_flag(actor=getattr(B, role)), rule_id)


def test_clearing_a_flag_needs_reasons() -> None:
    refused(with_flag("SUICIDE_SELF_HARM"), B.clear_flag(reasons=("ok",)), "CMR-A8")
    refused(with_flag("HARDSHIP"), B.clear_flag(actor=B.case_manager, reasons=()), "CMR-A8")


def test_the_case_manager_clears_a_hardship_or_disaster_flag_with_reasons() -> None:
    scenario = with_flag("DISASTER", approved())
    command = B.clear_flag(actor=B.case_manager, reasons=("DIS declaration for the area ended.",))

    assert names(scenario.when(command)) == ["VulnerabilityFlagCleared"]
    assert names(scenario.then(command).when(B.place_garnishee())) == ["GarnisheePlaced"]


def test_someone_outside_the_case_team_cannot_clear_a_disaster_flag() -> None:
    outsider = case_staff(Role.MSP_RECORDER, "SO-4411", team="Parramatta Service Centre")
    command = B.clear_flag(actor=outsider, reasons=("No longer in a disaster area, I think.",))

    refused(with_flag("DISASTER", approved()), command, "CMR-R1")


def test_only_a_flag_in_force_is_cleared() -> None:
    refused(investigating(), B.clear_flag(), "CMR-A1")
    cleared = with_flag("HARDSHIP").then(B.clear_flag())
    refused(cleared, B.clear_flag(), "CMR-A1")


# == the testing helpers ==========================================================================
def test_given_case_flattens_events_and_lists_of_events() -> None:
    events = B.onboarded().events

    scenario = given_case(events[0], events[1:], now=at(0, 11))
    assert scenario.events == events
    assert scenario.state == B.onboarded().state
    assert scenario.now == at(0, 11)
    assert given_case().state is None


def test_a_scenario_refusal_is_returned_and_an_acceptance_is_an_error() -> None:
    assert onboarded().refused(B.create_doa_doc()).rule_id == "CMR-A1"
    with pytest.raises(AssertionError, match="was accepted"):
        onboarded().refused(B.capacity_review())


def test_the_builder_makes_any_command_for_its_case_by_the_case_manager() -> None:
    command = B.command(cmr.ExcludeFromHardshipSms, reasons=("Under recovery action.",))

    assert (command.case_id, command.actor, command.reasons) == (
        B.case_id,
        B.case_manager,
        ("Under recovery action.",),
    )


def test_a_case_history_starts_with_its_allocation() -> None:
    [doa] = B.allocated().when(B.create_doa_doc())

    with pytest.raises(ValueError, match="cannot start a case history"):
        cmr.evolve(None, doa)


def test_the_builders_histories_replay_to_the_states_they_describe() -> None:
    histories: dict[str, tuple[CaseScenario, str, str]] = {
        "onboarded": (B.onboarded(), "OPEN", "ENGAGEMENT"),
        "refused": (B.refused_after_q190(), "OPEN", "INVESTIGATION"),
        "arranged": (B.arranged(), "OPEN", "IN_ARRANGEMENT"),
        "garnishee": (B.garnishee_placed(), "OPEN", "ENFORCEMENT"),
        "dpo": (B.dpo_made(), "OPEN", "DPO_TRACK"),
        "closed": (B.closed(), "CLOSED", "CLOSED"),
    }
    for name, (scenario, status, stage) in histories.items():
        state = scenario.state
        assert state is not None, name
        assert (state.status, state.stage) == (status, stage), name
        assert state.version == len(scenario.events)
        assert all(e.occurred_at <= scenario.now for e in scenario.events), name
    for sms in (False, True):
        b = case_builder(sms_subscribed=sms)
        assert b.garnishee_placed().state is not None
        assert b.dpo_made().state is not None
