"""Whole case managed recoveries driven through random, legal and illegal paths.

:class:`~recoverycore.testing.strategies.CaseStateMachine` sends random commands (with random
actors, times and details) to the pure ``decide``; accepted events are kept, refusals must leave
no trace. The invariants read the event log itself, not the aggregate's state, so they check the
aggregate against an independent statement of the procedure's safeguards. Here every recorded
event must also survive the store's mapper unchanged. The settings (examples, steps) come from
the profile loaded in ``tests/conftest.py``.
"""

from __future__ import annotations

from recoverycore.events import cmr as ev
from recoverycore.persistence import OrjsonTranscoder, PydanticMapper
from recoverycore.testing.strategies import CaseStateMachine

MAPPER = PydanticMapper(transcoder=OrjsonTranscoder())


class CaseLifecycle(CaseStateMachine):
    """The public case machine, with what is stored read back through the store's mapper."""

    def check_recorded(self, event: ev.CaseEvent) -> None:
        super().check_recorded(event)
        # Round trip: what is stored reads back unchanged.
        assert MAPPER.to_domain_event(MAPPER.to_stored_event(event)) == event


TestCaseLifecycle = CaseLifecycle.TestCase
