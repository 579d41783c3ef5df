"""recoverycore: rule-checked, event-sourced records of two government case-management procedures.

* **Managed Service Plans** (procedure 104-07050030, *Managed Service Plan - Implementing*) and
  **case managed debt recovery**, each an aggregate described by a
  :class:`~recoverycore.aggregates.Decider` (:data:`recoverycore.aggregates.DECIDERS`). Their
  commands, states, configurations and events are in the namespaces :mod:`recoverycore.msp`
  (``recoverycore.msp.ApproveMsp``) and :mod:`recoverycore.cmr` (``recoverycore.cmr.AllocateCase``).
* :class:`RecoveryApp` checks each command against the procedure's rules and records its events
  (SQLite, PostgreSQL or in memory); refusals are typed errors naming the rule.
* The follow-up and safeguard policies (:mod:`recoverycore.application`) react to what is
  recorded: reviews falling due, safety flags carried to a customer's other records.
* :class:`ReadModels` keeps the workload, audit and compliance views
  (:mod:`recoverycore.projections`) and answers their questions, including a plan's or case's
  state as of any past time or version.
* :func:`verify` checks that every stored history is the one recorded (each event is sealed in
  its aggregate's hash chain); :func:`forget` erases a customer's personal data, which is stored
  encrypted under their own key.
* :data:`CATALOGUE` lists every rule, its text and source step.
* :mod:`recoverycore.testing` has builders, given/when/then and (in
  :mod:`recoverycore.testing.strategies`) Hypothesis strategies and state machines for both
  aggregates.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from recoverycore import cmr, msp
from recoverycore._version import __version__
from recoverycore.aggregates import DECIDERS, ROLE_TABLE, Command, RoleRow, role_rows
from recoverycore.application import (
    AuditReport,
    Clock,
    Finding,
    Forgotten,
    ReadModels,
    RecoveryApp,
    SimulatedClock,
    StateAsOf,
    SystemClock,
    VerifyResult,
    forget,
    verify,
)
from recoverycore.errors import (
    AggregateIdInUse,
    AggregateNotFound,
    ConcurrentUpdateError,
    ForgetIncomplete,
    InvalidCommand,
    KeyStoreMissing,
    PersonalDataErased,
    RecoveryCoreError,
    RuleViolation,
    StoreBusy,
    StoreNotFound,
    UnknownCommand,
    UnreadableEvent,
)
from recoverycore.events import Actor, DomainEvent, Role
from recoverycore.rules import CATALOGUE, Rule

__all__ = [
    "CATALOGUE",
    "DECIDERS",
    "ROLE_TABLE",
    "Actor",
    "AggregateIdInUse",
    "AggregateNotFound",
    "AuditReport",
    "Clock",
    "Command",
    "ConcurrentUpdateError",
    "DomainEvent",
    "Finding",
    "ForgetIncomplete",
    "Forgotten",
    "InvalidCommand",
    "KeyStoreMissing",
    "PersonalDataErased",
    "ReadModels",
    "RecoveryApp",
    "RecoveryCoreError",
    "Role",
    "RoleRow",
    "Rule",
    "RuleViolation",
    "SimulatedClock",
    "StateAsOf",
    "StoreBusy",
    "StoreNotFound",
    "SystemClock",
    "UnknownCommand",
    "UnreadableEvent",
    "VerifyResult",
    "__version__",
    "cmr",
    "forget",
    "msp",
    "role_rows",
    "verify",
]

_DEPRECATED_MSP_NAMES = frozenset(
    {
        "AddMspNote",
        "ApproveMsp",
        "AttachFinalLetter",
        "ClearVulnerabilityFlag",
        "CompleteReview",
        "ExpireMsp",
        "GrantOneOffVariation",
        "InviteCustomerToReview",
        "IssueContactCard",
        "LinkIncident",
        "MspCommand",
        "MspConfig",
        "MspState",
        "RecordCustomerInformed",
        "RecordDecisionNotToContactDirectly",
        "RecordLetterDeliveryOutcome",
        "RecordMsp",
        "RecordNotificationCallAttempt",
        "RecordPoliceHandDelivery",
        "RecordRepresentativeContact",
        "RecordVulnerabilityFlag",
        "RejectMsp",
        "SendBehaviourWarning",
        "SendMspLetter",
        "SendMspSms",
        "SendRestrictionReminder",
        "WithdrawMsp",
    }
)
"""The MSP names the face exported before 0.2 (``recoverycore.ApproveMsp``): still served, with
a DeprecationWarning, for one release. Use ``recoverycore.msp.<Name>``."""


if not TYPE_CHECKING:  # type checkers see only the face, so a misspelt name stays an error

    def __getattr__(name: str) -> Any:
        if name in _DEPRECATED_MSP_NAMES:
            warnings.warn(
                f"recoverycore.{name} is deprecated; use recoverycore.msp.{name} "
                "(recoverycore.cmr has the case commands)",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(msp, name)
        raise AttributeError(f"module 'recoverycore' has no attribute {name!r}")
