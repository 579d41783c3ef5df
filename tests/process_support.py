"""Running the CLI's process applications in processes of their own, for the tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("recoverycore")


def start(which: str, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    """``recoverycore follow WHICH`` in a process of its own, polling every 0.1 s."""
    return subprocess.Popen(
        [str(SCRIPT), "follow", which, "--poll", "0.1", *extra],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a follower with SIGTERM; it must stop cleanly."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    assert process.returncode == 0, process.stderr.read().decode() if process.stderr else ""


def eventually(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("not reached in time")
