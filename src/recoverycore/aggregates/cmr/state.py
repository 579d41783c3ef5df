"""The case as its history makes it: status, stage, roles, configuration and records."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Literal, TypedDict
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from recoverycore.events import Actor, LocalDatetime, Role
from recoverycore.events.cmr import (
    ClosureReason,
    ContactChannel,
    CustomerName,
    Debt,
    GarnisheeKind,
    LetterCode,
    LetterPurpose,
    PauseReason,
    Team,
    VulnerabilityKind,
)
from recoverycore.events.vocabulary import DayCount

CaseStatus = Literal["OPEN", "UNASSIGNED", "CLOSING", "CLOSED", "ARCHIVED"]
Stage = Literal[
    "ONBOARDING",
    "ENGAGEMENT",
    "IN_ARRANGEMENT",
    "INVESTIGATION",
    "ENFORCEMENT",
    "LITIGATION_REFERRED",
    "DPO_TRACK",
    "CLOSING",
    "CLOSED",
]
CASE_ROLES = frozenset({Role.CASE_MANAGER, Role.LITIGATION_CASE_MANAGER})
LEADER_ROLES = frozenset({Role.TEAM_LEADER, Role.OPERATIONAL_LEADER})


class CaseConfig(BaseModel):
    """The configurable defaults of the case managed recovery rules ([A] in the reference).

    Day counts are calendar days unless a field says otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = "Australia/Sydney"
    """The customer's local time zone for contact hours and dates (X-R6)."""
    doa_doc_validity_years: int = 5
    """C4: a DOA DOC expires this many years after it is created [OB-CMR-03v]."""
    contact_letter_response: DayCount = DayCount(days=15)
    """Q164, Q190 (final option), QSS40 and Q609 response and review period [S-CMR T2-T3]."""
    dpo_warning_response: DayCount = DayCount(days=23)
    """Q190 as a DPO warning [S-CMR T4.S1]."""
    dpo_delivery_check_after: DayCount = DayCount(days=14)
    """Delivery of the DPO warning is confirmed after this long [S-CMR T4.S2]."""
    min_notice_response_days: int = 14
    """X-R10 and SS(Admin) Act Part 5: the shortest response period a letter may give."""
    garnishee_warning_validity_days: int = 90
    """CMR-R11: a garnishee warning counts only if given in this many days before placement."""
    q609_validity_days: int = 90
    """CMR-A6: a Q609 that confirmed employment makes a new one unnecessary for this long."""
    fca_validity_months: int = 3
    """CMR-R10: the FCA relied on for a garnishee is at most this many months old."""
    min_fca_excess_income_per_fortnight: Decimal = Decimal("15")
    min_bank_balance_for_fi_garnishee: Decimal = Decimal("5000")
    min_balance_for_continuing_income_garnishee: Decimal = Decimal("200")
    min_pgpa_debt_for_garnishee: Decimal = Decimal("10000")
    garnishee_payment_delay_days: int = 14
    """SSAct s.1233: payment is not required before this many days after the notice."""
    max_actual_contacts_per_week: int = 3
    max_actual_contacts_per_month: int = 10
    """X-R8 [ACCC §5]; counted over rolling 7 and 30 days [A]."""
    max_attempts_per_day: int = 2
    """X-R8: attempts must not be excessive [A]."""
    weekday_contact_hours: tuple[time, time] = (time(7, 30), time(21, 0))
    weekend_contact_hours: tuple[time, time] = (time(9, 0), time(21, 0))
    """X-R6 [ACCC]: customer's local time; none on national public holidays."""
    rp_data_states: frozenset[str] = frozenset({"VIC", "NSW", "QLD", "WA"})
    """CMR-R16 [S-CMR T3.S11]."""
    garnishee_approver_roles: frozenset[Role] = frozenset({Role.OPERATIONAL_LEADER})
    """CMR-R9 (C32): who approves garnishee submissions; an APS 5 litigation case manager may
    also approve their own bank garnishee."""
    redress_check_approver_roles: frozenset[Role] = frozenset({Role.OPERATIONAL_LEADER})
    """CMR-R9 (C33): who approves the Debt Redress Check [A]."""
    dpo_delegate_roles: frozenset[Role] = frozenset({Role.DPO_DELEGATE})
    """CMR-R17 (C44-C47): the Secretary's DPO delegates [A]."""
    litigation_decision_roles: frozenset[Role] = frozenset(
        {Role.SENIOR_LITIGATION_OFFICER, Role.LITIGATION_CASE_MANAGER}
    )
    """C39: SRT Litigation."""
    flag_clearing_roles: frozenset[Role] = frozenset({Role.SOCIAL_WORKER, Role.OPERATIONAL_LEADER})
    """X-R3/X-R4: who clears a suicide/self-harm or FDV flag after assessment [A]."""


