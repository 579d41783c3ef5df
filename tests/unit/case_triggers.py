"""For every CaseManagedRecovery rule in the catalogue: a history and a command it refuses.

Used by ``test_rule_catalogue.py`` (which checks that every catalogue id has a trigger and that
each trigger trips exactly its rule). Histories come from :class:`CaseBuilder`, whose timeline
starts on Monday 2 March 2026 in Sydney; see ``cmr/test_cmr_*.py`` (one file per procedure table)
for the behaviour of each rule in full.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from recoverycore.aggregates.cmr import CaseCommand, CaseConfig, ContactCalendar, DayCount, Debt
from recoverycore.events import Role
from recoverycore.events.msp import ContactPoint
from recoverycore.testing import CaseScenario, case_builder, case_staff, customer_builder
from recoverycore.testing.customer import write_only

__all__ = ["CASE_TRIGGERS", "SMS_BLOCKS", "CaseTrigger"]

B = case_builder()
SMS = case_builder(sms_subscribed=True)
CUSTOMER = customer_builder()
CaseTrigger = Callable[[], tuple[CaseScenario, CaseCommand]]


def _investigating() -> CaseScenario:
    return B.refused_after_q190().at(B.day(4))


def _flagged(kind: str, scenario: CaseScenario) -> CaseScenario:
    return scenario.then(B.flag(kind=kind))


def _approved_then(command: CaseCommand) -> CaseScenario:
    return B.garnishee_approved().then(command)


def _excluded_under_a_new_threshold() -> tuple[CaseScenario, CaseCommand]:
    """CMR-R12: a PGPA debt of $12,000 assessed under the $10,000 threshold is submitted after
    the threshold was raised to $15,000."""
    b = case_builder(debts=(Debt(debt_id="D-1", balance=Decimal("12000"), legislation="PGPA"),))
    scenario = b.garnishee_assessed().then(b.submission_document())
    raised = CaseConfig(min_pgpa_debt_for_garnishee=Decimal("15000"))
    return scenario.configured(raised), b.submit_garnishee()


def _not_appropriate() -> tuple[CaseScenario, CaseCommand]:
    """CMR-R10: a garnishee assessed with a bank balance not over $5,000 is submitted."""
    checklist = B.checklist(bank_balance=Decimal("4000"))
    scenario = B.garnishee_assessed(checklist=checklist).then(B.submission_document())
    return scenario, B.submit_garnishee()


def _holiday_call() -> tuple[CaseScenario, CaseCommand]:
    """X-R6: a call at 10 am on Good Friday, a national public holiday."""
    good_friday = datetime(2026, 4, 3, 10, tzinfo=ZoneInfo("Australia/Sydney"))
    calendar = ContactCalendar(public_holidays=frozenset({good_friday.date()}))
    return B.onboarded().at(good_friday).with_calendar(calendar), B.contact_attempt()


def _fourth_contact_in_a_week() -> tuple[CaseScenario, CaseCommand]:
    """X-R8: two pre-call SMS and the Q190 this week; a fourth contact is refused."""
    return SMS.final_option_sent().at(SMS.day(3)), SMS.pre_call_sms()


def _call_under_a_write_only_msp() -> tuple[CaseScenario, CaseCommand]:
    """X-R12: the customer's MSP is write-only: the case manager may not phone them."""
    omc = ContactPoint(role="OMC", staff_id="omc-1", name="Sam Omc", phone="1800 000 000")
    day = B.day(0).date()
    record = CUSTOMER.record(
        restrictions=[write_only("plan-1", omc, day, date(day.year + 1, day.month, 1))]
    )
    return B.onboarded().at(B.day(0)).for_customer(record), B.contact_attempt()


def _call_to_a_represented_customer() -> tuple[CaseScenario, CaseCommand]:
    """X-R13: the customer has a Power of Attorney recorded for contact."""
    record = CUSTOMER.record(CUSTOMER.representative())
    return B.onboarded().at(B.day(0)).for_customer(record), B.contact_attempt()


def _short_response_period() -> tuple[CaseScenario, CaseCommand]:
    """X-R10: a contact letter configured to give 10 days to respond."""
    short = CaseConfig(contact_letter_response=DayCount(days=10))
    scenario = B.contacted_without_answer().at(B.day(2)).configured(short)
    return scenario, B.q190()


def _wage_garnishee_on_an_unnotified_data_match() -> tuple[CaseScenario, CaseCommand]:
    """X-R11: a wage garnishee relying on an STP data match the customer was not told of."""
    scenario = B.employment_lead_found().at(B.day(22))
    return scenario, B.assess_garnishee(kind="WAGE", employment_lead_id="EMP-1")


def _with_lead(source: str = "DATA_MATCH_STP") -> CaseScenario:
    return B.employment_lead_found(source=source).at(B.day(4, 10, 30))


def _employer_called_twice_today() -> tuple[CaseScenario, CaseCommand]:
    """CMR-A12: a second call through the employer on the same day."""
    scenario = _with_lead("CUSTOMER_RECORD").then(B.employer_contact()).at(B.day(4, 15))
    return scenario, B.employer_contact()


def _q609_again_within_90_days() -> tuple[CaseScenario, CaseCommand]:
    """CMR-A6: a second Q609 30 days after the first confirmed the employment."""
    scenario = _with_lead("CUSTOMER_RECORD").then(B.q609()).at(B.day(34))
    return scenario, B.q609(letter_id="Q609-2")


