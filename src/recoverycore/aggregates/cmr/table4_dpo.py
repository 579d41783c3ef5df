"""Table 4, the Departure Prohibition Order (C42-C47): warning, delivery, making, notifying,
varying and revoking a DPO, and the DAC decision.
"""

from __future__ import annotations

from typing import Any

from recoverycore.aggregates.cmr._checks import _Ctx, _debts_known, _enforcement, _reasons, _role
from recoverycore.aggregates.cmr._decide import _handles
from recoverycore.aggregates.cmr.commands import (
    ConfirmDpoWarningDelivery,
    DecideDac,
    IssueDpoWarning,
    MakeDpo,
    NotifyDpo,
    RevokeDpo,
    VaryDpo,
)
from recoverycore.aggregates.cmr.state import CaseState
from recoverycore.aggregates.cmr.table2_contact import _issue_letter
from recoverycore.days import add_days
from recoverycore.events import Role
from recoverycore.events.cmr import (
    DacIssued,
    DacRefused,
    DpoMade,
    DpoNotified,
    DpoRevoked,
    DpoVaried,
    DpoWarningDelivered,
    DpoWarningNotDelivered,
)


@_handles(IssueDpoWarning, "T4.S1")
def _dpo_warning(s: CaseState, cmd: IssueDpoWarning, c: _Ctx) -> None:
    d = c.d
    _role(d, {Role.SRT_OFFICER}, "CMR-A13", "issue a DPO warning")
    d.require(
        s.dpo_referred,
        "CMR-R17",
        "The customer has not been referred for a DPO.",
        "Assess the travel pattern and make the DPO referral first.",
    )
    d.require(
        bool(cmd.tracking_id.strip()),
        "CMR-R17",
        "The DPO warning must go by a tracked article, so its delivery can be confirmed.",
        "Record the Australia Post tracking id.",
    )
    paused = s.paused_debts()
    debt_ids = (
        _debts_known(d, s, cmd.debt_ids)
        if cmd.debt_ids
        else tuple(i for i in s.debt_ids if i not in paused)
    )
    d.require(
        bool(debt_ids),
        "X-R1",
        "Recovery of every debt on the case is paused, so no DPO warning may be issued.",
        "Wait until a pause is resumed.",
    )
    _enforcement(d, s, debt_ids, "issue a DPO warning")
    _issue_letter(
        c,
        s,
        cmd,
        "Q190",
        "DPO_WARNING",
        c.config.dpo_warning_response,
        garnishee_warning=True,
        debt_ids=debt_ids,
    )


@_handles(ConfirmDpoWarningDelivery, "T4.S2")
def _dpo_delivery(s: CaseState, cmd: ConfirmDpoWarningDelivery, c: _Ctx) -> None:
    d = c.d
    _role(d, {Role.SRT_OFFICER}, "CMR-A13", "confirm a DPO warning's delivery")
    letter = s.letter(cmd.letter_id)
    warning = d.required(
        letter if letter is not None and letter.purpose == "DPO_WARNING" else None,
        "CMR-R17",
        f"No DPO warning {cmd.letter_id} has been issued.",
        "Issue the DPO warning first.",
    )
    check_from = add_days(
        warning.issued_on, c.config.dpo_delivery_check_after, c.calendar.public_holidays
    )
    d.require(
        c.today >= check_from,
        "CMR-R17",
        f"Delivery is confirmed after {c.config.dpo_delivery_check_after.days} days, on or after "
        f"{check_from.isoformat()}.",
        "Hold the No Arrangement activity and check the tracking then.",
    )
    fields: dict[str, Any] = {
        "letter_id": warning.letter_id,
        "tracking_id": warning.tracking_id,
        "checked_on": c.today,
    }
    if cmd.delivered:
        d.emit(DpoWarningDelivered, **fields)
    else:
        d.emit(DpoWarningNotDelivered, tracking_status=cmd.tracking_status, **fields)


