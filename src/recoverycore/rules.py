"""The rule catalogue: every rule recoverycore enforces, its text, and where it comes from.

Ids ``MSP-R*``, ``CMR-R*`` and ``X-R*`` are the domain reference's own (``spec/domain.md``).
Ids ending in ``-A*`` are rules the reference states as preconditions or marks as assumptions
(``[A]``) without giving them an id; ``assumption`` says which of them are configurable defaults
rather than the procedure's words, and ``setting`` names the :class:`~recoverycore.msp.MspConfig`
field that changes them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["CATALOGUE", "Rule", "rule"]

MSP_PROC = "104-07050030"


class Rule(BaseModel):
    """One entry of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    procedure: str
    source_step: str
    sources: tuple[str, ...]
    applies_to: Literal["ManagedServicePlan", "CaseManagedRecovery", "Customer", "Any"]
    assumption: bool = False
    setting: str | None = None


def _msp(
    rule_id: str,
    text: str,
    step: str,
    *sources: str,
    assumption: bool = False,
    setting: str | None = None,
) -> Rule:
    return Rule(
        id=rule_id,
        text=text,
        procedure=MSP_PROC,
        source_step=f"{MSP_PROC} {step}",
        sources=sources,
        applies_to="ManagedServicePlan",
        assumption=assumption,
        setting=setting,
    )


