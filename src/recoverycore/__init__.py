"""recoverycore: rule-checked, event-sourced records of two government case-management procedures.

* Managed Service Plans (procedure 104-07050030) as the ``ManagedServicePlan`` aggregate:
  commands in :mod:`recoverycore.aggregates.msp`, events in :mod:`recoverycore.events.msp`.
* :class:`RecoveryApp` records them (SQLite, PostgreSQL or in memory) and reads them back.
* :class:`ReadModels` keeps the workload, audit and compliance views
  (:mod:`recoverycore.projections`) and answers their questions, including a plan's or case's
  state as of any past time or version.
* :func:`verify` checks that every stored history is the one recorded (each event is sealed in
  its aggregate's hash chain); :func:`forget` erases a customer's personal data, which is stored
  encrypted under their own key (:mod:`recoverycore.application.forget`).
* :data:`recoverycore.rules.CATALOGUE` lists every rule, its text and source step.
* :mod:`recoverycore.testing` has builders, given/when/then and Hypothesis strategies.
"""

from recoverycore._version import __version__
from recoverycore.aggregates._decider import Command
from recoverycore.aggregates.msp import (
    AddMspNote,
    ApproveMsp,
    AttachFinalLetter,
    ClearVulnerabilityFlag,
    CompleteReview,
    ExpireMsp,
    GrantOneOffVariation,
    InviteCustomerToReview,
    IssueContactCard,
    LinkIncident,
    MspCommand,
    MspConfig,
    MspState,
    RecordCustomerInformed,
    RecordDecisionNotToContactDirectly,
    RecordLetterDeliveryOutcome,
    RecordMsp,
    RecordNotificationCallAttempt,
    RecordPoliceHandDelivery,
    RecordRepresentativeContact,
    RecordVulnerabilityFlag,
    RejectMsp,
    SendBehaviourWarning,
    SendMspLetter,
    SendMspSms,
    SendRestrictionReminder,
    WithdrawMsp,
)
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
    AggregateNotFound,
    ConcurrentUpdateError,
    PersonalDataErased,
    RecoveryCoreError,
    RuleViolation,
)
from recoverycore.events._envelope import Actor, DomainEvent, Role
from recoverycore.rules import CATALOGUE, Rule

__all__ = [
    "CATALOGUE",
    "Actor",
    "AddMspNote",
    "AggregateNotFound",
    "ApproveMsp",
    "AttachFinalLetter",
    "AuditReport",
    "ClearVulnerabilityFlag",
    "Clock",
    "Command",
    "CompleteReview",
    "ConcurrentUpdateError",
    "DomainEvent",
    "ExpireMsp",
    "Finding",
    "Forgotten",
    "GrantOneOffVariation",
    "InviteCustomerToReview",
    "IssueContactCard",
    "LinkIncident",
    "MspCommand",
    "MspConfig",
    "MspState",
    "PersonalDataErased",
    "ReadModels",
    "RecordCustomerInformed",
    "RecordDecisionNotToContactDirectly",
    "RecordLetterDeliveryOutcome",
    "RecordMsp",
    "RecordNotificationCallAttempt",
    "RecordPoliceHandDelivery",
    "RecordRepresentativeContact",
    "RecordVulnerabilityFlag",
    "RecoveryApp",
    "RecoveryCoreError",
    "RejectMsp",
    "Role",
    "Rule",
    "RuleViolation",
    "SendBehaviourWarning",
    "SendMspLetter",
    "SendMspSms",
    "SendRestrictionReminder",
    "SimulatedClock",
    "StateAsOf",
    "SystemClock",
    "VerifyResult",
    "WithdrawMsp",
    "__version__",
    "forget",
    "verify",
]