def _delegate(c: _Ctx, doing: str) -> None:
    _role(c.d, c.config.dpo_delegate_roles, "CMR-R17", doing)
    _reasons(c.d, "CMR-A8", doing)


@_handles(MakeDpo, "T4", case_team=False)
def _make_dpo(s: CaseState, cmd: MakeDpo, c: _Ctx) -> None:
    d = c.d
    _delegate(c, "make a DPO")
    ids = _debts_known(d, s, cmd.debt_ids)
    latest = s.dpo_warning()
    warning = d.required(
        latest
        if s.travel_pattern_found and latest is not None and latest.delivered is True
        else None,
        "CMR-R17",
        "A DPO needs an identified travel pattern and a DPO warning whose delivery is confirmed.",
        "Issue the DPO warning and confirm its delivery first.",
    )
    d.require(
        c.today > warning.respond_by,
        "CMR-R17",
        f"The customer has until {warning.respond_by.isoformat()} to respond to the DPO warning.",
        "Wait for the response period to end.",
    )
    d.require(
        s.arrangement is None,
        "CMR-R17",
        "A satisfactory arrangement is in place, so a DPO is not desirable.",
        "Manage the arrangement instead.",
    )
    d.require(not s.dpo_active, "CMR-A1", "A DPO is already in force.", "Vary it instead.")
    _enforcement(d, s, ids, "make a DPO")
    d.emit(
        DpoMade,
        dpo_id=cmd.dpo_id,
        debt_ids=ids,
        considerations=cmd.considerations,
        made_on=c.today,
    )


def _active_dpo(c: _Ctx, s: CaseState, dpo_id: str) -> None:
    c.d.require(
        s.dpo_active and s.dpo_id == dpo_id,
        "CMR-A1",
        f"No DPO {dpo_id} is in force.",
        "Check the DPO id.",
    )


@_handles(NotifyDpo, "T4", case_team=False)
def _notify_dpo(s: CaseState, cmd: NotifyDpo, c: _Ctx) -> None:
    _role(c.d, c.config.dpo_delegate_roles | {Role.SRT_OFFICER}, "CMR-R17", "notify a DPO")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.require(
        "CUSTOMER" in cmd.recipients
        and (cmd.australian_citizen or "HOME_AFFAIRS" in cmd.recipients),
        "CMR-R17",
        "The person must be notified, and Home Affairs sent a copy unless the person is an "
        "Australian citizen (SSAct s.1242).",
        "Add the missing recipients (CUSTOMER, HOME_AFFAIRS).",
    )
    c.d.emit(DpoNotified, dpo_id=cmd.dpo_id, recipients=cmd.recipients)


@_handles(VaryDpo, "T4", case_team=False)
def _vary_dpo(s: CaseState, cmd: VaryDpo, c: _Ctx) -> None:
    _delegate(c, "vary a DPO")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.emit(DpoVaried, dpo_id=cmd.dpo_id, variation=cmd.variation)


@_handles(RevokeDpo, "T4", case_team=False)
def _revoke_dpo(s: CaseState, cmd: RevokeDpo, c: _Ctx) -> None:
    _delegate(c, "revoke a DPO")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.emit(DpoRevoked, dpo_id=cmd.dpo_id, ground=cmd.ground)


@_handles(DecideDac, "T4", case_team=False)
def _dac(s: CaseState, cmd: DecideDac, c: _Ctx) -> None:
    _delegate(c, "decide a departure authorisation certificate")
    _active_dpo(c, s, cmd.dpo_id)
    c.d.require(
        cmd.returns_by > cmd.departs_on,
        "CMR-A2",
        "The return date is not after the departure date.",
        "Give the travel dates.",
    )
    if cmd.grant:
        c.d.emit(DacIssued, dpo_id=cmd.dpo_id, departs_on=cmd.departs_on, returns_by=cmd.returns_by)
    else:
        c.d.emit(DacRefused, dpo_id=cmd.dpo_id)
