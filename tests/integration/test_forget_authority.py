"""The envelope's ``authority`` is free text an officer writes on any command, so it is
personal like ``reasons`` (the hostile trial of issue 12 wrote a customer's name and number into
it after ``forget``, and it was stored in plaintext)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recoverycore import PersonalDataErased, RecoveryApp, SimulatedClock, forget
from recoverycore.persistence import ERASED, sqlite_env
from recoverycore.testing import msp_builder

CRN = "204 567 891K"
WRITTEN = "Jordan TAYLOR 0412000318"


def test_authority_is_sealed_erased_by_forget_and_refused_afterwards(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "store.db")
    plan = msp_builder()
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        app.handle(plan.record(crn=CRN))
        app.handle(plan.approve())
        app.handle(plan.call(authority=WRITTEN))
        assert app.history(plan.plan_id)[-1].authority == WRITTEN
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert WRITTEN.encode() not in stored

    forget(env, CRN)
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        written = [e.authority for e in app.history(plan.plan_id) if e.authority]
        assert written
        assert set(written) == {ERASED}
        version = app.plan(plan.plan_id).version
        with pytest.raises(PersonalDataErased):
            app.handle(plan.call(authority=WRITTEN))
        assert app.plan(plan.plan_id).version == version
