"""The application layer: the only one with I/O, a clock and logs.

* :class:`RecoveryApp` (:mod:`~recoverycore.application.recovery`) decides commands against the
  stored histories of plans and cases and records their events;
* :class:`FollowUpPolicy` and :class:`SafeguardPolicy`
  (:mod:`~recoverycore.application.policies`) follow its log and record follow-ups and
  cross-record safety reactions;
* :class:`ReadModels` (:mod:`~recoverycore.application.read_models`) keeps the views and answers
  their questions;
* :func:`verify` (:mod:`~recoverycore.application.verify`) checks the hash chains and
  :func:`forget` (:mod:`~recoverycore.application.forget`) erases a customer's personal data;
  :func:`backup` (:mod:`~recoverycore.application.backup`) copies a live SQLite store with its
  keys and views;
* the clocks (:mod:`~recoverycore.application.clock`) and public holidays
  (:mod:`~recoverycore.application.holidays`) it decides with, and ``resolve_store_env``: the
  store a path or URL names, as the command line opens it.
"""

from recoverycore.application.backup import Backup, backup
from recoverycore.application.clock import DEFAULT_TIME_ZONE, Clock, SimulatedClock, SystemClock
from recoverycore.application.forget import Forgotten, forget
from recoverycore.application.holidays import (
    HOLIDAY_STATES,
    australian_holidays,
    holidays_for,
    national_public_holidays,
)
from recoverycore.application.policies import (
    FOLLOWERS,
    FollowUpPolicy,
    SafeguardPolicy,
    follow,
    policy_system,
    run_policies,
)
from recoverycore.application.read_models import AuditReport, ReadModels, StateAsOf, follow_views
from recoverycore.application.recovery import RecoveryApp
from recoverycore.application.verify import Finding, VerifyResult, verify
from recoverycore.errors import AggregateNotFound, NotAPlanOrCase, UnreadableEvent
from recoverycore.persistence import resolve_store_env

__all__ = [
    "DEFAULT_TIME_ZONE",
    "FOLLOWERS",
    "HOLIDAY_STATES",
    "AggregateNotFound",
    "AuditReport",
    "Backup",
    "Clock",
    "Finding",
    "FollowUpPolicy",
    "Forgotten",
    "NotAPlanOrCase",
    "ReadModels",
    "RecoveryApp",
    "SafeguardPolicy",
    "SimulatedClock",
    "StateAsOf",
    "SystemClock",
    "UnreadableEvent",
    "VerifyResult",
    "australian_holidays",
    "backup",
    "follow",
    "follow_views",
    "forget",
    "holidays_for",
    "national_public_holidays",
    "policy_system",
    "resolve_store_env",
    "run_policies",
    "verify",
]
