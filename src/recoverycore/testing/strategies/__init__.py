"""Hypothesis strategies and stateful test bases for the Managed Service Plan and the case.

Needs `Hypothesis <https://hypothesis.readthedocs.io>`_, which is a development dependency of
recoverycore, not a runtime one: importing this module without it raises ``ImportError``.
:mod:`recoverycore.testing` (builders, given/when/then) does not need it.

What is here:

* Values: :func:`aware_datetimes`, :func:`actors`, :func:`reasons`, :func:`incident_refs`,
  :func:`behaviours`, :func:`restrictions`, :func:`contact_points`, :func:`customer_contacts`,
  :func:`multi_record_checks`. Importing the module also registers strategies for
  :class:`~recoverycore.Actor` and the MSP value objects, so ``st.from_type(Actor)`` works.
* Commands: one strategy per MSP command type, named after it (:func:`record_msp_commands`,
  :func:`approve_msp_commands`, ... :func:`add_msp_note_commands`; all in
  :data:`COMMAND_STRATEGIES`; :func:`command_strategy` takes the type) and :func:`commands`, any
  of them. Each takes the plan id and the ``now`` the command will be decided at. Fields are
  drawn from small pools of realistic values, mostly legal and sometimes not, so random commands
  are accepted often enough to move a plan along and refused often enough to exercise every
  rule. :func:`progressing_commands` and :func:`closing_commands` draw commands that are (nearly
  always) legal for a given state.
* Events: :func:`msp_events` (every type of ``MSP_EVENT_TYPES``, with arbitrary valid field
  values) and :func:`events_of_type`.
* Histories: :func:`histories`, legal histories made by deciding random commands on a recorded
  plan and keeping the accepted ones (:class:`History`).
* The case: :func:`case_commands` (any case command for a case id and a time, from the
  defaults of :class:`~recoverycore.testing.CaseBuilder` with the officer, time, reasons and
  choices sometimes redrawn), :func:`case_histories` (legal histories: one of the builder's
  histories, then random accepted commands; :class:`CaseHistory`), and
  :class:`CaseStateMachine`, which drives one case (:data:`CASE_ID`) through random legal and
  illegal commands and guided paths, checking the procedure's safeguards as invariants over the
  event log (:class:`CaseInvariants`). :func:`events_of_type` also draws case events.
* Hostile input (:mod:`~recoverycore.testing.strategies.adversarial`):
  :func:`adversarial_text` (controls, lone surrogates, bidirectional and invisible characters
  mixed into ordinary text), :func:`exotic_clean_text` (legitimate text that must round-trip),
  :func:`oversized_text`, :func:`extreme_datetimes`, :func:`extreme_dates`,
  :func:`extreme_decimals`, :func:`extreme_integers` and :func:`hostile_characters`.
* :class:`MspStateMachine`, a ``RuleBasedStateMachine`` that drives one plan through random
  legal and illegal commands and checks ``decide`` against a naive model (:class:`MspModel`).
  Subclass it to add rules and invariants of your own::

      from hypothesis import strategies as st
      from hypothesis.stateful import rule
      from recoverycore.msp import MspConfig
      from recoverycore.testing.strategies import MspStateMachine, add_msp_note_commands

      class MyPlanMachine(MspStateMachine):
          config = MspConfig(letter_policy="V1")

          @rule(data=st.data())
          def my_note(self, data: st.DataObject) -> None:
              self.execute(data.draw(add_msp_note_commands(self.plan_id, now=self.now)))

          def extra_invariants(self) -> None:
              assert self.model.notes == (self.state.notes if self.state else 0)

      TestMyPlan = MyPlanMachine.TestCase
"""

from __future__ import annotations

from hypothesis import strategies as st

