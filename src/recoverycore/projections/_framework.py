"""What every view shares, kept for the modules that imported it before the split: a view's
definition is in :mod:`recoverycore.projections._view`, its recorders in
:mod:`recoverycore.projections._recorders`. Import these names from
:mod:`recoverycore.projections`."""

from recoverycore.projections._recorders import (
    SQLiteViewRecorder,
    ViewRecorder,
    postgres_view_recorder,
    sqlite_view_recorder,
)
from recoverycore.projections._view import (
    FOLLOW_UP_APPLICATION,
    RECOVERY_APPLICATION,
    ROW_MODEL,
    Fact,
    Statement,
    ViewDefinition,
    Write,
    as_of_text,
    fact_decoder,
    json_text,
    time_or_none,
    utc_text,
)

__all__ = [
    "FOLLOW_UP_APPLICATION",
    "RECOVERY_APPLICATION",
    "ROW_MODEL",
    "Fact",
    "SQLiteViewRecorder",
    "Statement",
    "ViewDefinition",
    "ViewRecorder",
    "Write",
    "as_of_text",
    "fact_decoder",
    "json_text",
    "postgres_view_recorder",
    "sqlite_view_recorder",
    "time_or_none",
    "utc_text",
]
