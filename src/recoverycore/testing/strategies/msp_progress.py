"""MSP commands that suit a state: :func:`progressing_commands`, :func:`closing_commands`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import (
    Any,
    TypeVar,
    get_args,
)
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from recoverycore.aggregates import authority_for, msp
from recoverycore.aggregates.msp import (
    ApproveMsp,
    AttachFinalLetter,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    MspCommand,
    MspConfig,
    MspState,
    RecordCustomerInformed,
    RecordLetterDeliveryOutcome,
    RecordNotificationCallAttempt,
    RejectMsp,
    SendMspLetter,
    SendMspSms,
    WithdrawMsp,
)
from recoverycore.events import Actor, Role
from recoverycore.events.msp import (
    DeliveryMethod,
    MultiRecordCheck,
    SmsReason,
)
from recoverycore.testing import EPOCH
from recoverycore.testing.strategies.values import (
    _ADDRESSES,
    _ALTERNATIVES,
    _BUSINESS_MINUTES,
    _NOTES,
    _NUMBERS,
    _PURPOSES,
    _SITES,
    _TEMPLATES,
    LETTER_IDS,
    TRACKING_IDS,
    _business_time,
    _mostly,
    actors,
    reasons,
    restrictions,
)

C = TypeVar("C", bound=MspCommand)
SearchStrategy = st.SearchStrategy


# -- commands that suit a state -----------------------------------------------------------------
def _legal(
    cls: type[C], plan_id: UUID, actor: SearchStrategy[Actor], **fields: Any
) -> SearchStrategy[C]:
    """A command with justified reasons, happening now, and the given field values/strategies."""
    return st.builds(
        cls,
        plan_id=st.just(plan_id),
        actor=actor,
        reasons=reasons(justified=True),
        **{
            name: value if isinstance(value, SearchStrategy) else st.just(value)
            for name, value in fields.items()
        },
    )


def _allowed(command_type: type[MspCommand], config: MspConfig) -> frozenset[Role]:
    """The roles the role table lets an application record ``command_type`` with."""
    row = authority_for(command_type)
    return (row.allowed(config) if row is not None else frozenset()) - {Role.SYSTEM}


def _role_actors(roles: frozenset[Role], *, not_staff: str | None = None) -> SearchStrategy[Actor]:
    actor = st.sampled_from(sorted(roles)).flatmap(actors)
    return actor.filter(lambda a: a.staff_id != not_staff) if not_staff else actor


def _required_method(state: MspState, config: MspConfig) -> DeliveryMethod:
    return msp.required_delivery_method(
        config.letter_policy, state.restriction_kinds, state.incident_involved_assault_or_stalking
    )


def _local_date(when: datetime, config: MspConfig) -> date:
    return when.astimezone(ZoneInfo(config.time_zone)).date()


def progressing_commands(
    state: MspState, *, now: datetime = EPOCH, config: MspConfig | None = None
) -> SearchStrategy[MspCommand]:
    """Commands that move ``state`` along the procedure and that the rules (nearly always)
    accept at ``now``: approval, a successful call, the letter attached, sent and delivered,
    the customer informed, an SMS, a one-off variation, the review and its outcome, expiry.

    A terminal plan has none (the strategy is ``st.nothing()``); a plan in force whose end date
    has been reached only expires (MSP-A11: nothing else under it is accepted)."""
    config = config or MspConfig()
    pid = state.id
    if state.status in msp.IN_FORCE and _local_date(now, config) >= state.end_date:
        return _legal(ExpireMsp, pid, _role_actors(_allowed(ExpireMsp, config)))
    officer = actors(Role.OMC)
    deciders = _role_actors(config.decision_maker_roles)
    reviewers = _role_actors(config.reviewer_roles)
    # Notification steps come first (drawn three times in four), then the review, variations
    # and expiry, so that plans are usually notified before they move on.
    options: list[SearchStrategy[MspCommand]] = []
    later: list[SearchStrategy[MspCommand]] = []
    if state.status == "DRAFT":
        options.append(
            _legal(
                ApproveMsp,
                pid,
                _role_actors(config.decision_maker_roles, not_staff=state.recorder_id),
            )
        )
    letter = {
        "delivery_method": _required_method(state, config),
        "tracking_id": st.sampled_from(TRACKING_IDS),
        "contact_invitations": ("WRITING",),
    }
    if state.status == "ACTIVE":
        options.append(
            _legal(
                RecordNotificationCallAttempt,
                pid,
                officer,
                number_called=st.sampled_from(_NUMBERS),
                outcome="ENGAGED_SUCCESSFUL",
                topics_covered=tuple(sorted(msp.CALL_CHECKLIST)),
                note_text=_NOTES[1],
            )
        )
        options.append(
            _legal(
                AttachFinalLetter,
                pid,
                officer,
                letter_id=st.sampled_from(LETTER_IDS),
                letter_version=st.integers(1, 3),
                approval_status="FINAL_APPROVED",
            )
        )
        later.append(_legal(InviteCustomerToReview, pid, reviewers, letter_id="R-1", **letter))
        if state.restriction_kinds & {"FULL_FACE_TO_FACE", "PARTIAL_FACE_TO_FACE"}:
            first = max(now.date() + timedelta(days=1), state.start_date)
            if first < state.end_date:  # MSP-A8: an appointment before the end date
                days = (state.end_date - first).days - 1
                later.append(
                    _legal(
                        GrantOneOffVariation,
                        pid,
                        deciders,
                        appointment_at=st.builds(
                            _business_time,
                            st.integers(0, days).map(lambda d: first + timedelta(days=d)),
                            st.integers(*_BUSINESS_MINUTES),
                            st.just(now.tzinfo),
                        ),
                        site=st.sampled_from(_SITES),
                        purpose=st.sampled_from(_PURPOSES),
                    )
                )
    if state.status in msp.IN_FORCE:
        if state.successful_contacts:
            options.append(
                _legal(
                    RecordCustomerInformed,
                    pid,
                    officer,
                    channel="PHONE",
                    informed_person=st.sampled_from(state.successful_contacts),
                )
            )
        if state.attached_letter_id is not None:
            options.append(
                _legal(
                    SendMspLetter,
                    pid,
                    officer,
                    letter_id=state.attached_letter_id,
                    address=st.sampled_from(_ADDRESSES),
                    **letter,
                )
            )
        if state.letter_sent_id is not None and state.letter_outcome is None:
            options.append(
                _legal(
                    RecordLetterDeliveryOutcome,
                    pid,
                    officer,
                    letter_id=state.letter_sent_id,
                    tracking_id=state.letter_tracking_id,
                    outcome="DELIVERED",
                    outcome_at=now,
                )
            )
        if state.letter_outcome == "DELIVERED":
            options.append(_legal(RecordCustomerInformed, pid, officer, channel="LETTER"))
        if not state.contact_card_issued:
            options.append(_legal(IssueContactCard, pid, officer, omc_psso=state.omc_psso))
        if state.program == "CENTRELINK":
            # Legal even when a safety flag is in force: the safeguards then block it.
            options.append(
                _legal(
                    SendMspSms,
                    pid,
                    deciders,
                    reason_code=st.sampled_from(get_args(SmsReason)),
                    mobile_number=st.sampled_from(_NUMBERS),
                    multi_record_check=MultiRecordCheck(performed_at=now, result="UNIQUE"),
                    smem_checked_at=now,
                    message_template_id=st.sampled_from(_TEMPLATES),
                )
            )
    if state.status == "UNDER_REVIEW":
        options.append(
            _legal(
                CompleteReview,
                pid,
                reviewers,
                outcome=st.sampled_from(("CONTINUE_UNCHANGED", "END_EARLY")),
            )
        )
        options.append(
            _legal(
                CompleteReview,
                pid,
                deciders,
                outcome="VARY",
                new_restrictions=st.lists(restrictions(), min_size=1, max_size=2).map(tuple),
                alternatives_considered=_ALTERNATIVES[0],
            )
        )
        latest = _local_date(now, config) + timedelta(days=config.max_plan_duration_days)
        if latest > state.end_date:
            options.append(
                _legal(
                    CompleteReview,
                    pid,
                    deciders,
                    outcome="EXTEND",
                    new_end_date=st.integers(1, min(365, (latest - state.end_date).days)).map(
                        lambda d: state.end_date + timedelta(days=d)
                    ),
                )
            )
    if options and later:
        return _mostly(st.one_of(options), st.one_of(later), odds=3)
    return st.one_of(options or later) if options or later else st.nothing()


def closing_commands(
    state: MspState, *, now: datetime = EPOCH, config: MspConfig | None = None
) -> SearchStrategy[MspCommand]:
    """Commands that close a plan and that the rules accept at ``now``: rejection or withdrawal
    of a draft, withdrawal, ending early at review, or expiry once the end date is reached.

    A plan that is already closed has none (the strategy is ``st.nothing()``)."""
    config = config or MspConfig()
    pid = state.id
    deciders = _role_actors(config.decision_maker_roles)
    options: list[SearchStrategy[MspCommand]] = []
    if state.status == "DRAFT":
        not_recorder = _role_actors(config.decision_maker_roles, not_staff=state.recorder_id)
        options.append(_legal(RejectMsp, pid, not_recorder))
    if state.status in {"DRAFT", *msp.IN_FORCE}:
        options.append(_legal(WithdrawMsp, pid, deciders))
    if state.status == "UNDER_REVIEW":
        options.append(
            _legal(CompleteReview, pid, _role_actors(config.reviewer_roles), outcome="END_EARLY")
        )
    if state.status in msp.IN_FORCE and _local_date(now, config) >= state.end_date:
        options.append(_legal(ExpireMsp, pid, _role_actors(_allowed(ExpireMsp, config))))
    return st.one_of(options) if options else st.nothing()