from recoverycore.events import Actor
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MultiRecordCheck,
    Restriction,
)
from recoverycore.testing.strategies.adversarial import (
    BIDI_CONTROLS,
    CONTROL_CHARACTERS,
    INVISIBLE_CHARACTERS,
    adversarial_text,
    exotic_clean_text,
    extreme_dates,
    extreme_datetimes,
    extreme_decimals,
    extreme_integers,
    hostile_characters,
    oversized_text,
)
from recoverycore.testing.strategies.cmr_commands import CASE_COMMAND_TYPES, case_commands
from recoverycore.testing.strategies.cmr_histories import (
    CASE_PATHS,
    CaseHistory,
    CaseStep,
    case_histories,
)
from recoverycore.testing.strategies.cmr_invariants import CaseInvariants
from recoverycore.testing.strategies.cmr_machine import CaseLifecycle, CaseStateMachine
from recoverycore.testing.strategies.cmr_values import CASE_ACTORS, CASE_ID
from recoverycore.testing.strategies.customer import (
    CustomerHistory,
    customer_commands,
    customer_histories,
)
from recoverycore.testing.strategies.events import _models, events_of_type, msp_events
from recoverycore.testing.strategies.histories import History, Step, histories
from recoverycore.testing.strategies.msp_commands import (
    COMMAND_STRATEGIES,
    CommandStrategy,
    add_msp_note_commands,
    approve_msp_commands,
    attach_final_letter_commands,
    clear_vulnerability_flag_commands,
    command_strategy,
    commands,
    complete_review_commands,
    expire_msp_commands,
    grant_one_off_variation_commands,
    invite_customer_to_review_commands,
    issue_contact_card_commands,
    link_incident_commands,
    record_customer_informed_commands,
    record_decision_not_to_contact_directly_commands,
    record_letter_delivery_outcome_commands,
    record_msp_commands,
    record_notification_call_attempt_commands,
    record_police_hand_delivery_commands,
    record_representative_contact_commands,
    record_vulnerability_flag_commands,
    reject_msp_commands,
    send_behaviour_warning_commands,
    send_msp_letter_commands,
    send_msp_sms_commands,
    send_restriction_reminder_commands,
    withdraw_msp_commands,
)
from recoverycore.testing.strategies.msp_machine import MspStateMachine
from recoverycore.testing.strategies.msp_model import Expected, MspModel
from recoverycore.testing.strategies.msp_progress import closing_commands, progressing_commands
from recoverycore.testing.strategies.values import (
    BRIEF_REASONS,
    CONTACT_POINTS,
    FACTUAL_DESCRIPTIONS,
    JUSTIFYING_REASONS,
    LETTER_IDS,
    STAFF_IDS,
    TIME_ZONES,
    TRACKING_IDS,
    VAGUE_DESCRIPTIONS,
    actors,
    aware_datetimes,
    behaviours,
    contact_points,
    customer_contacts,
    incident_refs,
    multi_record_checks,
    reasons,
    restrictions,
)

__all__ = [
    "BIDI_CONTROLS",
    "BRIEF_REASONS",
    "CASE_ACTORS",
    "CASE_COMMAND_TYPES",
    "CASE_ID",
    "CASE_PATHS",
    "COMMAND_STRATEGIES",
    "CONTACT_POINTS",
    "CONTROL_CHARACTERS",
    "FACTUAL_DESCRIPTIONS",
    "INVISIBLE_CHARACTERS",
    "JUSTIFYING_REASONS",
    "LETTER_IDS",
    "STAFF_IDS",
    "TIME_ZONES",
    "TRACKING_IDS",
    "VAGUE_DESCRIPTIONS",
    "CaseHistory",
    "CaseInvariants",
    "CaseLifecycle",
    "CaseStateMachine",
    "CaseStep",
    "CommandStrategy",
    "CustomerHistory",
    "Expected",
    "History",
    "MspModel",
    "MspStateMachine",
    "Step",
    "actors",
    "add_msp_note_commands",
    "adversarial_text",
    "approve_msp_commands",
    "attach_final_letter_commands",
    "aware_datetimes",
    "behaviours",
    "case_commands",
    "case_histories",
    "clear_vulnerability_flag_commands",
    "closing_commands",
    "command_strategy",
    "commands",
    "complete_review_commands",
    "contact_points",
    "customer_commands",
    "customer_contacts",
    "customer_histories",
    "events_of_type",
    "exotic_clean_text",
    "expire_msp_commands",
    "extreme_dates",
    "extreme_datetimes",
    "extreme_decimals",
    "extreme_integers",
    "grant_one_off_variation_commands",
    "histories",
    "hostile_characters",
    "incident_refs",
    "invite_customer_to_review_commands",
    "issue_contact_card_commands",
    "link_incident_commands",
    "msp_events",
    "multi_record_checks",
    "oversized_text",
    "progressing_commands",
    "reasons",
    "record_customer_informed_commands",
    "record_decision_not_to_contact_directly_commands",
    "record_letter_delivery_outcome_commands",
    "record_msp_commands",
    "record_notification_call_attempt_commands",
    "record_police_hand_delivery_commands",
    "record_representative_contact_commands",
    "record_vulnerability_flag_commands",
    "reject_msp_commands",
    "restrictions",
    "send_behaviour_warning_commands",
    "send_msp_letter_commands",
    "send_msp_sms_commands",
    "send_restriction_reminder_commands",
    "withdraw_msp_commands",
]

for _value_type in (
    IncidentRef,
    Behaviour,
    Restriction,
    ContactPoint,
    CustomerContactDetails,
    MultiRecordCheck,
):
    st.register_type_strategy(_value_type, _models(_value_type, aware_datetimes()))
st.register_type_strategy(Actor, actors(staff_ids=None))
