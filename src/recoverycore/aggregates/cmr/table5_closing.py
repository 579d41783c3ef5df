"""Table 5, closing (C48-C56): close, the ROE Fast Note, the closing steps, completion and
archiving; and the vulnerability flags (X-R2, X-R3, X-R4).
"""

from __future__ import annotations

from collections.abc import Callable

from recoverycore.aggregates.cmr._checks import _assigned, _Ctx, _reasons, _role
from recoverycore.aggregates.cmr._decide import _handles
from recoverycore.aggregates.cmr.commands import (
    ArchiveCase,
    ClearVulnerabilityFlag,
    CloseCase,
    CompleteClosure,
    EndCivilAction,
    EndOpcvCoding,
    ExpireDoaDoc,
    FinaliseCaseFile,
    RecordVulnerabilityFlag,
    RunRecoveryOptionsExhaustedFastNote,
    UpdateWlmActorRelationship,
)
from recoverycore.aggregates.cmr.state import CLOSURE_STEPS, CaseState
from recoverycore.events import Role
from recoverycore.events.cmr import (
    ActorRelationshipEnded,
    ArchiveConsiderationRequested,
    CaseArchived,
    CaseClosed,
    CaseClosureStarted,
    CaseFileFinalised,
    CivilActionEnded,
    DoaDocExpired,
    OpcvCodingEnded,
    RecoveryOptionsExhaustedRecorded,
    VulnerabilityFlagCleared,
    VulnerabilityFlagRecorded,
)
from recoverycore.events.vocabulary import ENFORCEMENT_FLAGS

_OUTCOME_NEEDED: dict[str, Callable[[CaseState], bool]] = {
    "PAID_IN_FULL": lambda s: s.paid_in_full,
    "ACCEPTABLE_ARRANGEMENT_SUSTAINED": lambda s: s.arrangement == "ACCEPTABLE",
    "LITIGATION_REFERRAL_ACCEPTED": lambda s: s.litigation == "ACCEPTED",
    "RECOVERY_OPTIONS_EXHAUSTED": lambda s: any(x.code == "Q190" for x in s.letters),
    "UNASSIGNED_NOT_SUITABLE": lambda s: s.suitable is False,
}


@_handles(CloseCase, "T5.S1")
def _close(s: CaseState, cmd: CloseCase, c: _Ctx) -> None:
    d = c.d
    outcome = _OUTCOME_NEEDED.get(cmd.reason)
    achieved = outcome is None or outcome(s)
    d.require(
        achieved,
        "CMR-R18",
        f"The case has not reached the outcome '{cmd.reason.replace('_', ' ').lower()}'.",
        "Close the case once an outcome is achieved.",
    )
    if cmd.reason == "OTHER":
        d.require(
            bool(cmd.detail.strip()),
            "CMR-R18",
            "A closure for another reason needs the reason described.",
            "Describe the outcome achieved.",
        )
    d.require(
        not s.dpo_active,
        "CMR-R17",
        "A DPO is still in force; it must be revoked when the debt is paid, a satisfactory "
        "arrangement is made or the debt is irrecoverable.",
        "Have the delegate revoke the DPO first.",
    )
    d.emit(CaseClosureStarted, reason=cmd.reason, detail=cmd.detail)


def _step(c: _Ctx, s: CaseState, step: str) -> None:
    c.d.require(
        step not in s.closure_steps,
        "CMR-A1",
        f"The closing step {step.replace('_', ' ').lower()} is already done.",
        "Go on with the other closing steps.",
    )


@_handles(RunRecoveryOptionsExhaustedFastNote, "T5.S2", closing=True)
def _roe(s: CaseState, cmd: RunRecoveryOptionsExhaustedFastNote, c: _Ctx) -> None:
    c.d.require(
        s.closure_reason == "RECOVERY_OPTIONS_EXHAUSTED",
        "CMR-R18",
        "The Recovery Options Exhausted Fast Note is only for a case closed for that reason.",
        "Use the closing steps for this closure reason.",
    )
    _step(c, s, "ROE_FAST_NOTE")
    c.d.emit(
        RecoveryOptionsExhaustedRecorded,
        fast_note_ref=cmd.fast_note_ref,
        linked_activity_ref=cmd.linked_activity_ref,
    )


@_handles(ExpireDoaDoc, "T5.S3", closing=True)
def _expire_doa(s: CaseState, cmd: ExpireDoaDoc, c: _Ctx) -> None:
    _step(c, s, "DOA_DOC_EXPIRED")
    c.d.emit(DoaDocExpired, doc_id=s.doa_doc_id or "none recorded")


