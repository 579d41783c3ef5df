"""Shared helpers of the CaseManagedRecovery rule tests (``test_cmr_*.py`` beside this file).

Each test decides one command against a history with the pure ``decide`` (no storage) and
checks the events it would record, or the rule that refuses it. Every refusal must say what
is wrong and what to do instead and record nothing; every accepted event names the rules that
were checked. Histories come from :class:`recoverycore.testing.CaseBuilder`, whose
timeline starts on Monday 2 March 2026 (day 0) in Sydney: two unanswered calls (days 0-1), the
Q190 'final option' letter (day 2, Wednesday 4 March, 15 days to respond), the customer's
refusal (day 3), then investigation, enforcement, the DPO track or closure.

Tests marked ``xfail(strict=True, reason="bug: ...")`` describe what the procedure requires and
the aggregate does not do yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from recoverycore.aggregates.cmr import CaseCommand, CaseConfig, CaseState
from recoverycore.events import Role
from recoverycore.events.cmr import CaseEvent, LetterIssued
from recoverycore.testing import (
    CaseBuilder,
    CaseScenario,
    assert_accepted,
    assert_refused,
    case_builder,
    case_staff,
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


# The rule tests' refused/accepted are the public kit's assertions.
refused = assert_refused
accepted = assert_accepted


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


# -- histories and tables more than one table's tests use -----------------------------------
def unsuitable() -> CaseScenario:
    return B.allocated().then(B.assess_suitability(suitable=False))


def referred() -> CaseScenario:
    return investigating().then(B.referral_document()).then(B.refer_to_litigation())


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