_RULES: tuple[Rule, ...] = (
    _msp("MSP-R1", "An MSP SMS may be sent only to Centrelink customers.", "S2", "S-MSP S2"),
    _msp(
        "MSP-R2",
        "An MSP SMS may be sent only by an approved decision maker.",
        "S2",
        "S-MSP S2",
        setting="decision_maker_roles",
    ),
    _msp(
        "MSP-R3",
        "An MSP SMS may be sent only in one of the five listed circumstances, "
        "and the circumstance must be given.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R4",
        "No MSP SMS when the mobile number is recorded on multiple records; the "
        "phone and letter notification provisions apply instead.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R5",
        "The SMS/Email Search (SMEM) screen is checked before a customer aggression "
        "desktop message is sent.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R6",
        "No MSP SMS to a customer talking about suicide or self-harm; follow the "
        "suicide or self-harm procedure (warm transfer to a social worker, 000 if in danger).",
        "S2",
        "S-MSP S2",
        "OB-SUI",
    ),
    _msp(
        "MSP-R7",
        "No MSP SMS where family and domestic violence with an immediate threat to "
        "safety was witnessed; follow local response guidelines.",
        "S2",
        "S-MSP S2",
    ),
    _msp(
        "MSP-R8",
        "An SMS complements, never replaces, the letter: the customer is not informed "
        "by SMS and notification is never complete without the MSP letter being sent.",
        "S2, S3",
        "S-MSP S2",
        "S-MSP S3",
    ),
    _msp(
        "MSP-R9",
        "The customer is advised in writing, and only the final approved letter may "
        "be attached to the MSP and sent.",
        "S3",
        "S-MSP S3",
    ),
    _msp(
        "MSP-R10",
        "Staff and security guards must not leave the premises to hand-deliver the "
        "letter; a police hand-over is recorded in the notes and does not replace postal "
        "delivery.",
        "S3",
        "S-MSP S3",
        "OB-MSP-01",
    ),
    _msp(
        "MSP-R11",
        "Behaviours are explained with a factual description, not summarised as "
        "'inappropriate' or 'aggressive'.",
        "S1",
        "S-MSP S1",
        setting="vague_behaviour_terms, min_behaviour_description_words",
    ),
    _msp(
        "MSP-R12",
        "A note is added for every attempted or successful contact, and any decision "
        "not to contact the customer directly is documented with its reason before a "
        "representative is contacted instead.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-R13",
        "If the customer displays aggression or counterproductive behaviour during "
        "implementation, a new incident is recorded and linked to the MSP.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-R14",
        "Restrictions are time-limited (a finite end date after the start, within "
        "the maximum duration) with reasons for the duration; letters state review rights and "
        "never contradict a restriction (e.g. inviting a write-only customer to phone).",
        "S1, S3",
        "OMB-2010",
        "OMB-2008",
        assumption=True,
        setting="max_plan_duration_days",
    ),
    _msp(
        "MSP-R15",
        "Decisions carry enough detail to justify them, and a face-to-face "
        "restriction records the less restrictive alternatives considered.",
        "S1",
        "OMB-2008",
        assumption=True,
        setting="min_decision_reason_chars",
    ),
    _msp(
        "MSP-A1",
        "A command must suit the plan's status; a rejected, withdrawn, ended or "
        "expired plan accepts no changing command.",
        "S1-S3 (states, spec 1.5)",
        "S-MSP S1",
        assumption=True,
    ),
    _msp(
        "MSP-A2",
        "Four eyes: the officer who approves or rejects an MSP is not the one who recorded it.",
        "S1 (approval, spec 1.2)",
        "OMB-2008",
        assumption=True,
        setting="require_four_eyes",
    ),
    _msp(
        "MSP-A3",
        "Only an approved decision maker approves, rejects, withdraws, varies or "
        "extends an MSP or grants a one-off variation; only a reviewer or decision maker "
        "invites to and completes a review.",
        "S2 (approved decision makers)",
        "S-MSP S2",
        "OB-MSP-06",
        assumption=True,
        setting="decision_maker_roles, reviewer_roles",
    ),
    _msp(
        "MSP-A4",
        "The 'Date customer informed of MSP' is set only after a successful contact "
        "with the customer or their representative, or a confirmed letter delivery.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-A5",
        "A successful notification call covers the whole Step 1 checklist (reasons, "
        "duration, behaviours, restrictions and consequences, access, OMC/PSSO details, "
        "contact details, letter and card); otherwise it is recorded as unproductive.",
        "S1",
        "S-MSP S1",
    ),
    _msp(
        "MSP-A6",
        "The letter includes the OMC/PSSO contact card, and the card carries the "
        "OMC/PSSO's contact details.",
        "S1, S3",
        "S-MSP S1",
        "S-MSP S3",
    ),
    _msp(
        "MSP-A7",
        "MSP and customer aggression letters are sent by the delivery method of the "
        "configured published letter policy (V1: registered person-to-person for write-only, "
        "face-to-face or protection-order plans, Priority after assault or stalking; V2: "
        "Priority for all), tracked, and the outcome matches the letter sent.",
        "S3",
        "OB-MSP-01",
        setting="letter_policy",
    ),
    _msp(
        "MSP-A8",
        "A one-off variation is granted only under a full or partial face-to-face "
        "restriction, for one appointment inside the plan's period.",
        "S1",
        "S-MSP S1",
        assumption=True,
    ),
    _msp(
        "MSP-A9",
        "A plan expires only once its end date is reached; a review that varies or "
        "extends a plan needs a finite new end date or new restrictions and a fresh "
        "notification.",
        "spec 1.6 M16, M18",
        "OB-MSP-01",
        assumption=True,
    ),
    _msp(
        "MSP-A10",
        "An action cannot be recorded as happening later than it is recorded, and "
        "an MSP id is used once.",
        "spec 3.1",
        "ACCC §10",
    ),
    _msp(
        "MSP-A11",
        "An MSP is in force only until its end date (or the later end date a review extended "
        "it to): from the end date on, in the plan's local time zone and on the date of the "
        "action, nothing that needs the plan in force is accepted (notification calls and "
        "contacts, informed date, SMS, contact card, letters, police hand-over, "
        "one-off variations, review invitations and reviews, behaviour warnings and "
        "restriction reminders). What happened before the end date may still be recorded, and "
        "the follow-up timer records the expiry on the end date.",
        "S1-S3 (duration; spec 1.5, 1.8 M18)",
        "S-MSP S1",
        "OMB-2010",
        assumption=True,
    ),
)


CMR_PROC = "107-20112320"


