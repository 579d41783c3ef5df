"""``forget`` finds a customer however their CRN is spelt, and the digest of the number an SMS
went to cannot be tested against guesses (issue 12, items 11 and 12), on SQLite and PostgreSQL.

- A CRN given with spaces, dashes or in lower case is stored in its one canonical spelling; a
  query by CRN and ``forget`` with any other spelling find the record.
- A record written before CRNs were normalised (its CRN stored as the officer typed it, dashes
  and all) still reads back, and ``forget`` by the canonical spelling erases it too.
- The SHA-256 digest of the mobile number an SMS went to is stored sealed under the customer's
  key (an unsalted digest of a 10-digit number is reversed in minutes); after ``forget`` it
  reads ``[erased]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp, SimulatedClock
from recoverycore.aggregates import _input
from recoverycore.application.forget import forget
from recoverycore.events.msp import MspContactAttempted, MspRecorded, MspSmsSent
from recoverycore.persistence import (
    ERASED,
    _personal,
    legacy_subject_of_crn,
    release_personal_data,
    sqlite_env,
)
from recoverycore.testing import msp_builder

NUMBER = "0400 000 000"
DIGEST = hashlib.sha256(b"0400000000").hexdigest()


def _record_plan(env: dict[str, str], plan: UUID, crn: str, *, as_typed: bool = False) -> None:
    """A plan with a call and an SMS. ``as_typed``: store the CRN as given, as recoverycore did
    before it normalised CRNs (the command is copied without validation)."""
    b = msp_builder(plan_id=plan)
    clock = SimulatedClock(b.now)
    record = b.record(crn=crn)
    with pytest.MonkeyPatch.context() as old_code:
        if as_typed:
            # As the code before normalisation did: the CRN kept as typed (the command taken as
            # validated), and the customer's key subject made from it with its dashes.
            record = record.model_copy(update={"crn": crn})
            old_code.setattr(_input, "was_validated", lambda command: True)
            old_code.setattr(
                _personal.PersonalData,
                "record_of_crn",
                lambda self, crn, *, create=False: legacy_subject_of_crn(crn),
            )
        with RecoveryApp(env=env, clock=clock) as app:
            app.handle(record)
    with RecoveryApp(env=env, clock=clock) as app:
        for command in (b.approve(), b.call(outcome="NO_ANSWER", number_called=NUMBER), b.sms()):
            clock.advance(timedelta(hours=1))
            app.handle(command)


def _events(env: dict[str, str], plan: UUID) -> list[Any]:
    with RecoveryApp(env=env) as app:
        return list(app.repository.event_store.get(plan))


def _check(env: dict[str, str], stored: Callable[[], bytes]) -> None:
    typed, legacy = UUID(int=1), UUID(int=2)
    _record_plan(env, typed, "204-567 891k")
    _record_plan(env, legacy, "311-204-557J", as_typed=True)

    recorded = _events(env, typed)
    assert isinstance(recorded[0], MspRecorded)
    assert recorded[0].crn == "204567891K"  # the canonical spelling
    [sms] = [e for e in recorded if isinstance(e, MspSmsSent)]
    assert sms.mobile_number_hash == DIGEST  # read back while the key lives
    old = _events(env, legacy)
    assert old[0].crn == "311-204-557J"  # a record from before still reads as it was stored
    with ReadModels(env) as views:
        views.catch_up()
        # A query by CRN finds the customer however it is spelt.
        assert views.customer_audit("204 567-891k").subject_ids == (str(typed),)
    raw = stored()
    assert DIGEST.encode() not in raw
    assert b"204567891K" not in raw
    assert b"311-204-557J" not in raw

    assert forget(env, "204 567 891 K").key_destroyed
    assert forget(env, "311204557j").key_destroyed  # finds the record kept under "311-204-557J"
    release_personal_data()  # read as a new process would
    for plan in (typed, legacy):
        events = _events(env, plan)
        assert events[0].crn == ERASED
        [sms] = [e for e in events if isinstance(e, MspSmsSent)]
        assert sms.mobile_number_hash == ERASED
        [call] = [e for e in events if isinstance(e, MspContactAttempted)]
        assert (call.number_called, call.note_text) == (ERASED, ERASED)


def test_forget_finds_every_spelling_and_sms_digests_are_sealed_on_sqlite(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path / "store.db")

    def stored() -> bytes:
        return b"".join(p.read_bytes() for p in sorted(tmp_path.iterdir()) if p.is_file())

    _check(env, stored)


def test_forget_finds_every_spelling_and_sms_digests_are_sealed_on_postgres(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)

    def stored() -> bytes:
        out = []
        with pg_server.connect(pg_database) as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
            for schema, table in tables:
                query = psycopg.sql.SQL("SELECT * FROM {}.{}").format(
                    psycopg.sql.Identifier(schema), psycopg.sql.Identifier(table)
                )
                for row in conn.execute(query).fetchall():
                    out += [v if isinstance(v, bytes) else str(v).encode() for v in row]
        return b"\n".join(out)

    _check(env, stored)