def _warning_older_than_90_days() -> tuple[CaseScenario, CaseCommand]:
    """CMR-R11: the Q190 of 4 March is the only warning; placement on 3 June is 91 days on."""
    scenario = B.garnishee_approved()
    placement = datetime(2026, 6, 3, 10, tzinfo=ZoneInfo("Australia/Sydney"))
    return scenario.at(placement), B.place_garnishee(payment_not_before=date(2026, 7, 1))


def _dpo_referred() -> CaseScenario:
    return B.dpo_referred().at(B.day(9, 10, 30))


def _closing() -> CaseScenario:
    return B.closing()


CASE_TRIGGERS: dict[str, CaseTrigger] = {
    "CMR-R1": lambda: (
        B.onboarded(),
        B.capacity_review(actor=case_staff(Role.CASE_MANAGER, "CM-9999", team="TRT")),
    ),
    "CMR-R2": lambda: (B.onboarded(), B.add_document(name="Alex Citizen referral.pdf")),
    "CMR-R3": lambda: (B.allocated(), B.apply_actor_relationship(actor=B.case_manager)),
    "CMR-R4": lambda: (
        B.allocated(),
        B.assess_suitability(suitable=False, discussed_with_ol=None),
    ),
    "CMR-R5": lambda: (B.onboarded(), B.discussion(identity_confirmed=False)),
    "CMR-R6": lambda: (_with_lead(), B.employer_contact()),
    "CMR-R7": lambda: (_with_lead().then(B.q289()), B.q609(marking="")),
    "CMR-R8": lambda: (_investigating(), B.employment_lead(relates_to="PARTNER")),
    "CMR-R9": lambda: (B.garnishee_submitted(), B.decide_garnishee(actor=B.team_leader)),
    "CMR-R10": _not_appropriate,
    "CMR-R11": _warning_older_than_90_days,
    "CMR-R12": _excluded_under_a_new_threshold,
    "CMR-R13": lambda: (
        _investigating(),
        B.declare_not_reasonable(actor=case_staff(Role.CASE_MANAGER, "CM-3012", "APS4")),
    ),
    "CMR-R14": lambda: (_approved_then(B.refusal_retracted()), B.place_garnishee()),
    "CMR-R15": lambda: (B.garnishee_approved(), B.place_garnishee(review_rights_advised=False)),
    "CMR-R16": lambda: (
        _investigating().then(B.search_document()),
        B.property_search(state="TAS"),
    ),
    "CMR-R17": lambda: (_investigating(), B.refer_for_dpo()),
    "CMR-R18": lambda: (_closing(), B.complete_closure()),
    "CMR-A1": lambda: (B.closed().later(days=1), B.capacity_review()),
    "CMR-A2": lambda: (B.allocated(), B.allocate()),
    "CMR-A3": lambda: (SMS.onboarded().at(SMS.day(0)), SMS.contact_attempt()),
    "CMR-A4": lambda: (B.onboarded(), B.q190()),
    "CMR-A5": lambda: (_investigating(), B.qss40(legislation_cited="")),
    "CMR-A6": _q609_again_within_90_days,
    "CMR-A7": lambda: (B.garnishee_assessed(), B.submit_garnishee()),
    "CMR-A8": lambda: (B.allocated(), B.assess_suitability(reasons=())),
    "CMR-A9": lambda: (
        B.garnishee_approved(),
        B.place_garnishee(payment_not_before=B.garnishee_approved().now.date()),
    ),
    "CMR-A10": lambda: (B.onboarded(), B.interim_arrangement()),
    "CMR-A11": lambda: (_investigating(), B.fie_request(institution="Westpac")),
    "CMR-A12": _employer_called_twice_today,
    "CMR-A13": lambda: (_dpo_referred(), B.dpo_warning(actor=B.case_manager)),
    "X-R1": lambda: (
        _investigating().then(B.referral_document()).then(B.request_review()),
        B.refer_to_litigation(),
    ),
    "X-R2": lambda: (
        B.garnishee_ready(),
        B.assess_garnishee(checklist=B.checklist(vulnerabilities_considered=False)),
    ),
    "X-R3": lambda: (
        _flagged("SUICIDE_SELF_HARM", _dpo_referred()),
        B.dpo_warning(),
    ),
    "X-R4": lambda: (
        _flagged("FDV_IMMEDIATE_THREAT", B.contacted_without_answer().at(B.day(2))),
        B.q190(),
    ),
    "X-R5": lambda: (_investigating(), B.pause(reasons=())),
    "X-R6": _holiday_call,
    "X-R7": lambda: (
        B.onboarded().at(B.day(0)),
        B.contact_attempt(channel="FACE_TO_FACE", outcome="ENGAGED", note="Home visit."),
    ),
    "X-R8": _fourth_contact_in_a_week,
    "X-R9": lambda: (B.arranged().at(B.day(2)), B.contact_attempt()),
    "X-R10": _short_response_period,
    "X-R11": _wage_garnishee_on_an_unnotified_data_match,
    "X-R12": _call_under_a_write_only_msp,
    "X-R13": _call_to_a_represented_customer,
}
"""For every case rule: a history and a command the rule refuses. (The pre-call SMS
safeguards of X-R3 and X-R4 also record ``PreCallSmsBlocked``; see ``cmr/test_cmr_guards.py``.)"""

SMS_BLOCKS: dict[str, CaseTrigger] = {
    "X-R3": lambda: (
        _flagged("SUICIDE_SELF_HARM", SMS.onboarded().at(SMS.day(0))),
        SMS.pre_call_sms(),
    ),
    "X-R4": lambda: (
        _flagged("FDV_IMMEDIATE_THREAT", SMS.onboarded().at(SMS.day(0))),
        SMS.pre_call_sms(),
    ),
}
"""The case safeguards that block a pre-call SMS by recording ``PreCallSmsBlocked``."""