def _cmr(
    rule_id: str,
    text: str,
    step: str,
    *sources: str,
    assumption: bool = False,
    setting: str | None = None,
) -> Rule:
    return Rule(
        id=rule_id,
        text=text,
        procedure=CMR_PROC,
        source_step=f"{CMR_PROC} {step}",
        sources=sources,
        applies_to="CaseManagedRecovery",
        assumption=assumption,
        setting=setting,
    )


_CASE_RULES: tuple[Rule, ...] = (
    _cmr(
        "CMR-R1",
        "Only the assigned SRT/TRT case manager or team takes recovery actions on a "
        "case-managed customer; others refer as the DOA DOC says.",
        "T1.S3",
        "OB-CMR-01",
    ),
    _cmr(
        "CMR-R2",
        "Case-file documents are named 'YYYY-MM-DD - SURNAME, First name - Action'.",
        "T1.S5",
        "S-CMR T1.S5",
    ),
    _cmr(
        "CMR-R3",
        "The actor relationship is applied only by a Team Leader or Operational "
        "Leader, and only once an allocation group exists.",
        "T1.S4",
        "S-CMR T1.S4",
    ),
    _cmr(
        "CMR-R4",
        "An unsuitable case is discussed with the OL; only the OL, or a litigation "
        "case manager after discussion with the Senior Litigation Officer, unassigns it.",
        "T1.S2",
        "S-CMR T1.S2",
    ),
    _cmr(
        "CMR-R5",
        "Privacy is safeguarded: the address is confirmed before any letter and "
        "recorded; identity is confirmed before discussing the debt; voicemails and third "
        "parties (including employers) are not told the reason without express authority.",
        "T2.S4-S6, T4.S1",
        "S-CMR T2.S4",
        "S-CMR T2.S5",
        "OB-PRIV",
    ),
    _cmr(
        "CMR-R6",
        "When the employer came from a data match, a Q289 is sent to the customer "
        "before any employer contact, including calling the workplace to reach the customer.",
        "T3.S3",
        "S-CMR T3.S3",
        "OB-GAR-CI",
        "OB-STP",
    ),
    _cmr(
        "CMR-R7",
        "Employer information is requested only in writing (Q609), never by phone, "
        "addressed 'Attention Payroll' and marked 'Private and Confidential'.",
        "T3.S5",
        "S-CMR T3.S5",
    ),
    _cmr(
        "CMR-R8",
        "An employment lead must be the customer's, not the partner's.",
        "T3.S3",
        "S-CMR T3.S3",
    ),
    _cmr(
        "CMR-R9",
        "A garnishee is placed only after its submission is approved (by an OL, or an "
        "APS 5 litigation case manager for their own bank garnishee) and a Debt Redress Check "
        "is actioned, clear, and approved.",
        "T3.S9",
        "S-CMR T3.S9",
        setting="garnishee_approver_roles, redress_check_approver_roles",
    ),
    _cmr(
        "CMR-R10",
        "Garnishee preconditions: debts due and payable; employment or bank details "
        "(balance over $5,000 for a bank); reasonable contact effort; letter periods expired; "
        "an FCA in the last 3 months with excess income of $15 a fortnight or more; no "
        "hardship; a refused or broken reasonable arrangement; $200 or more for continuing "
        "income.",
        "T3.S7-S8",
        "OB-GAR",
        "SSA-1230C",
        setting="fca_validity_months, min_fca_excess_income_per_fortnight, "
        "min_bank_balance_for_fi_garnishee, min_balance_for_continuing_income_garnishee",
    ),
    _cmr(
        "CMR-R11",
        "A garnishee warning (Q190, Q289 or verbal) was given in the 90 days before "
        "the garnishee is implemented.",
        "T3.S10",
        "OB-GAR",
        setting="garnishee_warning_validity_days",
    ),
    _cmr(
        "CMR-R12",
        "No garnishee of PGPA debts under $10,000, FMA Act debts, NDIS self-managed "
        "accounts, child support payments or superannuation, nor for a bankrupt customer, an "
        "NLS write-off or a declared disaster area.",
        "T3.S7-S10",
        "OB-GAR",
        "OB-GAR-OTH",
        "OB-GAR-COMP",
        setting="min_pgpa_debt_for_garnishee",
    ),
    _cmr(
        "CMR-R13",
        "Only Debt Staff at APS 5 or above decide an arrangement is not reasonable, "
        "and document why.",
        "T2.S9",
        "OB-GAR-OTH",
    ),
    _cmr(
        "CMR-R14",
        "A customer who retracts a refusal before the garnishee issues goes back to negotiation.",
        "T3.S10",
        "OB-GAR",
    ),
    _cmr(
        "CMR-R15",
        "Garnishee decisions are reviewable: the customer is told how to seek a "
        "review before the garnishee is placed.",
        "T3.S10",
        "OB-GAR-REV",
    ),
    _cmr(
        "CMR-R16",
        "RP Data name searches only for VIC, NSW, QLD and WA; Equifax only for other "
        "states or after those searches.",
        "T3.S11-S12",
        "S-CMR T3.S11",
        "S-CMR T3.S12",
        setting="rp_data_states",
    ),
    _cmr(
        "CMR-R17",
        "A DPO follows an identified travel pattern, a referral, a tracked DPO "
        "warning (Q190, 23 days) whose delivery is confirmed after 14 days, and the statutory "
        "considerations, made by a delegate with no satisfactory arrangement in place; it is "
        "notified (Home Affairs unless a citizen) and revoked before the case closes.",
        "T3.S14-S15, T4",
        "S-CMR T4",
        "SSA-1240",
        "SSA-1242/1244",
        "OMB-2009",
        setting="dpo_delegate_roles, dpo_warning_response, dpo_delivery_check_after",
    ),
    _cmr(
        "CMR-R18",
        "A case closes only after an outcome; a recovery-options-exhausted closure "
        "needs its Fast Note; closure completes only when the DOA DOC is expired, civil action "
        "and OPCV coding are ended, the actor relationship is updated and the case file is "
        "finalised.",
        "T5",
        "S-CMR T5",
    ),
    _cmr(
        "CMR-A1",
        "A command must suit the case's status: a closed, archived or unassigned case "
        "accepts no changing command, a closing case only the closing steps, and each step "
        "once.",
        "T1-T5 (spec 2.4)",
        "S-CMR",
        assumption=True,
    ),
    _cmr(
        "CMR-A2",
        "Record keeping: an action is not dated after it is recorded, has its note, "
        "and uses ids (case, letter, lead, garnishee, pause, flag) once.",
        "spec 3.1",
        "ACCC §10",
    ),
    _cmr(
        "CMR-A3",
        "A pre-call SMS is sent before every phone attempt to a customer subscribed "
        "to SMS messaging (unless a safety flag stops SMS).",
        "T2.S3",
        "S-CMR T2.S3",
        "OB-COMPL",
        assumption=True,
    ),
    _cmr(
        "CMR-A4",
        "A contact letter follows 2 genuine attempts (distinct times) on all "
        "numbers: Q164 when the customer is likely unaware of the debt, Q190 when aware.",
        "T2.S3-S5",
        "S-CMR T2.S3",
        "S-CMR T2.S4",
        "S-CMR T2.S5",
        assumption=True,
    ),
    _cmr(
        "CMR-A5",
        "A QSS40 third-party notice records the legislation relied on.",
        "T3.S2",
        "S-CMR T3.S2",
        "SSAA-PT5",
    ),
    _cmr(
        "CMR-A6",
        "No new Q609 within 90 days of one that confirmed the employment.",
        "T3.S5",
        "OB-GAR-CI",
        setting="q609_validity_days",
    ),
    _cmr(
        "CMR-A7",
        "Submissions, referrals and search results are saved in the case file.",
        "T3.S9, T3.S11-S13",
        "S-CMR T3.S9",
        "S-CMR T3.S13",
    ),
    _cmr(
        "CMR-A8",
        "Decisions (suitability, unassigning, garnishee and litigation decisions, "
        "DPO decisions, resuming recovery, clearing flags) record their reasons.",
        "spec 3.1",
        "OMB-2008",
        assumption=True,
    ),
    _cmr(
        "CMR-A9",
        "A garnishee notice does not require payment before 14 days after it is given.",
        "T3.S10",
        "SSA-1233",
        setting="garnishee_payment_delay_days",
    ),
    _cmr(
        "CMR-A10",
        "An interim arrangement is made only after a financial circumstance assessment.",
        "T2.S8",
        "S-CMR T2.S8",
    ),
    _cmr("CMR-A11", "The FIE tool is used only for the Commonwealth Bank.", "T3.S2", "S-CMR T3.S2"),
    _cmr(
        "CMR-A12",
        "Contact through an employer is 2 genuine attempts on different days, then a Q609.",
        "T3.S4",
        "S-CMR T3.S4",
    ),
    _cmr(
        "CMR-A13",
        "DPO warnings and their delivery checks are the SRT Officer's; litigation "
        "referrals are decided by SRT Litigation.",
        "T3.S13, T4",
        "S-CMR T3.S13",
        "S-CMR T4",
        setting="litigation_decision_roles",
    ),
    _cmr(
        "X-R1",
        "While recovery of a debt is paused (review, explanation, reassessment, ART, "
        "disaster, vulnerability, redress), no enforcement step (garnishee, litigation "
        "referral, DPO warning or order) runs for it; other debts continue.",
        "T2.S6",
        "OB-PAUSE",
        "OB-WO",
        "RC 18.1",
    ),
    _cmr(
        "X-R2",
        "Vulnerabilities (e.g. family and domestic violence) and hardship are "
        "considered before a garnishee.",
        "T3.S7-S8",
        "OB-GAR-COMP",
        "RC 18.1",
        "RC 10.1",
    ),
    _cmr(
        "X-R3",
        "A customer talking about suicide or self-harm: no SMS, and enforcement paused "
        "until a social worker or decision maker clears the flag.",
        "T2",
        "OB-SUI",
        assumption=True,
        setting="flag_clearing_roles",
    ),
    _cmr(
        "X-R4",
        "FDV with an immediate threat to safety: outbound SMS and letters suppressed and "
        "enforcement paused pending assessment.",
        "T2",
        "S-MSP S2",
        assumption=True,
        setting="flag_clearing_roles",
    ),
    _cmr(
        "X-R5",
        "Excluding debts from recovery is documented: a pause names its category and its reasons.",
        "T2.S6",
        "RC 11.1",
    ),
    _cmr(
        "X-R6",
        "Phone and face-to-face contact Mon-Fri 7:30am-9pm and weekends 9am-9pm "
        "(customer's local time, from the state on their record), never on national public "
        "holidays or their state's.",
        "T2.S3",
        "ACCC",
        assumption=True,
        setting="weekday_contact_hours, weekend_contact_hours, time_zone",
    ),
    _cmr(
        "X-R7",
        "Face-to-face contact only as a last resort, with reasons.",
        "T2.S3",
        "ACCC §6",
        "ACCC §7",
    ),
    _cmr(
        "X-R8",
        "At most 3 actual contacts a week and 10 a month per customer, across all their "
        "cases (SMS, voicemail, letters and emails count); attempts are not excessive.",
        "T2.S3",
        "ACCC §3",
        "ACCC §5",
        "S-CMR T2.S3",
        assumption=True,
        setting="max_actual_contacts_per_week, max_actual_contacts_per_month, max_attempts_per_day",
    ),
    _cmr(
        "X-R9",
        "While an arrangement is in place the customer is not contacted unless they "
        "ask, a better alternative is proposed, or they default.",
        "T2.S7",
        "ACCC §15",
        assumption=True,
    ),
    _cmr(
        "X-R10",
        "Letters that assert a debt state how to seek an explanation or review, and "
        "allow a reasonable response period.",
        "T2.S4-S5",
        "RC 18.1",
        "OMB-2017",
        setting="min_notice_response_days",
    ),
    _cmr(
        "X-R11",
        "A data match is used only for recovery, and the customer is told of it "
        "before administrative action relies on it.",
        "T3.S3",
        "OB-STP",
    ),
)

