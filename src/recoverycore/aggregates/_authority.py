"""Authority as the procedures give it: the one role table, and its check.

:data:`ROLE_TABLE` says, for every command of every aggregate, which roles may record it, the
lowest APS level the procedures give (if any), whether a second person is needed (four-eyes:
the approver is not who recorded, submitted or actioned it) and whether the library's own
policies (role ``SYSTEM``) may record it, with its source in the domain reference (``spec/
domain.md`` §1.2 and §1.6 "Who" for the MSP, §2.2 and §2.5 "Who" for the case) and the seeds.
Where the reference marks a role ``[A]`` and the aggregate's configuration has a roles setting
(``decision_maker_roles``, ``flag_clearing_roles``, ...), the row names the setting and the
check reads it, so configuration still changes who may act.

:func:`authorize` applies a row. The shared decide skeleton
(:func:`~recoverycore.aggregates.decide_with`) calls it for every command after the
aggregate's lifecycle checks and before the handler, so no handler can forget it:

* **X-A3**: an actor with the role ``SYSTEM`` is accepted only when the library's own policies
  record (``RecoveryApp.handle_for_policy``, the safeguard reaction) and only for the commands
  whose row allows it.
* **X-A1**, or the row's own rule id where one already exists (MSP-R2, MSP-A3, CMR-R3, ...):
  the actor's role (and APS level) may do the command.
* **X-A2**, or MSP-A2 for the MSP: four-eyes, where the procedure needs an approver.

The library cannot check that an actor is who they say: that is the application's
authentication (see ``docs/authority.md``). Everything here is pure.

A new command gets a row by adding one line to :data:`ROLE_TABLE`, e.g.
``cu.RegisterCustomer: Authority(OFFICERS, "customer record [A]", system=False)``;
``tests/unit/test_role_matrix.py`` fails for a command with none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from recoverycore.aggregates._decider import Command, Decision
from recoverycore.aggregates.cmr import commands as c
from recoverycore.aggregates.cmr.state import CASE_ROLES, LEADER_ROLES
from recoverycore.aggregates.customer import commands as cu
from recoverycore.aggregates.msp import commands as m
from recoverycore.errors import NotAuthorised
from recoverycore.events import Actor, ApsLevel, Role

__all__ = [
    "APS_ORDER",
    "CASE_TEAM",
    "IMPLEMENTING_OFFICERS",
    "MSP_STAFF",
    "ROLE_TABLE",
    "Authority",
    "FourEyes",
    "RoleRow",
    "aps_at_least",
    "authority_for",
    "authorize",
    "litigation_self_approval",
    "role_rows",
    "role_words",
    "system_only_for_policies",
]

APS_ORDER: tuple[str, ...] = (
    "APS1",
    "APS2",
    "APS3",
    "APS4",
    "APS5",
    "APS6",
    "EL1",
    "EL2",
    "SES",
)
"""The classifications from lowest to highest (``N/A``, the system's, is none of them)."""

IMPLEMENTING_OFFICERS = frozenset({Role.SERVICE_OFFICER, Role.OMC, Role.PSSO})
"""S-MSP S1: the implementing officer, "often the OMC or PSSO" (domain reference §1.2)."""
MSP_STAFF = frozenset({Role.MSP_RECORDER, Role.MSP_REVIEWER, Role.MSP_APPROVER})
"""OB-MSP-06: "staff who record, review and/or approve MSPs" (domain reference §1.2)."""
MSP_OFFICERS = IMPLEMENTING_OFFICERS | MSP_STAFF
"""Who implements a plan: the implementing officer, or the MSP staff who recorded, reviewed or
approved it (the decision maker who sends the SMS also phones and writes) [A]."""
CASE_TEAM = CASE_ROLES | LEADER_ROLES
"""S-CMR, OB-CMR-01 (CMR-R1): the case manager (or litigation case manager), and the team's
leaders acting for their team."""


def aps_at_least(level: str, minimum: str) -> bool:
    """Whether the classification ``level`` is ``minimum`` or higher."""
    return level in APS_ORDER and APS_ORDER.index(level) >= APS_ORDER.index(minimum)


_ACRONYMS = {"Msp": "MSP", "Omc": "OMC", "Psso": "PSSO", "Srt": "SRT", "Dpo": "DPO"}


def role_words(roles: Iterable[Role]) -> str:
    """Roles as the procedures name them: ``Operational Leader or Team Leader``."""
    names = sorted(
        " ".join(_ACRONYMS.get(w, w) for w in r.value.replace("_", " ").title().split())
        for r in roles
    )
    return " or ".join(names) or "nobody"


def _never(state: Any, command: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class FourEyes:
    """A second person: the actor must not be ``against`` (whose staff id ``first`` finds in
    the state), unless ``alone`` says the procedure lets one person do both."""

    against: str
    """Who the approver must not be, in words: ``the recorder``, ``the submitter``."""
    first: Callable[[Any, Any], str | None]
    """The staff id of that person, from the state and the command (``None``: not known yet,
    the handler refuses on its own rule)."""
    rule_id: str = "X-A2"
    alone: Callable[[Any, Any], bool] = _never
    """The exception the procedure allows: this actor may approve what they submitted (an
    APS 5 litigation case manager's own bank garnishee), whatever the row's roles."""
    exception: str = ""
    """The exception in words, as the refusal names it."""
    setting: str | None = None
    """A configuration flag that switches the check off (``require_four_eyes``)."""


@dataclass(frozen=True, slots=True)
class Authority:
    """One row of the role table: who may record one command."""

    roles: frozenset[Role]
    """The roles the procedures name (besides those a setting adds)."""
    source: str
    """Where the row comes from: the domain reference's "Who" and the seeds."""
    settings: tuple[str, ...] = ()
    """Configuration fields (roles) read at decide time and added to :attr:`roles`: the
    reference's ``[A]`` defaults, which configuration may change."""
    rule_id: str = "X-A1"
    """The rule a refused role is refused under (the existing specific one where there is)."""
    min_aps: ApsLevel | None = None
    four_eyes: FourEyes | None = None
    system: bool = False
    """Whether the library's own policies (role ``SYSTEM``) may record it (X-A3)."""

    def allowed(self, config: BaseModel | None = None) -> frozenset[Role]:
        """The roles that may record the command under ``config``."""
        roles = set(self.roles)
        for setting in self.settings:
            roles |= set(getattr(config, setting, ()))
        if self.system:
            roles.add(Role.SYSTEM)
        return frozenset(roles)


def _row(
    roles: Iterable[Role],
    source: str,
    *settings: str,
    rule_id: str = "X-A1",
    min_aps: ApsLevel | None = None,
    four_eyes: FourEyes | None = None,
    system: bool = False,
) -> Authority:
    return Authority(frozenset(roles), source, settings, rule_id, min_aps, four_eyes, system)


def _recorder(state: Any, command: Any) -> str | None:
    return getattr(state, "recorder_id", None)


def _garnishee(state: Any, command: Any) -> Any:
    return state.garnishee(command.garnishee_id) if state is not None else None


def _submitter(state: Any, command: Any) -> str | None:
    g = _garnishee(state, command)
    return g.submitted_by if g is not None else None


def _redress_actioner(state: Any, command: Any) -> str | None:
    g = _garnishee(state, command)
    return g.redress_actioned_by if g is not None else None


def _litigation_aps5(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.role == Role.LITIGATION_CASE_MANAGER
        and aps_at_least(actor.aps_level, "APS5")
    )


def litigation_self_approval(state: Any, command: Any) -> bool:
    """S-CMR T3.S9: an APS 5 litigation case manager may approve their own bank (FI)
    garnishee, when they submitted it as one (the submitter recorded at submission)."""
    g = _garnishee(state, command)
    actor: Actor = command.actor
    return (
        g is not None
        and g.kind == "FI"
        and g.submitted_by == actor.staff_id
        and _litigation_aps5(actor)
        and _litigation_aps5(g.submitter)
    )


_CUSTOMER_STAFF = MSP_OFFICERS | CASE_TEAM | {Role.SRT_OFFICER}
"""Who works with the customer: anyone who implements plans or recovers debts [A]."""
_CUSTOMER_WHO = "S-MSP S1, S-CMR T2.S2: whoever works with the customer keeps their record [A]"
_MSP_WHO = "domain reference §1.6 M{} 'Who'"
_CASE_WHO = "domain reference §2.5 C{} 'Who'"


def _msp(n: str, extra: str = "") -> str:
    return _MSP_WHO.format(n) + (f"; {extra}" if extra else "")


def _case(n: str, extra: str = "") -> str:
    return _CASE_WHO.format(n) + (f"; {extra}" if extra else "")


_TEAM = "CMR-R1: the case team, leaders acting for their team"

ROLE_TABLE: dict[type[Command], Authority] = {
    # -- Managed Service Plans (104-07050030) --------------------------------------------------
    m.RecordMsp: _row(MSP_STAFF, _msp("1", "MSP Recorder, OB-MSP-06 (record, review, approve)")),
    m.ApproveMsp: _row(
        (),
        _msp("2", "approved decision maker, approver is not the recorder [A]"),
        "decision_maker_roles",
        rule_id="MSP-A3",
        four_eyes=FourEyes("the recorder", _recorder, "MSP-A2", setting="require_four_eyes"),
    ),
    m.RejectMsp: _row(
        (),
        _msp("2", "approved decision maker, approver is not the recorder [A]"),
        "decision_maker_roles",
        rule_id="MSP-A3",
        four_eyes=FourEyes("the recorder", _recorder, "MSP-A2", setting="require_four_eyes"),
    ),
    m.WithdrawMsp: _row(
        (), "§1.5, §4.1 approved decision maker [A]", "decision_maker_roles", rule_id="MSP-A3"
    ),
    m.RecordNotificationCallAttempt: _row(MSP_OFFICERS, _msp("3", "implementing officer")),
    m.RecordCustomerInformed: _row(MSP_OFFICERS, _msp("4", "implementing officer")),
    m.RecordDecisionNotToContactDirectly: _row(MSP_OFFICERS, _msp("5", "implementing officer")),
    m.RecordRepresentativeContact: _row(MSP_OFFICERS, _msp("6", "implementing officer")),
    m.LinkIncident: _row(MSP_OFFICERS, _msp("7", "implementing officer")),
    m.SendMspSms: _row(
        (),
        _msp("8", "approved decision maker only, S-MSP S2"),
        "decision_maker_roles",
        rule_id="MSP-R2",
    ),
    m.IssueContactCard: _row(MSP_OFFICERS, _msp("9", "implementing officer")),
    m.AttachFinalLetter: _row(MSP_OFFICERS, _msp("10", "implementing officer")),
    m.SendMspLetter: _row(MSP_OFFICERS, _msp("11", "implementing officer")),
    m.RecordPoliceHandDelivery: _row(MSP_OFFICERS, _msp("12", "implementing officer")),
    m.RecordLetterDeliveryOutcome: _row(MSP_OFFICERS, _msp("13", "implementing officer")),
    m.GrantOneOffVariation: _row(
        (), _msp("14", "MSP decision maker [A]"), "decision_maker_roles", rule_id="MSP-A3"
    ),
    m.InviteCustomerToReview: _row(
        (), _msp("15", "MSP Reviewer"), "reviewer_roles", rule_id="MSP-A3"
    ),
    m.CompleteReview: _row(
        (),
        _msp("16", "MSP Reviewer; decision maker for VARY/EXTEND [A]"),
        "reviewer_roles",
        "decision_maker_roles",
        rule_id="MSP-A3",
    ),
    m.SendBehaviourWarning: _row(MSP_OFFICERS, _msp("17", "implementing officer")),
    m.SendRestrictionReminder: _row(MSP_OFFICERS, _msp("17", "implementing officer")),
    m.ExpireMsp: _row(
        (),
        _msp("18", "System (timer); a decision maker where no timer runs [A]"),
        "decision_maker_roles",
        system=True,
    ),
    m.AddMspNote: _row(MSP_OFFICERS, "S-MSP S1, S3: MSP notes by who works the plan"),
    m.RecordVulnerabilityFlag: _row(
        MSP_OFFICERS | {Role.SOCIAL_WORKER},
        "S-MSP S2, OB-SUI: who hears it; the safeguard policy (X-R3, X-R4)",
        system=True,
    ),
    m.ClearVulnerabilityFlag: _row(
        {Role.SOCIAL_WORKER},
        "domain reference §3.2 X-R3: a social worker or decision maker [A]; the library, when "
        "the customer's record clears it",
        "flag_clearing_roles",
        rule_id="MSP-A3",
        system=True,
    ),
    # -- Case managed debt recovery (107-20112320) ---------------------------------------------
    # Table 1
    c.AllocateCase: _row(
        CASE_TEAM, _case("1", "S-CMR T1.S2: individual allocation or 'Ready' in WLM")
    ),
    c.AssessSuitability: _row(CASE_TEAM, _case("2", _TEAM)),
    c.UnassignCustomer: _row(
        {Role.OPERATIONAL_LEADER, Role.LITIGATION_CASE_MANAGER},
        _case("3", "S-CMR T1.S2: OL, or LCM after the SLO"),
        rule_id="CMR-R4",
    ),
    c.CreateDoaDoc: _row(CASE_TEAM, _case("4", _TEAM)),
    c.ApplyActorRelationship: _row(
        LEADER_ROLES, _case("5", "S-CMR T1.S4: TL or OL"), rule_id="CMR-R3"
    ),
    c.CreateCaseFile: _row(CASE_TEAM, _case("6", _TEAM)),
    c.AddCaseFileDocument: _row(CASE_TEAM, _case("7", _TEAM)),
    c.ExcludeFromHardshipSms: _row(CASE_TEAM, _case("8", _TEAM)),
    # Table 2
    c.RecordCapacityReview: _row(CASE_TEAM, _case("9", _TEAM)),
    c.SendPreCallSms: _row(
        CASE_TEAM | {Role.OMC, Role.PSSO},
        _case("10", _TEAM) + "; the OMC/PSSO of an MSP in force, before their call (X-R12)",
    ),
    c.RecordContactAttempt: _row(
        CASE_TEAM | {Role.OMC, Role.PSSO},
        _case("11", _TEAM) + "; the OMC/PSSO of an MSP in force, through whom contact the MSP "
        "rules out is made (X-R12; the case checks it is theirs, CMR-R1)",
    ),
    c.IssueContactLetterQ164: _row(CASE_TEAM, _case("12", _TEAM)),
    c.IssueFinalOptionLetterQ190: _row(CASE_TEAM, _case("13", _TEAM)),
    c.RecordDiscussion: _row(CASE_TEAM, _case("14", _TEAM)),
    c.RequestExplanationOrReview: _row(CASE_TEAM, _case("15", _TEAM)),
    c.PauseRecovery: _row(CASE_TEAM, _case("15", _TEAM)),
    c.ResumeRecovery: _row(CASE_TEAM, _case("15", _TEAM)),
    c.RecordAcceptableArrangement: _row(CASE_TEAM, _case("16", _TEAM)),
    c.RecordArrangementBroken: _row(CASE_TEAM, _case("16", _TEAM)),
    c.RecordFinancialCircumstanceAssessment: _row(CASE_TEAM, _case("17", _TEAM)),
    c.RecordInterimArrangement: _row(CASE_TEAM, _case("18", _TEAM)),
    c.RecordCallbackAgreed: _row(CASE_TEAM, _case("19", _TEAM)),
    c.RecordRefusal: _row(CASE_TEAM, _case("20", _TEAM)),
    c.RecordRefusalRetracted: _row(CASE_TEAM, _case("20", _TEAM + "; CMR-R14")),
    c.DeclareArrangementNotReasonable: _row(
        CASE_ROLES | LEADER_ROLES | {Role.DEBT_STAFF},
        _case("21", "Debt Staff APS5+, OB-GAR-OTH"),
        rule_id="CMR-R13",
        min_aps="APS5",
    ),
    # Table 3
    c.RecordFiAccountLead: _row(CASE_TEAM, _case("22", _TEAM)),
    c.RequestFieInformation: _row(CASE_TEAM, _case("23", _TEAM)),
    c.IssueThirdPartyNoticeQSS40: _row(CASE_TEAM, _case("24", _TEAM)),
    c.RecordEmploymentLead: _row(CASE_TEAM, _case("25", _TEAM)),
    c.IssueDataMatchNotificationQ289: _row(CASE_TEAM, _case("26", _TEAM)),
    c.RecordEmployerContactAttempt: _row(CASE_TEAM, _case("27", _TEAM)),
    c.IssueEmployerRequestQ609: _row(CASE_TEAM, _case("28", _TEAM)),
    c.ProcessReturnedCorrespondence: _row(CASE_TEAM, _case("29", _TEAM)),
    c.AssessGarnishee: _row(CASE_TEAM, _case("30", _TEAM)),
    c.SubmitGarnishee: _row(CASE_TEAM, _case("31", _TEAM)),
    c.DecideGarnisheeSubmission: _row(
        (),
        _case("32", "S-CMR T3.S9: OL; an APS 5 LCM for their own bank garnishee"),
        "garnishee_approver_roles",
        rule_id="CMR-R9",
        four_eyes=FourEyes(
            "the submitter",
            _submitter,
            alone=litigation_self_approval,
            exception=" (an APS 5 Litigation Case Manager for their own bank garnishee)",
        ),
    ),
    c.RecordDebtRedressCheck: _row(CASE_TEAM, _case("33", "actioned by the CM")),
    c.ApproveDebtRedressCheck: _row(
        (),
        _case("33", "S-CMR T3.S9: actioned and approved; approver OL or delegate [A]"),
        "redress_check_approver_roles",
        rule_id="CMR-R9",
        four_eyes=FourEyes("who actioned the check", _redress_actioner),
    ),
    c.PlaceGarnishee: _row(CASE_TEAM, _case("34", _TEAM)),
    c.RecordGarnisheeOutcome: _row(CASE_TEAM, _case("35", _TEAM)),
    c.RecordPropertySearch: _row(CASE_TEAM, _case("36", _TEAM)),
    c.RecordEquifaxSearch: _row(CASE_TEAM, _case("37", _TEAM)),
    c.ReferToSrtLitigation: _row(CASE_TEAM, _case("38", _TEAM)),
    c.DecideLitigationReferral: _row(
        (), _case("39", "SRT Litigation"), "litigation_decision_roles", rule_id="CMR-A13"
    ),
    c.RecordTravelPatternAssessment: _row(CASE_TEAM, _case("40", _TEAM)),
    c.ReferForDpo: _row(CASE_TEAM, _case("41", _TEAM)),
    # Table 4
    c.IssueDpoWarning: _row({Role.SRT_OFFICER}, _case("42", "S-CMR T4: SRTO"), rule_id="CMR-A13"),
    c.ConfirmDpoWarningDelivery: _row(
        {Role.SRT_OFFICER}, _case("43", "S-CMR T4: SRTO"), rule_id="CMR-A13"
    ),
    c.MakeDpo: _row(
        (), _case("44", "DPO delegate, SSA-1240 [A]"), "dpo_delegate_roles", rule_id="CMR-R17"
    ),
    c.NotifyDpo: _row(
        {Role.SRT_OFFICER},
        _case("45", "DPO delegate or SRTO"),
        "dpo_delegate_roles",
        rule_id="CMR-R17",
    ),
    c.VaryDpo: _row((), _case("46", "DPO delegate [A]"), "dpo_delegate_roles", rule_id="CMR-R17"),
    c.RevokeDpo: _row((), _case("46", "DPO delegate [A]"), "dpo_delegate_roles", rule_id="CMR-R17"),
    c.DecideDac: _row((), _case("47", "DPO delegate [A]"), "dpo_delegate_roles", rule_id="CMR-R17"),
    # Table 5
    c.CloseCase: _row(CASE_TEAM, _case("48", _TEAM)),
    c.RunRecoveryOptionsExhaustedFastNote: _row(CASE_TEAM, _case("49", _TEAM)),
    c.ExpireDoaDoc: _row(CASE_TEAM, _case("50", _TEAM)),
    c.EndCivilAction: _row(CASE_TEAM, _case("51", _TEAM)),
    c.EndOpcvCoding: _row(CASE_TEAM, _case("52", _TEAM)),
    c.UpdateWlmActorRelationship: _row(CASE_TEAM, _case("53", "CM, TL or OL [A]")),
    c.FinaliseCaseFile: _row(CASE_TEAM, _case("54", _TEAM)),
    c.CompleteClosure: _row(CASE_TEAM, _case("55", "recorded by the case team [A]")),
    c.ArchiveCase: _row(CASE_TEAM, _case("56", "SRT per archiving arrangements")),
    # Vulnerability flags (X-R2 to X-R4)
    c.RecordVulnerabilityFlag: _row(
        CASE_TEAM | {Role.SOCIAL_WORKER, Role.SRT_OFFICER},
        "domain reference §3.2 X-R2 to X-R4: who hears it; the safeguard policy",
        system=True,
    ),
    c.ClearVulnerabilityFlag: _row(
        CASE_TEAM | {Role.SOCIAL_WORKER, Role.SRT_OFFICER},
        "domain reference §3.2 X-R3, X-R4: a social worker or OL [A]; other flags the team; "
        "the library, when the customer's record clears it",
        "flag_clearing_roles",
        rule_id="CMR-R1",
        system=True,
    ),
    # -- The customer record (S-MSP S1-S2, S-CMR T2.S2) ----------------------------------------
    cu.RegisterCustomer: _row(_CUSTOMER_STAFF, _CUSTOMER_WHO),
    cu.RecordSafetyFlag: _row(
        _CUSTOMER_STAFF | {Role.SOCIAL_WORKER},
        "S-MSP S2, S-CMR T2.S2, X-R2 to X-R4: whoever hears it records it on the person",
    ),
    cu.ClearSafetyFlag: _row(
        _CUSTOMER_STAFF | {Role.SOCIAL_WORKER},
        "X-R3, X-R4: a social worker or decision maker for a safety flag (flag_clearing_roles, "
        "checked by the record); other flags whoever works with the customer [A]",
        "flag_clearing_roles",
    ),
    cu.RecordRepresentative: _row(
        _CUSTOMER_STAFF, "S-MSP S1: the officer who finds the POA, nominee or PPE [A]"
    ),
    cu.RemoveRepresentative: _row(
        _CUSTOMER_STAFF, "S-MSP S1: the officer who finds the POA, nominee or PPE [A]"
    ),
    cu.RecordCustomerLocation: _row(_CUSTOMER_STAFF, _CUSTOMER_WHO),
}
"""The role table: every command of every aggregate, by command class, and who may record it.
Add one line for a new command (``tests/unit/test_role_matrix.py`` fails without it)."""


def authority_for(
    command_type: type[Command], table: Mapping[type[Command], Authority] = ROLE_TABLE
) -> Authority | None:
    """The row of ``command_type`` (or of the nearest command class it extends), if any."""
    for base in command_type.__mro__:
        row = table.get(base)
        if row is not None:
            return row
    return None


def _name(command_type: type[Command]) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", command_type.__name__)


def _require(d: Decision, ok: bool, rule_id: str, reason: str, remedy: str) -> None:
    d.applied(rule_id)
    if not ok:
        raise NotAuthorised(rule_id, reason, remedy)


def system_only_for_policies(command: Command, d: Decision, *, internal: bool) -> None:
    """X-A3: an actor with the role ``SYSTEM`` is accepted only when the library's own
    policies record (``internal``) a command whose row gives it to them. Checked first, before
    the aggregate's own checks, so a claimed ``SYSTEM`` is refused as such."""
    if command.actor.role != Role.SYSTEM:
        return
    what = _name(type(command))
    row = authority_for(type(command))
    allowed = row is not None and row.system
    _require(
        d,
        internal and allowed,
        "X-A3",
        f"The role SYSTEM is for the library's own policies, and {what} "
        + ("was not recorded by one." if allowed else "is not recorded through them."),
        "Record it as the officer who did it, with their own role (the application maps "
        "its signed-in user to the actor).",
    )


def authorize(
    state: Any, command: Command, d: Decision, config: BaseModel | None, *, internal: bool
) -> None:
    """Check the role table's row for ``command``: X-A3 (``SYSTEM`` only for the library's
    own policies), the role and APS level (X-A1 or the row's rule), and four-eyes (X-A2 or the
    row's rule). Refuses with :class:`~recoverycore.errors.RuleViolation`, recording
    nothing (:class:`~recoverycore.errors.NotAuthorised`, a ``RuleViolation``)."""
    actor = command.actor
    what = _name(type(command))
    row = authority_for(type(command))
    if row is None:
        _require(
            d,
            False,
            "X-A1",
            f"{what} has no row in the role table, so nobody may record it.",
            "Add the command's row to recoverycore.aggregates.ROLE_TABLE.",
        )
        return
    if actor.role == Role.SYSTEM:
        system_only_for_policies(command, d, internal=internal)
        return
    allowed = row.allowed(config) - {Role.SYSTEM}
    eyes = row.four_eyes
    alone = eyes is not None and eyes.alone(state, command)
    exception = eyes.exception if eyes is not None else ""
    _require(
        d,
        actor.role in allowed or alone,
        row.rule_id,
        f"{actor.staff_id} acts as {actor.role.value}, and {what} is for "
        f"{role_words(allowed)}{exception} only.",
        f"Ask an officer acting as {role_words(allowed)} to do it.",
    )
    if row.min_aps is not None:
        _require(
            d,
            aps_at_least(actor.aps_level, row.min_aps),
            row.rule_id,
            f"{what} needs an officer at {row.min_aps} or above; {actor.staff_id} is "
            f"{actor.aps_level}.",
            f"Ask an officer at {row.min_aps} or above to make and document the decision.",
        )
    if eyes is None or (eyes.setting and not getattr(config, eyes.setting, True)):
        return
    first = eyes.first(state, command)
    _require(
        d,
        first is None or not same_staff(first, actor.staff_id) or alone,
        eyes.rule_id,
        f"{actor.staff_id} is {eyes.against} and so cannot also decide on it "
        f"({what.lower()}): a second person decides.",
        f"Ask another {role_words(allowed)} to make the decision.",
    )


def staff_key(staff_id: str) -> str:
    """The form two staff ids are compared in for four-eyes: its letters and digits only, case
    folded. Commands accept only ASCII staff ids (``check_command``), so no look-alike letter
    or invisible character reaches here; ``so-1001``, ``SO 1001`` and ``SO_1001`` are one
    officer retyping ``SO-1001``."""
    folded = unicodedata.normalize("NFKC", staff_id).casefold()
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def same_staff(first: str, second: str) -> bool:
    """Whether two staff ids name the same officer (see :func:`staff_key`)."""
    return staff_key(first) == staff_key(second)


class RoleRow(BaseModel):
    """One row of the role table as it applies under a configuration (for display: the
    ``recoverycore roles`` command and ``docs/authority.md``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    aggregate: str
    command: str
    roles: tuple[str, ...]
    """The roles that may record it (settings read under the configuration given)."""
    settings: tuple[str, ...] = ()
    """The configuration fields that add roles (the reference's ``[A]`` defaults)."""
    min_aps: str | None = None
    second_person: str | None = None
    """Four-eyes: who the actor must not be, and its rule (``not the recorder (MSP-A2)``)."""
    system: bool = False
    """Whether the library's own policies may record it (as ``SYSTEM``)."""
    rule_id: str
    source: str


def role_rows(deciders: Iterable[Any]) -> list[RoleRow]:
    """The role table, one row per command of each of ``deciders`` (each Decider's commands
    in the table's order), with its roles under the Decider's default configuration."""
    rows: list[RoleRow] = []
    for decider in deciders:
        config = decider.default_config()
        for cls, row in ROLE_TABLE.items():
            if not issubclass(cls, decider.command_type):
                continue
            eyes = row.four_eyes
            rows.append(
                RoleRow(
                    aggregate=decider.kind,
                    command=cls.__name__,
                    roles=tuple(sorted(r.value for r in row.allowed(config) - {Role.SYSTEM})),
                    settings=row.settings,
                    min_aps=row.min_aps,
                    second_person=(
                        f"not {eyes.against} ({eyes.rule_id}){eyes.exception}" if eyes else None
                    ),
                    system=row.system,
                    rule_id=row.rule_id,
                    source=row.source,
                )
            )
    return rows