DEFAULT_CONFIG = CaseConfig()


class ContactCalendar(BaseModel):
    """The calendar the application supplies: national public holidays (X-R6)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    public_holidays: frozenset[date] = frozenset()


NO_HOLIDAYS = ContactCalendar()


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContactRecord(_Record):
    at: LocalDatetime
    channel: ContactChannel
    actual: bool


class LetterRecord(_Record):
    letter_id: str
    code: LetterCode
    purpose: LetterPurpose
    issued_on: date
    respond_by: date
    garnishee_warning: bool
    tracking_id: str = ""
    employment_lead_id: str = ""
    delivered: bool | None = None


class Pause(_Record):
    pause_id: str
    debt_ids: tuple[str, ...]
    reason: PauseReason


class Flag(_Record):
    flag_id: str
    kind: VulnerabilityKind


class EmploymentLead(_Record):
    lead_id: str
    source: str
    q289_issued: bool = False
    employer_attempts: tuple[date, ...] = ()
    q609_on: date | None = None


class Fca(_Record):
    fca_id: str
    assessed_on: date
    excess_income_per_fortnight: Decimal
    financial_hardship: bool


class Garnishee(_Record):
    garnishee_id: str
    kind: GarnisheeKind
    debt_ids: tuple[str, ...]
    appropriate: bool
    failed_checks: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    assessed_on: date
    submitted_by: str | None = None
    submitter: Actor | None = None
    """Who submitted it, as recorded (role and APS level: an APS 5 litigation case manager's
    own bank garnishee needs no second approver, CMR-R9)."""
    decision: Literal["APPROVED", "REJECTED"] | None = None
    redress_check_id: str | None = None
    redress_result: Literal["CLEAR", "NOT_CLEAR"] | None = None
    redress_actioned_by: str | None = None
    """Who actioned the Debt Redress Check: its approver is someone else (X-A2)."""
    redress_approved: bool = False
    placed_on: date | None = None


class EmploymentLeadChanges(TypedDict, total=False):
    """The fields of an :class:`EmploymentLead` that its events change, typed as there."""

    q289_issued: bool
    employer_attempts: tuple[date, ...]
    q609_on: date | None


class GarnisheeChanges(TypedDict, total=False):
    """The fields of a :class:`Garnishee` that its events change, typed as there."""

    submitted_by: str | None
    submitter: Actor | None
    decision: Literal["APPROVED", "REJECTED"] | None
    redress_check_id: str | None
    redress_result: Literal["CLEAR", "NOT_CLEAR"] | None
    redress_actioned_by: str | None
    redress_approved: bool
    placed_on: date | None


class CaseState(BaseModel):
    """The case as its history makes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    version: int
    crn: str
    customer: CustomerName
    team: Team
    case_manager_id: str
    allocation_group: str | None
    sms_subscribed: bool
    status: CaseStatus = "OPEN"
    stage: Stage = "ONBOARDING"
    debts: tuple[Debt, ...]
    suitable: bool | None = None
    doa_doc_id: str | None = None
    doa_doc_expires_on: date | None = None
    actor_relationship: bool = False
    case_file: bool = False
    documents: tuple[str, ...] = ()
    record_reviewed: bool = False
    pre_call_sms_pending: bool = False
    contacts: tuple[ContactRecord, ...] = ()
    letters: tuple[LetterRecord, ...] = ()
    verbal_warnings: tuple[date, ...] = ()
    arrangement: Literal["ACCEPTABLE", "INTERIM"] | None = None
    refused: bool = False
    refusal_retracted: bool = False
    deemed_unreasonable: bool = False
    callback_on: date | None = None
    fca: Fca | None = None
    pauses: tuple[Pause, ...] = ()
    flags: tuple[Flag, ...] = ()
    fi_leads: tuple[str, ...] = ()
    employment_leads: tuple[EmploymentLead, ...] = ()
    garnishees: tuple[Garnishee, ...] = ()
    property_searches: tuple[str, ...] = ()
    litigation: Literal["SENT", "ACCEPTED", "DECLINED"] | None = None
    travel_pattern_found: bool = False
    dpo_referred: bool = False
    dpo_id: str | None = None
    dpo_active: bool = False
    paid_in_full: bool = False
    closure_reason: ClosureReason | None = None
    closure_steps: tuple[str, ...] = ()
    archive_requested: bool = False

    @property
    def is_terminal(self) -> bool:
        return self.status in ("CLOSED", "ARCHIVED", "UNASSIGNED")

    @property
    def debt_ids(self) -> tuple[str, ...]:
        return tuple(d.debt_id for d in self.debts)

    def paused_debts(self) -> dict[str, str]:
        """Debt id -> the reason its recovery is paused (X-R1)."""
        return {debt_id: p.reason for p in self.pauses for debt_id in p.debt_ids}

    def flag_kinds(self) -> frozenset[str]:
        return frozenset(f.kind for f in self.flags)

    def debt(self, debt_id: str) -> Debt | None:
        return next((d for d in self.debts if d.debt_id == debt_id), None)

    def garnishee(self, garnishee_id: str) -> Garnishee | None:
        return next((g for g in self.garnishees if g.garnishee_id == garnishee_id), None)

    def lead(self, lead_id: str) -> EmploymentLead | None:
        return next((e for e in self.employment_leads if e.lead_id == lead_id), None)

    def letter(self, letter_id: str) -> LetterRecord | None:
        return next((x for x in self.letters if x.letter_id == letter_id), None)

    def dpo_warning(self) -> LetterRecord | None:
        warnings = [x for x in self.letters if x.purpose == "DPO_WARNING"]
        return warnings[-1] if warnings else None