_CUSTOMER_RULES: tuple[Rule, ...] = (
    _cmr(
        "X-R12",
        "An MSP's servicing restrictions bind debt recovery too: a phone call, SMS, "
        "voicemail or visit the MSP rules out (write only, single contact, face-to-face "
        "restrictions) is made only by the MSP's OMC/PSSO; otherwise the customer is written to.",
        "T2.S2",
        "S-CMR T2.S2",
        "S-MSP S1",
        "OB-MSP-01",
    ),
    _cmr(
        "X-R13",
        "A customer with a Power of Attorney or nominee recorded for contact is contacted "
        "through the representative, not directly (no pre-call SMS to the customer).",
        "T2.S3",
        "S-MSP S1",
        "ACCC guideline (represented debtors)",
    ),
    Rule(
        id="X-A4",
        text="The customer's record: a flag id is used once; a flag is cleared with reasons; "
        "a representative removed must be recorded; the location is an Australian state or "
        "territory and an Australian time zone.",
        procedure=MSP_PROC,
        source_step=f"{MSP_PROC} S1-S2",
        sources=("S-MSP S1", "S-MSP S2", "S-CMR T2.S2"),
        applies_to="Customer",
        assumption=True,
    ),
)

BOTH_PROC = f"{MSP_PROC} and {CMR_PROC}"
"""The procedure of a rule that binds both aggregates (``applies_to="Any"``)."""


