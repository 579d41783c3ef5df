"""The ManagedServicePlan aggregate: procedure 104-07050030, *Managed Service Plan - Implementing*.

Pure functions only: :func:`decide` checks a command against the rules and returns the events
to record (or raises :class:`~recoverycore.errors.RuleViolation`); :func:`evolve` folds one
recorded event into the state and never refuses one, so any stored history replays.

The rooms: :mod:`.commands`, :mod:`.state` (status, configuration, state), ``_decide`` (the
typed handler registry, the plan's lifecycle checks and ``decide`` on the shared skeleton), the
handlers by concern (:mod:`.recording`, :mod:`.notifying`, :mod:`.letters`, with the checks
they share in ``_checks``), ``_evolve`` (``evolve``, ``fold``, the typed state changes) and
:mod:`.decider` (``MSP``, the plan as a :class:`~recoverycore.aggregates.Decider`).

Snapshots name the state class ``recoverycore.aggregates.msp:MspState``, as they always have
(the Decider's ``state_topic``); that topic is registered with eventsourcing below, so it
resolves wherever the class lives.
"""

from eventsourcing.utils import register_topic

# The handler modules register their handlers with decide's registry when imported.
from recoverycore.aggregates.msp import letters, notifying, recording
from recoverycore.aggregates.msp._checks import CALL_CHECKLIST, required_delivery_method
from recoverycore.aggregates.msp._decide import decide
from recoverycore.aggregates.msp._evolve import evolve, fold
from recoverycore.aggregates.msp.commands import (
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
from recoverycore.aggregates.msp.decider import MSP
from recoverycore.aggregates.msp.notifying import SMS_REASONS
from recoverycore.aggregates.msp.state import (
    DEFAULT_CONFIG,
    IN_FORCE,
    TERMINAL,
    MspConfig,
    MspState,
    MspStatus,
)
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    CustomerContactDetails,
    IncidentRef,
    MultiRecordCheck,
    Restriction,
)

register_topic("recoverycore.aggregates.msp:MspState", MspState)

__all__ = [
    "CALL_CHECKLIST",
    "DEFAULT_CONFIG",
    "IN_FORCE",
    "MSP",
    "SMS_REASONS",
    "TERMINAL",
    "AddMspNote",
    "ApproveMsp",
    "AttachFinalLetter",
    "Behaviour",
    "ClearVulnerabilityFlag",
    "CompleteReview",
    "ContactPoint",
    "CustomerContactDetails",
    "ExpireMsp",
    "GrantOneOffVariation",
    "IncidentRef",
    "InviteCustomerToReview",
    "IssueContactCard",
    "LinkIncident",
    "MspCommand",
    "MspConfig",
    "MspState",
    "MspStatus",
    "MultiRecordCheck",
    "RecordCustomerInformed",
    "RecordDecisionNotToContactDirectly",
    "RecordLetterDeliveryOutcome",
    "RecordMsp",
    "RecordNotificationCallAttempt",
    "RecordPoliceHandDelivery",
    "RecordRepresentativeContact",
    "RecordVulnerabilityFlag",
    "RejectMsp",
    "Restriction",
    "SendBehaviourWarning",
    "SendMspLetter",
    "SendMspSms",
    "SendRestrictionReminder",
    "WithdrawMsp",
    "decide",
    "evolve",
    "fold",
    "letters",
    "notifying",
    "recording",
    "required_delivery_method",
]
