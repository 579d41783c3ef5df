"""A case managed recovery: the case file's naming rule, and a review request that pauses
enforcement on one debt while the other continues.

Run: python examples/case_managed_recovery.py
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import structlog

from recoverycore import Actor, RecoveryApp, Role, RuleViolation, SimulatedClock
from recoverycore.aggregates import cmr


def main() -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    clock = SimulatedClock(datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Australia/Sydney")))
    app = RecoveryApp.in_memory(clock=clock)
    cm = Actor(staff_id="CM-3012", role=Role.CASE_MANAGER, aps_level="APS5", team="SRT")
    case_id = uuid4()

    app.handle(
        cmr.AllocateCase(
            case_id=case_id,
            actor=cm,
            crn="311 204 557J",
            customer=cmr.CustomerName(surname="Citizen", first_name="Alex"),
            team="SRT",
            case_manager_id=cm.staff_id,
            allocation_source="WLM_READY",
            allocation_group="SRT-NSW-3",
            debts=(
                cmr.Debt(debt_id="D-1", balance=Decimal("8000")),
                cmr.Debt(debt_id="D-2", balance=Decimal("14500")),
            ),
        )
    )
    app.handle(cmr.CreateCaseFile(case_id=case_id, actor=cm, location="SRT share/311204557J"))

    def attempt(title: str, command: cmr.CaseCommand) -> None:
        clock.advance(minutes=10)
        try:
            events = app.handle(command)
            print(f"{title}: recorded {', '.join(e.event_type for e in events)}")
        except RuleViolation as refusal:
            print(f"{title}: refused by {refusal.rule_id}: {refusal.reason}")

    attempt(
        "save 'referral.pdf' in the case file",
        cmr.AddCaseFileDocument(
            case_id=case_id, actor=cm, name="referral.pdf", document_type="REFERRAL"
        ),
    )
    name = "2026-03-02 - CITIZEN, Alex - SRT Litigation referral"
    attempt(
        f"save '{name}'",
        cmr.AddCaseFileDocument(case_id=case_id, actor=cm, name=name, document_type="REFERRAL"),
    )
    attempt(
        "the customer asks for a review of D-1",
        cmr.RequestExplanationOrReview(
            case_id=case_id, actor=cm, pause_id="P-1", debt_ids=("D-1",), kind="REVIEW"
        ),
    )
    attempt(
        "refer D-1 and D-2 to SRT Litigation",
        cmr.ReferToSrtLitigation(
            case_id=case_id, actor=cm, debt_ids=("D-1", "D-2"), referral_doc_name=name
        ),
    )
    attempt(
        "refer D-2 only",
        cmr.ReferToSrtLitigation(
            case_id=case_id, actor=cm, debt_ids=("D-2",), referral_doc_name=name
        ),
    )
    state = app.case(case_id)
    print(f"paused: {state.paused_debts()}; litigation referral: {state.litigation}")


if __name__ == "__main__":
    main()
