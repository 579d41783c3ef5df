"""The projections benchmark (``bench/projections.py``) on a tiny SQLite store, so it cannot rot:
it runs as ``make bench`` would run it, and what it generates must be a sound store (every
cloned event and follow-up distinct, every view level with the logs, the long case's timeline
whole). No figure is checked: speed is reported by the bench, never asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from recoverycore.projections import VIEWS

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 2_000
CASE_EVENTS = 60


def _run_bench() -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.projections",
            "--projection-events",
            str(EVENTS),
            "--projection-case-events",
            str(CASE_EVENTS),
            "--no-postgres",
            "--json",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    data: dict[str, Any] = orjson.loads(result.stdout)
    return data


def test_the_projections_bench_runs_on_a_tiny_sqlite_store() -> None:
    data = _run_bench()
    assert data["template"]["long_case_events"] == CASE_EVENTS
    assert "PostgreSQL: skipped (--no-postgres)" in data["notes"]
    (sqlite,) = data["stores"].values()
    assert sqlite["total"] >= EVENTS
    assert set(sqlite["catch_ups"]) == set(VIEWS)
    read_events = {view: read["events"] for read in sqlite["reads"] for view in read["views"]}
    for view, run in sqlite["catch_ups"].items():
        # Every view read everything its topics select: level with the logs.
        assert run["events"] == read_events[view] > 0
        assert 0 < run["first_quarter"]["events"] < run["events"]
        assert run["ratio_to_raw"] > 0
        assert run["rss_peak_bytes"] > 0
    rows = {view: run["rows"] for view, run in sqlite["catch_ups"].items()}
    if "audit" in rows:
        # One row per plan or case event: no two clones share an id and version.
        assert rows["audit"]["audit_events"] == sqlite["events"]["RecoveryCore"]
    if "audit" in rows and "workload" in rows:
        # One row per follow-up in both views: no two clones share a follow-up id.
        assert rows["audit"]["audit_follow_ups"] == rows["workload"]["workload_follow_ups"] > 0
        # The audit view also keeps each customer's record (a subject of its own).
        assert rows["audit"]["audit_subjects"] >= rows["workload"]["workload_subjects"] > 0
    queries = sqlite["queries"]
    workload = next(q for label, q in queries.items() if label.startswith("workload(officer"))
    assert workload["median_ms"] is not None
    assert "subjects" in workload["answer"]
    if "audit" in VIEWS:
        timeline = next(q for label, q in queries.items() if label.startswith("audit timeline"))
        assert timeline["median_ms"] is not None
        # The long case's whole history, with the follow-ups its events caused (joined on the
        # rewritten event ids).
        assert timeline["answer"].startswith(f"{CASE_EVENTS} entries")
        assert not timeline["answer"].endswith(" 0 follow-ups attached")