@_handles(EndCivilAction, "T5.S4", closing=True)
def _end_civil(s: CaseState, cmd: EndCivilAction, c: _Ctx) -> None:
    _step(c, s, "CIVIL_ACTION_ENDED")
    c.d.emit(CivilActionEnded, debt_ids=tuple(d.debt_id for d in s.debts if d.civil_action))


@_handles(EndOpcvCoding, "T5.S4", closing=True)
def _end_opcv(s: CaseState, cmd: EndOpcvCoding, c: _Ctx) -> None:
    _step(c, s, "OPCV_CODING_ENDED")
    # Even debts with a zero balance may still hold OPCV coding [S-CMR T5.S4].
    c.d.emit(OpcvCodingEnded, debt_ids=tuple(d.debt_id for d in s.debts if d.opcv_coded))


@_handles(UpdateWlmActorRelationship, "T5.S5", closing=True)
def _end_actor(s: CaseState, cmd: UpdateWlmActorRelationship, c: _Ctx) -> None:
    _step(c, s, "ACTOR_RELATIONSHIP_UPDATED")
    c.d.emit(ActorRelationshipEnded, allocation_group=s.allocation_group or "")


@_handles(FinaliseCaseFile, "T5.S6", closing=True)
def _finalise(s: CaseState, cmd: FinaliseCaseFile, c: _Ctx) -> None:
    _step(c, s, "CASE_FILE_FINALISED")
    c.d.emit(CaseFileFinalised, location="case file" if s.case_file else "no case file")


@_handles(CompleteClosure, "T5", closing=True)
def _complete(s: CaseState, cmd: CompleteClosure, c: _Ctx) -> None:
    needed = list(CLOSURE_STEPS)
    if s.closure_reason == "RECOVERY_OPTIONS_EXHAUSTED":
        needed.insert(0, "ROE_FAST_NOTE")
    missing = [step for step in needed if step not in s.closure_steps]
    c.d.require(
        not missing,
        "CMR-R18",
        "The closure is not complete: "
        + ", ".join(m.replace("_", " ").lower() for m in missing)
        + " still to do.",
        "Complete those closing steps first.",
    )
    # A closing case always has its reason (CloseCase records it); CMR-R18 is already applied.
    reason = c.d.required(
        s.closure_reason,
        "CMR-R18",
        "No reason is recorded for this closure.",
        "Start the closure (CloseCase) with its reason first.",
    )
    c.d.emit(CaseClosed, reason=reason, completed_steps=tuple(needed))


@_handles(ArchiveCase, "T5", case_team=True)
def _archive(s: CaseState, cmd: ArchiveCase, c: _Ctx) -> None:
    c.d.require(s.status == "CLOSED", "CMR-A1", "Only a closed case is archived.", "Close it.")
    c.d.require(
        not s.archive_requested,
        "CMR-A1",
        "Archiving was already referred to the positional mailbox.",
        "Wait for the mailbox's decision.",
    )
    if s.team == "SRT":
        c.d.emit(CaseArchived)
    else:
        c.d.emit(ArchiveConsiderationRequested, mailbox=cmd.mailbox)


# -- vulnerability flags --
@_handles(RecordVulnerabilityFlag, "X-R2")
def _flag(s: CaseState, cmd: RecordVulnerabilityFlag, c: _Ctx) -> None:
    c.d.require(
        all(f.flag_id != cmd.flag_id for f in s.flags),
        "CMR-A2",
        f"Flag id {cmd.flag_id} is in use.",
        "Give the flag its own id.",
    )
    c.d.emit(
        VulnerabilityFlagRecorded,
        flag_id=cmd.flag_id,
        kind=cmd.kind,
        source=cmd.source,
        referral=cmd.referral,
        incident_ref=cmd.incident_ref,
    )


@_handles(ClearVulnerabilityFlag, "X-R3", case_team=False)
def _clear_flag(s: CaseState, cmd: ClearVulnerabilityFlag, c: _Ctx) -> None:
    flag = c.d.required(
        next((f for f in s.flags if f.flag_id == cmd.flag_id), None),
        "CMR-A1",
        f"No flag {cmd.flag_id} is in force.",
        "None.",
    )
    if flag.kind not in ENFORCEMENT_FLAGS:
        if cmd.actor.role not in c.config.flag_clearing_roles:
            _assigned(c.d, s)
    elif cmd.actor.role != Role.SYSTEM:  # SYSTEM: the customer's record cleared it
        _role(
            c.d,
            c.config.flag_clearing_roles,
            (flag.kind == "SUICIDE_SELF_HARM" and "X-R3") or "X-R4",
            "clear this flag",
        )
    _reasons(c.d, "CMR-A8", "clear the flag")
    c.d.emit(VulnerabilityFlagCleared, flag_id=cmd.flag_id)
