"""A customer's record id cannot be found from their CRN by trying every CRN (issue 12, item 11).

The record id (the safeguard policy's customer record, the subject of the customer's key and of
their ``pii2:<record>:...`` tokens) was ``uuid5`` of the CRN: with a store file, or ``forget``'s
output, anyone could compute it for every CRN (9 digits and a letter) and learn whose record it
is, even after ``forget``. Now it is random, found through a lookup row keyed by HMAC-SHA-256 of
the CRN under the key store's secret, and ``forget`` deletes that row with the key.

- After recording a customer's plan and case, no stored file or table holds ``uuid5`` of the CRN
  (in any form); safety flags still follow the customer from the plan to the case.
- After ``forget``, neither the lookup row nor the CRN's keyed digest is stored anywhere, and the
  record id is not found from the CRN; a customer recorded again is a new customer.
- A store written before (its customers under ``uuid5`` ids, no lookup rows) keeps working: its
  customers are found, a new case joins their record, flags follow, ``forget`` erases them.
- Two processes recording a new customer's first plan and case at once end with one record id.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

import orjson
import psycopg
import pytest
import structlog
from eventsourcing.persistence import IntegrityError

from pgserver import PgServer
from recoverycore import PersonalDataErased, ReadModels, RecoveryApp, SimulatedClock
from recoverycore.application.forget import forget
from recoverycore.application.policies import SafeguardPolicy, run_policies
from recoverycore.errors import KeyStoreMissing, RecoveryCoreError
from recoverycore.events import normalise_crn
from recoverycore.msp import RecordVulnerabilityFlag
from recoverycore.persistence import (
    ERASED,
    PersonalData,
    personal_data_for,
    release_personal_data,
    sqlite_env,
    subject_of_crn,
)
from recoverycore.testing import case_builder, msp_builder

CRN = "204 567 891K"
OLD_CRN = "311 204 557J"
_CUSTOMER_NS = UUID("3f6e2b0c-8d71-4a7e-b0e4-5d1c2a9f7e31")
"""The namespace record ids were made in from the CRN (what a guesser computes)."""

Stored = Callable[[], bytes]


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    release_personal_data()
    yield
    release_personal_data()
    structlog.reset_defaults()


def _uuid5_forms(crn: str) -> list[bytes]:
    guessed = uuid5(_CUSTOMER_NS, normalise_crn(crn))
    return [str(guessed).encode(), guessed.hex.encode(), guessed.bytes]


def _record_and_flag(env: dict[str, str], crn: str) -> tuple[UUID, UUID]:
    """A plan and a case of one customer (the case recorded later); a safety flag on the plan
    pauses enforcement on the case. The plan's and case's ids."""
    runner = run_policies(env)
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=uuid4())
        case = case_builder(case_id=uuid4())
        app.clock = SimulatedClock(case.now)
        app.handle(plan.record(crn=crn))
        app.handle(plan.approve())
        app.handle(case.allocate(crn=crn))
        app.handle(
            plan.command(
                RecordVulnerabilityFlag,
                flag="FDV_IMMEDIATE_THREAT",
                source="Witnessed a threat during the notification call",
            )
        )
        assert [f.kind for f in app.case(case.case_id).flags] == ["FDV_IMMEDIATE_THREAT"]
        customer = runner.get(SafeguardPolicy).customer(crn)
        assert customer is not None
        assert {a for a, _ in customer.members} == {str(plan.plan_id), str(case.case_id)}
        return plan.plan_id, case.case_id
    finally:
        runner.stop()


def _personal(env: dict[str, str]) -> PersonalData:
    personal = personal_data_for(env)
    assert personal is not None
    return personal


def _check_new_customer(env: dict[str, str], stored: Stored) -> None:
    plan_id, case_id = _record_and_flag(env, CRN)
    with ReadModels(env) as views:
        views.catch_up()  # the views' files and tables are searched too
    raw = stored()
    # Brute force: the id a guesser computes from the CRN is stored nowhere.
    assert not [form for form in _uuid5_forms(CRN) if form in raw]
    personal = _personal(env)
    record = personal.record_of_crn(CRN)
    assert record is not None
    assert record != subject_of_crn(CRN)
    assert record.encode() in raw  # the random id is what the tokens name
    digest = personal.crn_digest(CRN)
    assert digest.encode() in raw  # the lookup row
    assert personal.keys.aggregates_of(record) != []

    done = forget(env, "204-567-891k")
    assert done.key_destroyed
    assert done.customer_record == str(UUID(hex=record))
    assert {str(plan_id), str(case_id)} <= set(done.records)
    release_personal_data()  # as a new process would
    raw = stored() + orjson.dumps(done.model_dump())
    assert not [form for form in _uuid5_forms(CRN) if form in raw]
    assert digest.encode() not in raw
    assert bytes.fromhex(digest) not in raw
    personal = _personal(env)
    assert personal.crn_digest(CRN) == digest  # the same secret: the row is really gone
    assert personal.record_of_crn(CRN) is None
    assert personal.aggregates_of(CRN) == []
    with ReadModels(env) as views:
        views.catch_up()
    raw = stored() + orjson.dumps(done.model_dump())
    assert not [form for form in _uuid5_forms(CRN) if form in raw]
    assert digest.encode() not in raw
    with RecoveryApp(env=env, clock=SimulatedClock(msp_builder().now)) as app:
        assert app.plan(plan_id).crn == ERASED
        # New personal data on the forgotten customer's own plan is still refused.
        before = app.plan(plan_id).version
        call = msp_builder(plan_id=plan_id).call(outcome="NO_ANSWER", number_called="0400 000 000")
        with pytest.raises(PersonalDataErased) as refused:
            app.handle(call)
        assert refused.value.rule_id == "PRIV-1"
        assert app.plan(plan_id).version == before
    # Forgetting again finds nothing and writes nothing.
    again = forget(env, CRN)
    assert not again.key_destroyed
    assert not [form for form in _uuid5_forms(CRN) if form in stored()]
    # Recorded again, the customer is a new customer (nothing links them to the old record).
    _record_and_flag(env, CRN)
    release_personal_data()
    fresh = _personal(env).record_of_crn(CRN)
    assert fresh is not None
    assert fresh != record


def _record_as_before(env: dict[str, str], crn: str) -> tuple[UUID, UUID]:
    """A plan and a case recorded as the code before random record ids did: the customer's
    record id is ``uuid5`` of the CRN, and no lookup row is written."""
    with pytest.MonkeyPatch.context() as old_code:
        old_code.setattr(
            PersonalData,
            "record_of_crn",
            lambda self, crn, *, create=False: subject_of_crn(crn),
        )
        runner = run_policies(env)
        try:
            app = runner.get(RecoveryApp)
            plan = msp_builder(plan_id=uuid4())
            case = case_builder(case_id=uuid4())
            app.clock = SimulatedClock(case.now)
            app.handle(plan.record(crn=crn))
            app.handle(plan.approve())
            app.handle(case.allocate(crn=crn))
        finally:
            runner.stop()
    release_personal_data()
    return plan.plan_id, case.case_id


def _check_old_customer(env: dict[str, str], stored: Stored) -> None:
    plan_id, old_case = _record_as_before(env, OLD_CRN)
    legacy = subject_of_crn(OLD_CRN)
    assert legacy.encode() in stored()  # as the code before wrote it
    personal = _personal(env)
    digest = personal.crn_digest(OLD_CRN)
    assert digest.encode() not in stored()

    # Found under its old id (the lookup row is written then); a plan recorded now joins the
    # same customer record, and a flag on the old plan follows to the case and the new plan.
    assert personal.record_of_crn(OLD_CRN) == legacy
    assert digest.encode() in stored()
    runner = run_policies(env)
    try:
        app = runner.get(RecoveryApp)
        plan = msp_builder(plan_id=plan_id)
        new_plan = msp_builder(plan_id=uuid4())
        app.clock = SimulatedClock(new_plan.now)
        app.handle(new_plan.record(crn=OLD_CRN))
        app.handle(
            plan.command(
                RecordVulnerabilityFlag,
                flag="FDV_IMMEDIATE_THREAT",
                source="Witnessed a threat during the notification call",
            )
        )
        assert [f.kind for f in app.case(old_case).flags] == ["FDV_IMMEDIATE_THREAT"]
        assert app.plan(new_plan.plan_id).safety_flags == ("FDV_IMMEDIATE_THREAT",)
        customer = runner.get(SafeguardPolicy).customer(OLD_CRN)
        assert customer is not None
        assert customer.id == UUID(hex=legacy)
        assert {a for a, _ in customer.members} == {
            str(plan_id),
            str(old_case),
            str(new_plan.plan_id),
        }
        assert app.plan(plan_id).crn == normalise_crn(OLD_CRN)
    finally:
        runner.stop()

    done = forget(env, OLD_CRN)
    assert done.key_destroyed
    assert done.customer_record == str(UUID(hex=legacy))
    assert {str(plan_id), str(old_case), str(new_plan.plan_id)} <= set(done.records)
    release_personal_data()
    assert digest.encode() not in stored()
    assert _personal(env).record_of_crn(OLD_CRN) is None
    with RecoveryApp(env=env) as app:
        assert app.plan(plan_id).crn == ERASED
        assert app.plan(new_plan.plan_id).crn == ERASED


def _allocate(env: dict[str, str], crn: str, start: Any) -> str:
    """In a process of its own: record a plan for ``crn`` once ``start`` is set; its record id."""
    plan = msp_builder(plan_id=uuid4())
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        start.wait(30)
        # They race for the customer's record too: a loser decides again.
        app.handle(plan.record(crn=crn), retries=10)
        personal = app.personal
        assert personal is not None
        subject = personal.snapshot_subject(plan.plan_id)
        assert subject is not None
        return subject


def _check_concurrent_first_commands(env: dict[str, str], writers: int = 4) -> None:
    context = multiprocessing.get_context("spawn")
    with RecoveryApp(env=env):
        pass  # the tables exist
    release_personal_data()
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(writers) as pool:
            pending = [
                pool.apply_async(_allocate, (env, "987 654 321Z", start)) for _ in range(writers)
            ]
            start.set()
            subjects = {p.get(120) for p in pending}
    assert len(subjects) == 1
    assert subjects == {_personal(env).record_of_crn("987654321Z")}


def _sqlite_stored(folder: Path) -> Stored:
    def stored() -> bytes:
        return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())

    return stored


def _postgres_stored(pg_server: PgServer, dbname: str) -> Stored:
    def stored() -> bytes:
        out: list[bytes] = []
        with pg_server.connect(dbname) as conn:
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

    return stored


def test_a_record_id_cannot_be_found_from_the_crn_on_sqlite(tmp_path: Path) -> None:
    _check_new_customer(sqlite_env(tmp_path / "store.db"), _sqlite_stored(tmp_path))


def test_a_record_id_cannot_be_found_from_the_crn_on_postgres(
    pg_server: PgServer, pg_database: str
) -> None:
    _check_new_customer(pg_server.env(pg_database), _postgres_stored(pg_server, pg_database))


def test_customers_recorded_under_uuid5_ids_keep_working_on_sqlite(tmp_path: Path) -> None:
    _check_old_customer(sqlite_env(tmp_path / "store.db"), _sqlite_stored(tmp_path))


def test_customers_recorded_under_uuid5_ids_keep_working_on_postgres(
    pg_server: PgServer, pg_database: str
) -> None:
    _check_old_customer(pg_server.env(pg_database), _postgres_stored(pg_server, pg_database))


def test_concurrent_first_commands_give_one_record_id_on_sqlite(tmp_path: Path) -> None:
    _check_concurrent_first_commands(sqlite_env(tmp_path / "store.db"))


def test_concurrent_first_commands_give_one_record_id_on_postgres(
    pg_server: PgServer, pg_database: str
) -> None:
    _check_concurrent_first_commands(pg_server.env(pg_database))


def test_a_first_command_that_fails_leaves_no_lookup_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    plan = msp_builder(plan_id=uuid4())
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:

        def conflict(*args: Any, **kwargs: Any) -> Any:
            raise IntegrityError("another process recorded this plan first")

        monkeypatch.setattr(app.recorder, "insert_events", conflict)
        with pytest.raises(RecoveryCoreError):
            app.handle(plan.record(crn=CRN))
    personal = _personal(env)
    assert personal.record_of_crn(CRN) is None
    with sqlite3.connect(tmp_path / "store.keys.db") as keys:
        assert keys.execute("SELECT count(*) FROM customer_lookup").fetchone() == (0,)


def test_a_lost_lookup_secret_is_a_loud_error_not_nobody(tmp_path: Path) -> None:
    # Found by the hostile re-trial: with the lookup secret gone, a new secret was made silently,
    # so the customer could no longer be found by CRN.
    env = sqlite_env(tmp_path / "store.db")
    plan = msp_builder()
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        app.handle(plan.record(crn=CRN))
    with sqlite3.connect(tmp_path / "store.keys.db") as keys:
        keys.execute("DELETE FROM key_store_secret")
    release_personal_data()  # as a new process would: nothing remembered
    again = msp_builder(plan_id=uuid4())
    with RecoveryApp(env=env, clock=SimulatedClock(plan.now)) as app:
        # Not a second, unlinked record for the same customer under a new secret.
        with pytest.raises(KeyStoreMissing):
            app.handle(again.record(crn=CRN))
        assert not app.exists(again.plan_id)
    with pytest.raises(KeyStoreMissing):
        forget(env, CRN)  # loudly, not "no customer is recorded under this CRN"