def _any(rule_id: str, text: str, step: str, *sources: str, assumption: bool = False) -> Rule:
    return Rule(
        id=rule_id,
        text=text,
        procedure=BOTH_PROC,
        source_step=f"{BOTH_PROC} {step}",
        sources=sources,
        applies_to="Any",
        assumption=assumption,
    )


_AUTHORITY_RULES: tuple[Rule, ...] = (
    _any(
        "X-A1",
        "Only the roles the procedures give a command may record it (the role table, "
        "recoverycore.aggregates.ROLE_TABLE; `recoverycore roles` shows it), at the APS level "
        "it needs; a rule of its own names the refusal where the procedures give one (MSP-R2, "
        "MSP-A3, CMR-R3, CMR-R4, CMR-R9, CMR-R13, CMR-R17, CMR-A13).",
        "'Who' of every step (domain reference §1.2, §1.6, §2.2, §2.5)",
        "S-MSP S1-S3",
        "S-CMR T1-T5",
        "OB-MSP-06",
        "OB-CMR-01",
        "OB-GAR-OTH",
    ),
    _any(
        "X-A2",
        "Four-eyes where the procedure needs an approver: the garnishee's approver is not its "
        "submitter (except an APS 5 litigation case manager's own bank garnishee) and the Debt "
        "Redress Check's approver is not who actioned it; an MSP's approver is not its recorder "
        "(MSP-A2).",
        "T3.S9 (garnishee approval, Debt Redress Check); S1 (MSP approval)",
        "S-CMR T3.S9",
        "OMB-2008",
        assumption=True,
    ),
    _any(
        "X-A3",
        "The role SYSTEM is only for the library's own policies (the follow-up timer's expiry, "
        "the safeguard reaction's flags), and only for the commands they record; an "
        "application records every command as the officer who did it.",
        "M18 'System (timer)' (domain reference §1.6); X-R3, X-R4 safeguards (§3.2)",
        "S-MSP S2",
        "OB-SUI",
        assumption=True,
    ),
)

CATALOGUE: dict[str, Rule] = {
    r.id: r for r in (*_RULES, *_CASE_RULES, *_CUSTOMER_RULES, *_AUTHORITY_RULES)
}
"""Every rule recoverycore enforces, by id."""


def rule(rule_id: str) -> Rule:
    """The catalogue entry for ``rule_id`` (``KeyError`` if there is none)."""
    return CATALOGUE[rule_id]
