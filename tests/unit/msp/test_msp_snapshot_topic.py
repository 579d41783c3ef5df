"""Snapshots name the MSP's state class by its topic: the one written before the split resolves."""

from __future__ import annotations

from eventsourcing.utils import resolve_topic

from recoverycore.aggregates.msp import MspState, RecordVulnerabilityFlag
from recoverycore.events import Snapshot
from recoverycore.testing import given, msp_builder

PRE_SPLIT_TOPIC = "recoverycore.aggregates.msp:MspState"
"""The topic snapshots written before ``aggregates/msp.py`` became a package name the state by."""


def test_the_pre_split_snapshot_topic_still_names_the_state_class() -> None:
    assert resolve_topic(PRE_SPLIT_TOPIC) is MspState


def test_a_snapshot_naming_the_pre_split_topic_loads_to_an_equal_state() -> None:
    b = msp_builder()
    flag = b.command(RecordVulnerabilityFlag, flag="SUICIDE_SELF_HARM", source="Phone call")
    state = given(b.notified_plan(), now=b.now).then(flag).state
    assert state is not None
    snapshot = Snapshot(
        originator_id=state.id,
        originator_version=state.version,
        topic=PRE_SPLIT_TOPIC,
        state=state.model_dump(mode="json"),
    )

    loaded = snapshot.mutate()

    assert isinstance(loaded, MspState)
    assert loaded == state
