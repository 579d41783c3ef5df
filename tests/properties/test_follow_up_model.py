"""For any sequence of case events and clock ticks, the follow-up ledger agrees with a naive model.

The model is written here from the procedure's words for three timers, independently of the
policy's rule table: the Q190 'final option' review (15 days, ended by the customer's response),
the garnishee approval hold (5 days, ended by the OL's decision on that garnishee) and the
callback (due on the agreed date, ended by the next discussion or arrangement). Closing the case
cancels whatever is open. Ticks make due whatever has passed its due time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from recoverycore.events import Actor, Role
from recoverycore.events import cmr as ev
from recoverycore.events.follow_ups import (
    FollowUpCancelled,
    FollowUpCompleted,
    FollowUpDue,
    FollowUpEvent,
    FollowUpScheduled,
)
from recoverycore.policies import follow_ups as fu

SYDNEY = ZoneInfo("Australia/Sydney")
CASE = UUID("00000000-0000-4000-8000-00000000f011")
CM = Actor(staff_id="CM-1", role=Role.CASE_MANAGER, aps_level="APS5", team="SRT")
MODELLED = {"Q190_RESPONSE_REVIEW", "GARNISHEE_APPROVAL", "CALLBACK"}
RESPONSES = ("discussed", "agreed", "refused", "callback")


# -- the naive model ------------------------------------------------------------------------------
@dataclass
class Item:
    kind: str
    scope: str
    due_at: datetime
    status: str = "SCHEDULED"


@dataclass
class Model:
    items: dict[tuple[str, int], Item] = field(default_factory=dict)

    def open(self) -> list[Item]:
        return [i for i in self.items.values() if i.status in ("SCHEDULED", "DUE")]

    @staticmethod
    def awaited(item: Item, what: str, arg: Any) -> bool:
        """Whether ``what`` is what ``item`` waits for."""
        if item.kind == "Q190_RESPONSE_REVIEW":
            return what in RESPONSES
        if item.kind == "CALLBACK":
            return what in ("discussed", "agreed", "refused")
        return what == "decided" and arg == item.scope

    def on(self, step: int, what: str, at: datetime, arg: Any) -> None:
        for item in self.open():
            if what == "closed":
                item.status = "CANCELLED"
            elif self.awaited(item, what, arg):
                item.status = "COMPLETED"
        if what == "q190":
            review = Item("Q190_RESPONSE_REVIEW", "", at + timedelta(days=15))
            self.items[("Q190_RESPONSE_REVIEW", step)] = review
        elif what == "submitted":
            self.items[("GARNISHEE_APPROVAL", step)] = Item(
                "GARNISHEE_APPROVAL", arg, at + timedelta(days=5)
            )
        elif what == "callback":
            due = datetime.combine(arg, time(9, 0), tzinfo=at.tzinfo)
            self.items[("CALLBACK", step)] = Item("CALLBACK", "", due)

    def tick(self, now: datetime) -> None:
        for item in self.items.values():
            if item.status == "SCHEDULED" and item.due_at <= now:
                item.status = "DUE"


# -- events, built directly -----------------------------------------------------------------------
def _event(cls: type[ev.CaseEvent], version: int, at: datetime, **fields: Any) -> ev.CaseEvent:
    return cls(
        originator_id=CASE,
        originator_version=version,
        occurred_at=at,
        recorded_at=at,
        actor=CM,
        procedure_ref="107-20112320",
        **fields,
    )


def build(what: str, version: int, at: datetime, arg: Any) -> ev.CaseEvent:
    if what == "q190":
        return _event(
            ev.LetterIssued,
            version,
            at,
            letter_id=f"Q190-{version}",
            code="Q190",
            purpose="FINAL_OPTION",
            address="1 Example St",
            address_confirmed=True,
            privacy_safeguarded=True,
            response_period=ev.DayCount(days=15),
            respond_by=at.date() + timedelta(days=15),
            counts_as_garnishee_warning=True,
        )
    if what == "discussed":
        return _event(
            ev.DebtDiscussed, version, at, direction="INBOUND", identity_confirmed=True, summary="x"
        )
    if what == "agreed":
        return _event(
            ev.ArrangementAgreed,
            version,
            at,
            kind="ACCEPTABLE",
            amount=Decimal(50),
            frequency="FORTNIGHTLY",
        )
    if what == "refused":
        return _event(ev.ArrangementRefused, version, at, detail="No.")
    if what == "callback":
        return _event(ev.CallbackAgreed, version, at, callback_on=arg)
    if what == "submitted":
        return _event(
            ev.GarnisheeSubmitted,
            version,
            at,
            garnishee_id=arg,
            garnishee_party="Bank",
            submission_doc_name="2026-03-02 - CITIZEN, Alex - Garnishee submission",
            submitted_to="OL-1",
        )
    if what == "decided":
        return _event(ev.GarnisheeApproved, version, at, garnishee_id=arg, self_approved=False)
    assert what == "closed"
    return _event(ev.CaseClosed, version, at, reason="OTHER", completed_steps=())


steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["q190", "discussed", "agreed", "refused", "callback", "closed"]
            + ["submitted", "decided"] * 3
            + ["tick"] * 3
        ),
        st.integers(0, 60 * 24 * 20),  # minutes that pass before the step
        st.sampled_from(["G1", "G2"]),
        st.integers(0, 20),  # callback in so many days
    ),
    max_size=25,
)


@given(steps=steps)
def test_the_ledger_agrees_with_the_naive_model(steps: list[tuple[str, int, str, int]]) -> None:
    model = Model()
    ledger: fu.FollowUpLedger | None = None
    recorded: list[FollowUpEvent] = []
    now = datetime(2026, 3, 2, 9, 0, tzinfo=SYDNEY)
    cause_step: dict[str, int] = {}
    version = 0
    for step, (what, minutes, garnishee, callback_days) in enumerate(steps):
        now += timedelta(minutes=minutes)
        if what == "tick":
            new = fu.tick(ledger, now)
            model.tick(now)
        else:
            version += 1
            arg: Any = garnishee
            if what == "callback":
                arg = now.date() + timedelta(days=callback_days)
            event = build(what, version, now, arg)
            cause_step[str(event.event_id)] = step
            new = fu.react(ledger, event)
            model.on(step, what, now, arg)
            # Exactly once: the same event delivered again changes nothing.
            assert fu.react(fu.fold(new, ledger), event) == [] or what == "closed"
        ledger = fu.fold(new, ledger)
        recorded.extend(new)

    # Compared as instants: the ledger keeps fixed offsets, the model the zone.
    assert statuses(recorded, cause_step) == {
        key: (item.status, item.due_at.astimezone(UTC)) for key, item in model.items.items()
    }


def statuses(
    recorded: list[FollowUpEvent], cause_step: dict[str, int]
) -> dict[tuple[str, int], tuple[str, datetime]]:
    found: dict[str, tuple[str, int]] = {}
    result: dict[tuple[str, int], tuple[str, datetime]] = {}
    for event in recorded:
        if isinstance(event, FollowUpScheduled) and event.kind in MODELLED:
            key = (event.kind, cause_step[event.caused_by])
            found[event.follow_up_id] = key
            result[key] = ("SCHEDULED", event.due_at.astimezone(UTC))
        elif event.follow_up_id in found:
            key = found[event.follow_up_id]
            status = {
                FollowUpDue: "DUE",
                FollowUpCompleted: "COMPLETED",
                FollowUpCancelled: "CANCELLED",
            }[type(event)]
            result[key] = (status, result[key][1])
    return result
