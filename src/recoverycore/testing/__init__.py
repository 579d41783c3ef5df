"""The public test kit: builders and given/when/then for plans and cases, and the assertions
every rule test makes.

Public and documented: downstream projects use it to test their own use of recoverycore.
It needs nothing beyond recoverycore's runtime dependencies.

Hypothesis strategies (values, one per command type, every event type, legal histories of plans
and cases) and two stateful test bases to extend with rules and invariants of your own,
:class:`~recoverycore.testing.strategies.MspStateMachine` and
:class:`~recoverycore.testing.strategies.CaseStateMachine`, are in
:mod:`recoverycore.testing.strategies`, which needs Hypothesis (a development dependency)::

    from recoverycore.testing.strategies import MspStateMachine, histories

    TestMyPlans = MspStateMachine.TestCase

Given/when/then works on the pure functions, without storage. A plan::

    from recoverycore.testing import assert_refused, given, msp_builder

    b = msp_builder()
    events = given(b.recorded(), b.approved()).when(b.call(outcome="NO_ANSWER"))
    assert [type(e).__name__ for e in events] == ["MspContactAttempted", "MspNoteAdded"]
    assert_refused(given(*b.approved_plan()), b.sms(reason_code="BECAUSE"), "MSP-R3")

Any aggregate, through its :class:`~recoverycore.aggregates.Decider` (``given_for``)::

    from recoverycore.aggregates import CASE, MSP
    from recoverycore.testing import given_for

    assert given_for(MSP, b.recorded(), b.approved()).state.status == "ACTIVE"

A case (the builder's histories move time on realistically; see :class:`CaseBuilder`)::

    from recoverycore.testing import assert_accepted, assert_refused, case_builder

    b = case_builder()
    [letter] = assert_accepted(b.contacted_without_answer(), b.q190(), "CMR-R5")
    assert_refused(b.onboarded(), b.add_document(name="referral.pdf"), "CMR-R2")
"""

from recoverycore.testing._shared import EPOCH, Deciding, assert_accepted, assert_refused, staff
from recoverycore.testing.cmr import (
    CASE_EPOCH,
    DEFAULT_BUILDERS,
    CaseBuilder,
    CaseCommandDefaults,
    CaseScenario,
    case_builder,
    case_staff,
    given_case,
)
from recoverycore.testing.customer import CustomerBuilder, customer_builder
from recoverycore.testing.decider import Given, given_for
from recoverycore.testing.msp import MspBuilder, Scenario, given, msp_builder

__all__ = [
    "CASE_EPOCH",
    "DEFAULT_BUILDERS",
    "EPOCH",
    "CaseBuilder",
    "CaseCommandDefaults",
    "CaseScenario",
    "CustomerBuilder",
    "Deciding",
    "Given",
    "MspBuilder",
    "Scenario",
    "assert_accepted",
    "assert_refused",
    "case_builder",
    "case_staff",
    "customer_builder",
    "given",
    "given_case",
    "given_for",
    "msp_builder",
    "staff",
]
