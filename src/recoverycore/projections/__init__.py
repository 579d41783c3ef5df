"""Projections: read models (workload, audit, compliance) built from the recorded events.

Each view is a :class:`ViewDefinition` (its tables and a pure function from one recorded event to
the row changes it makes) kept by a :class:`ViewRecorder`, an eventsourcing tracking recorder
that writes a batch of rows and the position of the batch's last event in one transaction, on
SQLite or PostgreSQL. :func:`catch_up` follows the notification logs in batches (the way to run
on SQLite, whose eventsourcing recorder cannot subscribe, and the fast way to catch up on
PostgreSQL); :class:`ViewProjection` is the same view as an eventsourcing ``Projection`` for
eventsourcing's ``ProjectionRunner``. :func:`rebuild` builds a view again beside the live one
and switches to it in one transaction.

Projections import :mod:`recoverycore.events`, never the aggregates.
"""

from recoverycore.projections._customers import (
    CustomerFlagInForce,
    CustomerRecord,
    RestrictionInForce,
)
from recoverycore.projections._recorders import (
    GENERATIONS_TABLE,
    RebuildSuperseded,
    ViewRecorder,
    postgres_view_recorder,
    sqlite_view_recorder,
)
from recoverycore.projections._runner import (
    DEFAULT_BATCH_SIZE,
    CatchUpResult,
    Progress,
    Source,
    UnreadableNotification,
    ViewProjection,
    catch_up,
    fact_of,
    open_sources,
    open_view,
    opened,
    rebuild,
    sources_of,
    tolerant_application,
    view_projection,
    views_database,
)
from recoverycore.projections._subjects import (
    CASE,
    CUSTOMER,
    PLAN,
    TERMINAL_STATUSES,
    event_id_of,
    owner,
    status_and_stage,
    subject_type,
)
from recoverycore.projections._view import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    Fact,
    Statement,
    ViewDefinition,
    Write,
    as_of_text,
    fact_decoder,
    utc_text,
)
from recoverycore.projections.audit import (
    AuditEntry,
    AuditView,
    FollowUpRecord,
    Timeline,
    ViewDiscrepancy,
)
from recoverycore.projections.compliance import (
    Compliance,
    ComplianceBreach,
    ComplianceView,
    ContactHours,
    UnnotifiedPlan,
)
from recoverycore.projections.workload import FollowUpItem, SubjectItem, Workload, WorkloadView

VIEWS: dict[str, type[ViewDefinition]] = {
    WorkloadView.name: WorkloadView,
    AuditView.name: AuditView,
    ComplianceView.name: ComplianceView,
}
"""Every view recoverycore ships, by name (as ``recoverycore rebuild VIEW`` names them)."""

__all__ = [
    "CASE",
    "CUSTOMER",
    "DEFAULT_BATCH_SIZE",
    "FOLLOW_UP_APPLICATION",
    "GENERATIONS_TABLE",
    "PLAN",
    "RECOVERY_APPLICATION",
    "TERMINAL_STATUSES",
    "VIEWS",
    "AuditEntry",
    "AuditView",
    "CatchUpResult",
    "Compliance",
    "ComplianceBreach",
    "ComplianceView",
    "ContactHours",
    "CustomerFlagInForce",
    "CustomerRecord",
    "Fact",
    "FollowUpItem",
    "FollowUpRecord",
    "Progress",
    "RebuildSuperseded",
    "RestrictionInForce",
    "Source",
    "Statement",
    "SubjectItem",
    "Timeline",
    "UnnotifiedPlan",
    "UnreadableNotification",
    "ViewDefinition",
    "ViewDiscrepancy",
    "ViewProjection",
    "ViewRecorder",
    "Workload",
    "WorkloadView",
    "Write",
    "as_of_text",
    "catch_up",
    "event_id_of",
    "fact_decoder",
    "fact_of",
    "open_sources",
    "open_view",
    "opened",
    "owner",
    "postgres_view_recorder",
    "rebuild",
    "sources_of",
    "sqlite_view_recorder",
    "status_and_stage",
    "subject_type",
    "tolerant_application",
    "utc_text",
    "view_projection",
    "views_database",
]
