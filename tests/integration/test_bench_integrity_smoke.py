"""The integrity benchmark (``bench/integrity.py``) on a tiny SQLite store, so it cannot rot: it
runs as ``make bench`` would run it, the store it generates must verify (every cloned history
sealed anew), and it must print its ratios. No figure is checked: speed is reported by the
bench, never asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 2_000
PLANS = 3
CASE_EVENTS = 20
MODES = ("chain+protect", "chain only", "protect only", "neither")


def _run_bench(*extra: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.integrity",
            "--integrity-events",
            str(EVENTS),
            "--integrity-rounds",
            "1",
            "--record-plans",
            str(PLANS),
            "--record-case-events",
            str(CASE_EVENTS),
            "--record-rounds",
            "1",
            "--no-postgres",
            "--quiet",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result


def test_the_integrity_bench_verifies_a_tiny_generated_store_and_reports_the_ratios() -> None:
    data = orjson.loads(_run_bench("--json").stdout)
    assert "PostgreSQL: skipped (--no-postgres)" in data["notes"]
    (sqlite,) = data["stores"].values()
    assert sqlite["total"] >= EVENTS
    # verify found nothing (the bench fails otherwise) and checked every row the reads saw.
    for kind in ("select_notifications", "ordered scan", "verify"):
        assert sqlite["passes"][kind]["runs"][0]["events"] == sqlite["total"]
    assert set(sqlite["verify_ratio"]) == {"select_notifications", "ordered scan"}
    assert all(ratio > 0 for ratio in sqlite["verify_ratio"].values())
    workloads = data["recording"]["workloads"]
    assert len(workloads) == 2
    for workload in workloads.values():
        assert set(MODES) <= set(workload)
        assert workload["chain+protect"]["check"].startswith("verifies")
        assert workload["neither"]["check"].startswith("unchained, 0 of")


def test_the_integrity_bench_prints_its_table() -> None:
    out = _run_bench().stdout.decode()
    assert "verify ×" in out
    assert "ordered scan" in out
    assert "chain+protect" in out