class CaseChanges(TypedDict, total=False):
    """The fields of :class:`CaseState` an event changes (what a change function in
    :mod:`~recoverycore.aggregates.cmr._evolve` returns), typed as in :class:`CaseState`.

    ``version`` is not here: applying a change sets it."""

    status: CaseStatus
    stage: Stage
    allocation_group: str | None
    suitable: bool | None
    doa_doc_id: str | None
    doa_doc_expires_on: date | None
    actor_relationship: bool
    case_file: bool
    documents: tuple[str, ...]
    record_reviewed: bool
    pre_call_sms_pending: bool
    contacts: tuple[ContactRecord, ...]
    letters: tuple[LetterRecord, ...]
    verbal_warnings: tuple[date, ...]
    arrangement: Literal["ACCEPTABLE", "INTERIM"] | None
    refused: bool
    refusal_retracted: bool
    deemed_unreasonable: bool
    callback_on: date | None
    fca: Fca | None
    pauses: tuple[Pause, ...]
    flags: tuple[Flag, ...]
    fi_leads: tuple[str, ...]
    employment_leads: tuple[EmploymentLead, ...]
    garnishees: tuple[Garnishee, ...]
    property_searches: tuple[str, ...]
    litigation: Literal["SENT", "ACCEPTED", "DECLINED"] | None
    travel_pattern_found: bool
    dpo_referred: bool
    dpo_id: str | None
    dpo_active: bool
    paid_in_full: bool
    closure_reason: ClosureReason | None
    closure_steps: tuple[str, ...]
    archive_requested: bool


CLOSURE_STEPS: tuple[str, ...] = (
    "DOA_DOC_EXPIRED",
    "CIVIL_ACTION_ENDED",
    "OPCV_CODING_ENDED",
    "ACTOR_RELATIONSHIP_UPDATED",
    "CASE_FILE_FINALISED",
)
"""What Table 5 requires before a closure is complete (plus the ROE Fast Note for ROE)."""
