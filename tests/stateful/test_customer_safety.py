"""Safety follows the person (issue 13): a Hypothesis state machine interleaves plan, case and
customer-record commands for one customer through ``RecoveryApp`` and checks, over everything
recorded so far, in the order it was recorded:

* no SMS is recorded on any record (an MSP SMS, a pre-call SMS, a contact attempt by SMS) while
  the customer has a suicide or self-harm flag in force, and
* no recovery phone call, voicemail or visit is recorded on a case, by anyone but the MSP's
  OMC/PSSO, while a plan restricting the customer to writing is in force.

The flags, the restrictions and the records are created in any order; the checks read only the
recorded events (the customer's record is folded as it stood at each event), not the model the
machine keeps to choose its next command.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import structlog
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from recoverycore import RecoveryApp, RuleViolation, SimulatedClock, msp
from recoverycore.aggregates import CUSTOMER
from recoverycore.aggregates.customer import CustomerState
from recoverycore.events import DomainEvent
from recoverycore.events.cmr import ContactAttempted, PreCallSmsSent
from recoverycore.events.customer import CustomerEvent
from recoverycore.events.msp import MspSmsSent, Restriction
from recoverycore.testing import CaseBuilder, MspBuilder, case_builder, customer_builder
from recoverycore.testing import msp_builder as new_plan

CRN = "311 204 557J"
SMS_EVENTS = (MspSmsSent, PreCallSmsSent)
CALL_CHANNELS = frozenset({"PHONE", "VOICEMAIL", "FACE_TO_FACE"})


class CustomerSafetyMachine(RuleBasedStateMachine):
    """One customer, their plans, their (one open) case and their record, in any order."""

    def __init__(self) -> None:
        super().__init__()
        self.case = case_builder(case_id=uuid4(), sms_subscribed=True)
        self.clock = SimulatedClock(self.case.day(0, 9, 0))
        self.app = RecoveryApp.in_memory(clock=self.clock)
        self.customer = customer_builder(CRN)
        self.plans: list[MspBuilder] = []
        self.cases: list[CaseBuilder] = []
        self.flags = 0

    def teardown(self) -> None:
        self.app.close()
        structlog.reset_defaults()

    def handle(self, command: Any) -> list[DomainEvent]:
        try:
            return list(self.app.handle(command))
        except RuleViolation:
            return []

    # -- time ----------------------------------------------------------------------------------
    @rule(hours=st.integers(min_value=1, max_value=30))
    def time_passes(self, hours: int) -> None:
        self.clock.now = self.clock.now + timedelta(hours=hours)
        # Contact hours: keep the working day (10:00-17:00) most of the time.
        local = self.clock.now
        if local.hour < 10 or local.hour > 17:
            self.clock.now = local.replace(hour=10, minute=5) + timedelta(days=1)

    # -- records ---------------------------------------------------------------------------------
    @rule(write_only=st.booleans())
    def record_and_approve_a_plan(self, write_only: bool) -> None:
        restrictions = (Restriction(kind="WRITE_ONLY"),) if write_only else ()
        plan = new_plan(plan_id=uuid4(), restrictions=restrictions)
        start = self.clock.now.date()
        if self.handle(plan.record(crn=CRN, start_date=start, end_date=start + timedelta(days=90))):
            self.plans.append(plan)
            self.handle(plan.approve())

    @precondition(lambda self: len(self.cases) < 3)
    @rule()
    def allocate_a_case(self) -> None:
        b = case_builder(case_id=uuid4(), sms_subscribed=True)
        if self.handle(b.allocate(crn=CRN)):
            self.cases.append(b)
            for command in (
                b.assess_suitability(),
                b.create_doa_doc(),
                b.apply_actor_relationship(),
                b.create_case_file(),
            ):
                self.handle(command)

    # -- flags, anywhere ---------------------------------------------------------------------------
    @rule(kind=st.sampled_from(["SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "HARDSHIP"]))
    def flag_on_the_customer(self, kind: str) -> None:
        self.flags += 1
        self.handle(self.customer.flag(flag_id=f"F-{self.flags}", kind=kind))

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def flag_on_a_case(self, data: st.DataObject) -> None:
        b = data.draw(st.sampled_from(self.cases))
        self.flags += 1
        self.handle(b.flag(flag_id=f"C-{self.flags}"))

    @precondition(lambda self: self.plans)
    @rule(data=st.data())
    def flag_on_a_plan(self, data: st.DataObject) -> None:
        plan = data.draw(st.sampled_from(self.plans))
        self.handle(
            plan.command(msp.RecordVulnerabilityFlag, flag="SUICIDE_SELF_HARM", source="A call")
        )

    @rule(data=st.data())
    def clear_a_flag(self, data: st.DataObject) -> None:
        record = self.app.customer(CRN)
        if record is None or not record.flags:
            return
        flag = data.draw(st.sampled_from(record.flags))
        self.handle(self.customer.clear(flag_id=flag.flag_id))

    @precondition(lambda self: self.cases)
    @rule(data=st.data())
    def clear_a_flag_on_a_case(self, data: st.DataObject) -> None:
        b = data.draw(st.sampled_from(self.cases))
        flags = self.app.case(b.case_id).flags
        if flags:
            self.handle(b.clear_flag(flag_id=data.draw(st.sampled_from(flags)).flag_id))

    # -- contact ---------------------------------------------------------------------------------
    @precondition(lambda self: self.plans)
    @rule(data=st.data())
    def send_an_msp_sms(self, data: st.DataObject) -> None:
        self.handle(data.draw(st.sampled_from(self.plans)).sms())

    @precondition(lambda self: self.cases)
    @rule(data=st.data(), channel=st.sampled_from(["PHONE", "SMS", "VOICEMAIL"]))
    def contact_the_customer(self, data: st.DataObject, channel: str) -> None:
        b = data.draw(st.sampled_from(self.cases))
        self.handle(b.pre_call_sms())
        self.handle(b.contact_attempt(channel=channel, outcome="NO_ANSWER"))

    # -- what was recorded ---------------------------------------------------------------------
    def recorded(self) -> list[DomainEvent]:
        recorder = self.app.recorder
        events: list[DomainEvent] = []
        start = 1
        while page := recorder.select_notifications(start=start, limit=500):
            events.extend(self.app.mapper.to_domain_event(n) for n in page)  # type: ignore[misc]
            start = page[-1].id + 1
        return events

    @invariant()
    def no_sms_while_a_suicide_flag_is_in_force_and_no_call_under_a_write_only_plan(self) -> None:
        customer: CustomerState | None = None
        for event in self.recorded():
            if isinstance(event, CustomerEvent):
                customer = CUSTOMER.evolve(customer, event)
                continue
            flags = customer.flag_kinds() if customer is not None else frozenset()
            is_sms = isinstance(event, SMS_EVENTS) or (
                isinstance(event, ContactAttempted) and event.channel == "SMS"
            )
            if is_sms:
                assert "SUICIDE_SELF_HARM" not in flags, f"SMS under a suicide flag: {event}"
            if isinstance(event, ContactAttempted) and event.channel in CALL_CHANNELS:
                day = event.occurred_at.date()
                for plan in customer.restrictions_on(day) if customer is not None else ():
                    kinds = {r.kind for r in plan.restrictions}
                    assert "WRITE_ONLY" not in kinds or event.actor.staff_id == (
                        plan.channel.staff_id
                    ), f"a recovery call to a write-only customer: {event}"


TestCustomerSafety = CustomerSafetyMachine.TestCase
