"""The case's pools of values: one case, its customer and debts, officers in every role, and
small pools of ids and reasons, shared by :class:`CaseStateMachine` and :func:`case_commands`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from recoverycore.aggregates import cmr
from recoverycore.events import Actor, Role
from recoverycore.events import cmr as ev

__all__ = [
    "CASE_ACTORS",
    "CASE_CHECKLIST",
    "CASE_CUSTOMER",
    "CASE_DEBTS",
    "CASE_ID",
    "CASE_LETTER",
    "any_case_actor",
    "case_ids",
    "case_manager_or_anyone",
    "case_reasons",
]

SYDNEY = ZoneInfo("Australia/Sydney")
CASE_ID = UUID("00000000-0000-4000-8000-0000000000ca")
CASE_CUSTOMER = cmr.CustomerName(surname="Citizen", first_name="Alex")
CASE_DEBTS = ("D1", "D2")
CASE_ACTORS = {
    "cm": Actor(staff_id="CM-1", role=Role.CASE_MANAGER, aps_level="APS5", team="SRT"),
    "other_cm": Actor(staff_id="CM-9", role=Role.CASE_MANAGER, aps_level="APS4", team="TRT"),
    "lcm": Actor(staff_id="CM-1", role=Role.LITIGATION_CASE_MANAGER, aps_level="APS5", team="SRT"),
    "tl": Actor(staff_id="TL-1", role=Role.TEAM_LEADER, aps_level="APS6", team="SRT"),
    "ol": Actor(staff_id="OL-1", role=Role.OPERATIONAL_LEADER, aps_level="EL1", team="SRT"),
    "srto": Actor(staff_id="SO-1", role=Role.SRT_OFFICER, aps_level="APS4", team="SRT"),
    "delegate": Actor(staff_id="DEL-1", role=Role.DPO_DELEGATE, aps_level="EL2", team="SRT"),
    "social": Actor(staff_id="SW-1", role=Role.SOCIAL_WORKER, aps_level="APS5", team="SRT"),
}
any_case_actor = st.sampled_from(sorted(CASE_ACTORS)).map(CASE_ACTORS.__getitem__)
case_manager_or_anyone = st.just(CASE_ACTORS["cm"]) | any_case_actor
case_reasons = st.sampled_from([(), ("Considered the customer's circumstances and the file.",)])
CASE_LETTER = {"address": "7 Banksia Rd", "address_confirmed": True, "privacy_safeguarded": True}
case_ids = st.sampled_from(["1", "2", "3"])
CASE_CHECKLIST = cmr.GarnisheeChecklist(
    debts_due_and_payable=True,
    employment_or_bank_details_verified=True,
    bank_balance=Decimal("9000"),
    reasonable_contact_effort=True,
    letter_periods_expired=True,
    causes_financial_hardship=False,
    failed_or_broke_reasonable_arrangement_or_nondisclosure=True,
    vulnerabilities_considered=True,
)
_TO_CUSTOMER = {"CONTACT", "FINAL_OPTION", "DPO_WARNING", "DATA_MATCH_NOTIFICATION"}
TERMINAL_EVENTS = (ev.CaseClosed, ev.CustomerUnassigned)


def actual_contact_times(events: list[ev.CaseEvent]) -> list[datetime]:
    times = []
    for e in events:
        if (
            isinstance(e, ev.PreCallSmsSent)
            or (isinstance(e, ev.ContactAttempted) and e.actual_contact)
            or (isinstance(e, ev.LetterIssued) and e.purpose in _TO_CUSTOMER)
            or (isinstance(e, ev.EmployerContactAttempted) and e.outcome == "CUSTOMER_REACHED")
        ):
            times.append(e.occurred_at)
    return times
