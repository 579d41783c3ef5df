"""The compliance view: for team leaders and auditors.

It answers, at a given time (``as_of``) and for one customer, one plan or case, or everyone:

* how many actual contacts each customer has had per ISO week and calendar month, and in the
  worst rolling 7 and 30 days, against the X-R8 caps;
* which letters' response periods have passed without a review;
* which recovery pauses and vulnerability flags are in force (X-R1, X-R3, X-R4);
* each garnishee with its assessment, submission, approval, Debt Redress Check and placement;
* each customer's record: the flags and MSP restrictions (with the OMC/PSSO) in force on the
  person, which bind every plan and case of theirs;
* the plans in force never notified in writing (S-MSP Step 3) or without the date the
  customer was informed (S-MSP Step 1);
* any recorded history that breaks a rule (there should be none: the aggregates refuse such
  commands, so a breach found here comes from imported or older data), naming the event and
  the rule.

Rows: ``compliance_subjects`` (one per plan or case: its customer, and the version at which it
ended, if it has), ``compliance_events`` (one per plan or case event the checks read: when, by
whom, and the few fields they need; see :class:`ComplianceView`) and ``compliance_follow_ups``
(one per follow-up a letter caused: due time, and whether and when it was completed or
cancelled). A row is written only by the events of its own plan or case, or of its own
follow-up, so the rows never depend on how the recovery log and the follow-up log interleave;
the questions join them, and fold one plan's or case's events in version order to check the
rules from the outside as the aggregates check them from the inside.

"As of T" follows the other views: the record as it stood at T, that is events and follow-up
changes *recorded* by T (as :meth:`recoverycore.RecoveryApp.case_as_of` reads a case); contacts
are counted on the local date and time they *happened*.
"""

from recoverycore.projections.compliance.answers import (
    Compliance,
    ComplianceBreach,
    ContactHours,
    ContactPeriod,
    CustomerContacts,
    FlagInForce,
    GarnisheeRecord,
    LetterFollowUp,
    PauseInForce,
    UnnotifiedPlan,
    UnreviewedLetter,
)
from recoverycore.projections.compliance.query import compliance
from recoverycore.projections.compliance.view import ComplianceView

__all__ = [
    "Compliance",
    "ComplianceBreach",
    "ComplianceView",
    "ContactHours",
    "ContactPeriod",
    "CustomerContacts",
    "FlagInForce",
    "GarnisheeRecord",
    "LetterFollowUp",
    "PauseInForce",
    "UnnotifiedPlan",
    "UnreviewedLetter",
    "compliance",
]
