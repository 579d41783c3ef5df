"""The customer record as a :class:`~recoverycore.aggregates.Decider` value (``CUSTOMER``)."""

from __future__ import annotations

from recoverycore.aggregates._decider import DecideContext, Decider
from recoverycore.aggregates.customer._decide import decide
from recoverycore.aggregates.customer._evolve import evolve
from recoverycore.aggregates.customer.commands import CustomerCommand
from recoverycore.aggregates.customer.state import CustomerConfig, CustomerState
from recoverycore.events.customer import CUSTOMER_EVENT_TYPES, CustomerEvent, plain_customer_id

__all__ = ["CUSTOMER"]


def _decide_customer(
    state: CustomerState | None, command: CustomerCommand, context: DecideContext[CustomerConfig]
) -> list[CustomerEvent]:
    customer_id = (
        state.id if state is not None else context.aggregate_id or plain_customer_id(command.crn)
    )
    return decide(
        state,
        command,
        customer_id=customer_id,
        now=context.now,
        config=context.config,
        internal=context.internal,
    )


CUSTOMER: Decider[CustomerState, CustomerCommand, CustomerEvent, CustomerConfig] = Decider(
    kind="Customer",
    noun="customer",
    command_type=CustomerCommand,
    state_type=CustomerState,
    event_type=CustomerEvent,
    event_types=CUSTOMER_EVENT_TYPES,
    config_type=CustomerConfig,
    id_of=lambda command: plain_customer_id(command.crn),
    decide=_decide_customer,
    evolve=evolve,
    flag_command=lambda _state, _request: None,
    flags_in_force=lambda state: tuple(f.kind for f in state.flags),
)
"""The customer record as a Decider. Its id is the customer's record id: found by the
application from the CRN (random where personal data is protected; ``id_of`` gives the id a
store that keeps personal data plain uses)."""
