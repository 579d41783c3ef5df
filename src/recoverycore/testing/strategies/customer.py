"""Strategies for the customer record: any of its commands, and legal histories of it.

``customer_commands(crn)`` draws every customer command (legal or not: a flag id used twice,
a clearance by the wrong role, a location outside Australia) from officers of the roles that
work with customers; ``customer_histories()`` draws a record built by accepted commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from recoverycore.aggregates import CUSTOMER, DecideContext
from recoverycore.aggregates.customer import (
    ClearSafetyFlag,
    CustomerCommand,
    CustomerConfig,
    RecordCustomerLocation,
    RecordRepresentative,
    RecordSafetyFlag,
    RegisterCustomer,
    RemoveRepresentative,
    plain_customer_id,
)
from recoverycore.errors import RuleViolation
from recoverycore.events import DomainEvent, Role
from recoverycore.testing._shared import EPOCH, staff

__all__ = ["CustomerHistory", "customer_commands", "customer_histories"]

CRN = "311 204 557J"
_ROLES = (Role.CASE_MANAGER, Role.OMC, Role.SOCIAL_WORKER, Role.MSP_APPROVER, Role.DEBT_STAFF)
_KINDS = ("SUICIDE_SELF_HARM", "FDV_IMMEDIATE_THREAT", "FDV", "HARDSHIP", "DISASTER", "OTHER")
_STATES = ("ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA")


@dataclass(frozen=True)
class CustomerHistory:
    """A customer's record: its id, the events accepted commands recorded, and when."""

    customer_id: UUID
    events: tuple[DomainEvent, ...]
    now: datetime


def customer_commands(crn: str = CRN) -> SearchStrategy[CustomerCommand]:
    """Any customer command for ``crn`` (legal or not), by an officer of a drawn role."""
    actor = st.sampled_from(_ROLES).map(staff)
    flag_id = st.sampled_from(("F-1", "F-2", "F-3"))
    reasons = st.sampled_from(((), ("Assessed by the social worker: no current risk.",)))
    options: list[SearchStrategy[Any]] = [
        st.builds(RegisterCustomer, crn=st.just(crn), actor=actor),
        st.builds(
            RecordSafetyFlag,
            crn=st.just(crn),
            actor=actor,
            flag_id=flag_id,
            kind=st.sampled_from(_KINDS),
            source=st.just("Said so on a call"),
        ),
        st.builds(ClearSafetyFlag, crn=st.just(crn), actor=actor, flag_id=flag_id, reasons=reasons),
        st.builds(
            RecordRepresentative,
            crn=st.just(crn),
            actor=actor,
            representative_id=st.sampled_from(("R-1", "R-2")),
            kind=st.sampled_from(("POA", "NOMINEE", "PPE")),
            name=st.just("Jordan Lee"),
            contact_through=st.none() | st.booleans(),
        ),
        st.builds(
            RemoveRepresentative,
            crn=st.just(crn),
            actor=actor,
            representative_id=st.sampled_from(("R-1", "R-2")),
        ),
        st.builds(
            RecordCustomerLocation,
            crn=st.just(crn),
            actor=actor,
            state=st.sampled_from(_STATES),
            time_zone=st.none() | st.sampled_from(("Australia/Broken_Hill", "Europe/London")),
        ),
    ]
    return st.one_of(options)


@st.composite
def customer_histories(draw: st.DrawFn, max_steps: int = 8, crn: str = CRN) -> CustomerHistory:
    """A legal history of one customer's record: drawn commands, the accepted ones kept."""
    now = EPOCH
    state = None
    events: list[DomainEvent] = []
    customer_id = plain_customer_id(crn)
    context_config = CustomerConfig()
    for _ in range(draw(st.integers(min_value=1, max_value=max_steps))):
        now += timedelta(minutes=draw(st.integers(min_value=1, max_value=600)))
        command = draw(customer_commands(crn))
        try:
            new = CUSTOMER.decide(state, command, DecideContext(now=now, config=context_config))
        except RuleViolation:
            continue
        events.extend(new)
        state = CUSTOMER.fold(new, state)
    if not events:
        register = RegisterCustomer(crn=crn, actor=staff(Role.CASE_MANAGER))
        events = list(
            CUSTOMER.decide(None, register, DecideContext(now=now, config=context_config))
        )
    return CustomerHistory(customer_id, tuple(events), now)
