"""Customers' keys under attack (issue 12, items 4, 13 to 16).

- A command that fails after its personal fields were encrypted leaves no key and no link.
- ``forget`` with another process holding the key file fails loudly, or really destroys the key.
- ``forget`` is seen at once by every running application, in this process and in others, and
  an erased record still loads (showing ``[erased]``).
- A missing, empty or emptied key store is a loud ``KeyStoreMissing``, never "every customer
  erased"; ``backup`` copies a live store with its keys and views.
- New customers' tokens are AES-SIV (``pii2:``), checked here with the library directly; the
  first versions' ``pii1:`` tokens still read.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from eventsourcing.persistence import IntegrityError
from hypothesis import given
from hypothesis import strategies as st

from pgserver import PgServer
from recoverycore import ReadModels, RecoveryApp
from recoverycore.aggregates import cmr
from recoverycore.application.backup import backup
from recoverycore.application.clock import SimulatedClock
from recoverycore.application.forget import forget
from recoverycore.application.verify import verify
from recoverycore.cli.demo import DEMO_CASE_ID, DEMO_CASE_START, run_case_demo
from recoverycore.errors import (
    ConcurrentUpdateError,
    ForgetIncomplete,
    InvalidCommand,
    KeyStoreMissing,
)
from recoverycore.events import normalise_crn
from recoverycore.persistence import (
    ERASED,
    MemoryKeyStore,
    PersonalData,
    PostgresKeyStore,
    SQLiteKeyStore,
    release_personal_data,
    sqlite_env,
)

DEMO_CRN = "311 204 557J"
_IDS = UUID("6a0c1d9e-2b7f-4e55-8c3a-91d0f4b2e6a7")
_DATA = Path(__file__).parent.parent / "data" / "pre_split"


@pytest.fixture(autouse=True)
def _fresh_key_stores() -> Iterator[None]:
    release_personal_data()
    yield
    release_personal_data()


def _demo(env: dict[str, str]) -> cmr.CaseState:
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        run_case_demo(app, clock)
        return app.case(DEMO_CASE_ID)


def _files(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def _keys_of(path: Path) -> dict[str, bytes | None]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT subject, key FROM customer_keys"))


def _links_of(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT aggregate_id, subject FROM customer_links"))


def _allocation(case_id: UUID, crn: str, surname: str) -> cmr.AllocateCase:
    """A new case for a new customer: the demo's first command with another id and CRN."""
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=clock) as app:
        run_case_demo(app, clock)
        first = app.history(DEMO_CASE_ID)[0].model_dump(mode="json")
    return cmr.AllocateCase.model_validate(
        {
            "case_id": str(case_id),
            "actor": first["actor"],
            "crn": crn,
            "customer": {"surname": surname, "first_name": "Ngaio"},
            "team": first["team"],
            "case_manager_id": first["case_manager_id"],
            "allocation_source": first["allocation_source"],
            "allocation_group": first["allocation_group"],
            "debts": first["debts"],
        }
    )


# -- item 16: a standard cipher -------------------------------------------------------------------
def test_a_new_customers_values_are_aes_siv_tokens_the_library_itself_opens(
    tmp_path: Path,
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    case = _demo(env)
    raw = (tmp_path / "store.db").read_bytes()
    assert b"pii2:" in raw
    assert b"pii1:" not in raw
    (subject, key), *_ = (
        (s, k) for s, k in _keys_of(tmp_path / "store.keys.db").items() if k is not None
    )
    with RecoveryApp(env=env) as app:
        stored = app.recorder.select_events(DEMO_CASE_ID, lte=1)[0].state
    start = stored.index(b'"crn":"pii2:') + len(b'"crn":"')
    token = stored[start : stored.index(b'"', start)].decode()
    _, token_subject, text = token.split(":")
    assert token_subject == subject
    ciphertext = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    plain = AESSIV(key).decrypt(ciphertext, [b"pii2:" + subject.encode()])
    assert plain.decode() == case.crn


def test_the_first_versions_pii1_tokens_still_read_and_their_customers_keep_that_scheme(
    tmp_path: Path,
) -> None:
    for path in _DATA.glob("*.db"):
        shutil.copy(path, tmp_path / path.name)
    env = sqlite_env(tmp_path / "store.db")
    expected = json.loads((_DATA / "expected_states.json").read_text("utf-8"))
    with RecoveryApp(env=env) as app:
        case = app.case(UUID(expected["case_id"]))
        assert case.crn not in (ERASED, "")
        assert not case.crn.startswith("pii")
        personal = app.personal
        assert personal is not None
        # An old customer's CRN still gives the token their old records hold, so the views
        # keep grouping and finding them.
        # (token_for_crn gives the canonical spelling's token; the old records hold the spelling
        # typed then, which ReadModels' queries by CRN fall back to.)
        token = personal.token_for_spelling(case.crn)
        assert token is not None
        assert token.startswith("pii1:")
        stored = b"".join(e.state for e in app.recorder.select_events(case.id))
        assert token.encode() in stored
    assert verify(env).ok


@given(
    value=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=300).filter(
        lambda v: not v.startswith("pii")
    )
    | st.sampled_from(["\x00", "\u202e", "a" * 100_000, "O'BRIEN, Seán", "\U0001f600"])
)
def test_any_text_round_trips_through_both_schemes_and_equal_values_give_equal_tokens(
    value: str,
) -> None:
    keys = MemoryKeyStore()
    personal = PersonalData(keys)
    keys.enrol("a" * 32, os.urandom(64))  # made now: AES-SIV
    keys.enrol("b" * 32, os.urandom(64), scheme=1)  # made by the first versions
    for subject, prefix in (("a" * 32, "pii2:"), ("b" * 32, "pii1:")):
        token = personal.seal(subject, value)
        assert token.startswith(prefix)
        assert len(value) < 8 or value not in token
        assert PersonalData(keys).seal(subject, value) == token
        assert PersonalData(keys).open(token) == value


# -- item 4: a failed command leaves nothing ------------------------------------------------------
def test_a_command_that_fails_after_encryption_leaves_no_key_and_no_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    _demo(env)
    keys_file = tmp_path / "store.keys.db"
    keys_before, links_before = _keys_of(keys_file), _links_of(keys_file)
    new_case = uuid5(_IDS, "conflicted case")
    with RecoveryApp(env=env) as app:

        def conflict(*args: Any, **kwargs: Any) -> Any:
            raise IntegrityError("another process recorded this case first")

        monkeypatch.setattr(app.recorder, "insert_events", conflict)
        with pytest.raises(ConcurrentUpdateError) as failed:
            app.handle(_allocation(new_case, "477 921 003K", "WHAKAARI"))
        assert b"pii2:" not in str(failed.value).encode()
    assert _keys_of(keys_file) == keys_before
    assert _links_of(keys_file) == links_before
    # The same command then succeeds, with a key made for it then.
    with RecoveryApp(env=env) as app:
        app.handle(_allocation(new_case, "477 921 003K", "WHAKAARI"))
        assert app.case(new_case).customer.surname == "WHAKAARI"
    assert len(_keys_of(keys_file)) == len(keys_before) + 1


@pytest.mark.parametrize("kind", ["memory", "sqlite", "postgres"])
def test_a_failed_commands_pending_key_is_kept_once_another_command_used_it(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "memory":
        keys: Any = MemoryKeyStore()
    elif kind == "sqlite":
        keys = SQLiteKeyStore(str(tmp_path / "k.keys.db"))
    else:
        pg: PgServer = request.getfixturevalue("pg_server")
        keys = PostgresKeyStore(pg.env(request.getfixturevalue("pg_database")))
    try:
        start = keys.generation()
        mine = keys.enrol("c" * 32, b"k" * 64, aggregate_id="1" * 32, owner="first")
        assert keys.abandon("first")
        assert not keys.get("c" * 32).known
        assert keys.subject_of("1" * 32) is None
        assert keys.generation() == start + 1
        mine = keys.enrol("c" * 32, b"k" * 64, aggregate_id="1" * 32, owner="first")
        theirs = keys.enrol("c" * 32, b"x" * 64, aggregate_id="2" * 32, owner="second")
        assert theirs == mine  # the key in force
        assert not keys.abandon("first") or keys.get("c" * 32).key == mine.key
        assert keys.get("c" * 32).key == b"k" * 64
        assert keys.subject_of("2" * 32) == "c" * 32
    finally:
        keys.close()


def test_a_failed_command_on_postgres_leaves_no_key_and_no_link(
    pg_server: PgServer, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = pg_server.env(pg_database)
    _demo(env)

    def rows() -> tuple[set[Any], set[Any]]:
        with pg_server.connect(pg_database) as conn:
            keys = set(conn.execute("SELECT subject, key FROM customer_keys").fetchall())
            links = set(conn.execute("SELECT * FROM customer_links").fetchall())
        return keys, links

    before = rows()
    with RecoveryApp(env=env) as app:

        def conflict(*args: Any, **kwargs: Any) -> Any:
            raise IntegrityError("another process recorded this case first")

        monkeypatch.setattr(app.recorder, "insert_events", conflict)
        with pytest.raises(ConcurrentUpdateError):
            app.handle(_allocation(uuid5(_IDS, "pg conflicted"), "477 921 003K", "WHAKAARI"))
    assert rows() == before


# -- item 13: forget with another process holding the key file ------------------------------------
_HOLD = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
db.execute("SELECT count(*) FROM customer_keys").fetchone()
print("holding", flush=True)
sys.stdin.readline()
"""


@contextlib.contextmanager
def _held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding a read transaction on ``path`` until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.write("done\n")
        holder.stdin.close()
        holder.wait(timeout=30)


def test_forget_while_another_process_reads_the_key_file_fails_loudly_then_destroys_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SQLiteKeyStore, "busy_timeout", 1.0)
    env = sqlite_env(tmp_path / "store.db")
    case = _demo(env)
    keys_file = tmp_path / "store.keys.db"
    key = _keys_of(keys_file)[next(iter(_keys_of(keys_file)))]
    assert key is not None
    with _held(keys_file):
        with pytest.raises(ForgetIncomplete) as incomplete:
            forget(env, DEMO_CRN)
        assert "run `recoverycore forget` again" in str(incomplete.value)
        assert incomplete.value.key_tombstoned is False
        with RecoveryApp(env=env) as app:  # nothing changed: the key is still in force
            assert app.case(DEMO_CASE_ID).crn == case.crn
    done = forget(env, DEMO_CRN)
    assert done.key_destroyed
    assert key not in _files(tmp_path)
    assert not list(tmp_path.glob("store.keys.db-*")), "no journal or log beside the key file"


def test_forget_on_a_first_version_key_file_in_wal_mode_tombstones_and_says_the_bytes_remain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SQLiteKeyStore, "busy_timeout", 1.0)
    env = sqlite_env(tmp_path / "store.db")
    _demo(env)
    release_personal_data()
    keys_file = tmp_path / "store.keys.db"
    with sqlite3.connect(keys_file) as db:  # as the first versions left it
        assert db.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    key = next(k for k in _keys_of(keys_file).values() if k is not None)
    with _held(keys_file):
        with pytest.raises(ForgetIncomplete) as incomplete:
            forget(env, DEMO_CRN)
        assert incomplete.value.key_tombstoned is True
        with RecoveryApp(env=env) as app:  # marked forgotten: used nowhere
            assert app.case(DEMO_CASE_ID).crn == ERASED
    again = forget(env, DEMO_CRN)
    assert again.key_destroyed is False
    assert key not in _files(tmp_path)


def test_forget_on_postgres_with_a_session_holding_the_key_table_fails_loudly_then_destroys(
    pg_server: PgServer, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PostgresKeyStore, "busy_timeout", 1.0)
    env = pg_server.env(pg_database)
    _demo(env)
    with pg_server.connect(pg_database) as admin:
        shown = admin.execute("SHOW data_directory").fetchone()
        assert shown is not None
        data = Path(str(shown[0]))
        keys = [bytes(k) for (k,) in admin.execute("SELECT key FROM customer_keys").fetchall()]
    with pg_server.connect(pg_database) as holder:
        holder.autocommit = False
        holder.execute("SELECT count(*) FROM customer_keys").fetchone()  # a transaction left open
        with pytest.raises(ForgetIncomplete) as incomplete:
            forget(env, DEMO_CRN)
        assert incomplete.value.key_tombstoned is True
        with RecoveryApp(env=env) as app:  # marked forgotten: used nowhere
            assert app.case(DEMO_CASE_ID).crn == ERASED
        holder.rollback()
    assert forget(env, DEMO_CRN).key_destroyed is False
    with pg_server.connect(pg_database) as admin:
        admin.execute("CHECKPOINT")
        relation = admin.execute("SELECT pg_relation_filepath('customer_keys')").fetchone()
    assert relation is not None
    table = (data / str(relation[0])).read_bytes()
    assert sum(k in table for k in keys) == len(keys) - 1, "the forgotten key is gone from disk"


def test_an_emptied_key_table_on_postgres_is_a_loud_error(
    pg_server: PgServer, pg_database: str
) -> None:
    env = pg_server.env(pg_database)
    _demo(env)
    release_personal_data()
    with pg_server.connect(pg_database) as admin:
        admin.execute("DELETE FROM customer_keys")
    with pytest.raises(KeyStoreMissing), RecoveryApp(env=env) as app:
        app.case(DEMO_CASE_ID)


# -- item 14: erasure seen at once everywhere -----------------------------------------------------
_READER = """
import json, sys
from uuid import UUID
from recoverycore import RecoveryApp
env = json.loads(sys.argv[1])
case_id = UUID(sys.argv[2])
app = RecoveryApp(env=env)
print(app.case(case_id).crn, app.case(case_id).customer.surname, flush=True)
sys.stdin.readline()
print(app.case(case_id).crn, app.case(case_id).customer.surname, flush=True)
print(RecoveryApp(env=env).case(case_id).crn, flush=True)
print(len([e for e in app.history(case_id) if "Citizen" in e.model_dump_json()]), flush=True)
"""


def _forget_seen_by_another_process(env: dict[str, str], crn: str) -> list[str]:
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, json.dumps(env), str(DEMO_CASE_ID)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "RECOVERYCORE_SNAPSHOT_INTERVAL": "5"},
    )
    assert reader.stdin is not None
    assert reader.stdout is not None
    before = reader.stdout.readline().strip()
    assert before, reader.stderr.read() if reader.stderr else ""
    assert forget(env, crn).key_destroyed
    reader.stdin.write("go\n")
    reader.stdin.flush()
    out, errors = reader.communicate(timeout=120)
    assert reader.returncode == 0, errors
    return [before, *out.splitlines()]


@pytest.mark.parametrize("snapshots", ["0", "5"])
def test_forget_is_seen_at_once_by_running_applications_in_this_process(
    tmp_path: Path, snapshots: str
) -> None:
    env = {**sqlite_env(tmp_path / "store.db"), "RECOVERYCORE_SNAPSHOT_INTERVAL": snapshots}
    case = _demo(env)
    with RecoveryApp(env=env) as first, RecoveryApp(env=env) as second:
        assert first.case(DEMO_CASE_ID).crn == case.crn
        assert second.case(DEMO_CASE_ID).customer.surname == case.customer.surname
        forget(env, DEMO_CRN)
        for app in (first, second):
            erased = app.case(DEMO_CASE_ID)
            assert (erased.crn, erased.customer.surname) == (ERASED, ERASED)
            assert erased.version == case.version


def test_forget_is_seen_at_once_by_a_running_application_in_another_process(
    tmp_path: Path,
) -> None:
    env = {**sqlite_env(tmp_path / "store.db"), "RECOVERYCORE_SNAPSHOT_INTERVAL": "5"}
    case = _demo(env)
    lines = _forget_seen_by_another_process(env, DEMO_CRN)
    assert lines == [
        f"{case.crn} {case.customer.surname}",
        f"{ERASED} {ERASED}",
        ERASED,
        "0",
    ]


def test_forget_on_postgres_is_seen_at_once_in_this_process_and_another(
    pg_server: PgServer, pg_database: str
) -> None:
    env = {**pg_server.env(pg_database), "RECOVERYCORE_SNAPSHOT_INTERVAL": "5"}
    case = _demo(env)
    with RecoveryApp(env=env) as first, RecoveryApp(env=env) as second:
        assert first.case(DEMO_CASE_ID).crn == second.case(DEMO_CASE_ID).crn == case.crn
        lines = _forget_seen_by_another_process(env, DEMO_CRN)
        assert lines[1:] == [f"{ERASED} {ERASED}", ERASED, "0"]
        for app in (first, second):
            assert app.case(DEMO_CASE_ID).customer.surname == ERASED
    with ReadModels(env) as views:
        views.catch_up()
        assert views.audit(DEMO_CASE_ID).entries[0].details["crn"] == ERASED


# -- item 15: lost keys are loud; backup --------------------------------------------------------
@pytest.mark.parametrize("damage", ["missing", "empty file", "no keys", "one key gone"])
def test_a_lost_key_store_is_a_loud_error_never_every_customer_erased(
    tmp_path: Path, damage: str
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    _demo(env)
    release_personal_data()
    keys_file = tmp_path / "store.keys.db"
    if damage == "missing":
        keys_file.unlink()
    elif damage == "empty file":
        keys_file.write_bytes(b"")
    else:
        with sqlite3.connect(keys_file) as db:
            db.execute(
                "DELETE FROM customer_keys" + (" WHERE rowid = 1" if "one" in damage else "")
            )
    with pytest.raises(KeyStoreMissing) as lost, RecoveryApp(env=env) as app:
        app.case(DEMO_CASE_ID)
    assert "recoverycore backup" in str(lost.value)
    if damage == "missing":
        assert not keys_file.exists(), "no new, empty key store was made beside the store"
    cli = subprocess.run(
        [sys.executable, "-m", "recoverycore.cli", "history", str(DEMO_CASE_ID)],
        env={**os.environ, "RECOVERYCORE_DB": str(tmp_path / "store.db")},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert cli.returncode != 0
    assert "KeyStoreMissing" in cli.stderr + cli.stdout
    assert ERASED not in cli.stdout


def test_a_plain_copy_of_the_key_file_alone_holds_every_key_while_the_store_is_in_use(
    tmp_path: Path,
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    clock = SimulatedClock(DEMO_CASE_START)
    with RecoveryApp(env=env, clock=clock) as app:
        run_case_demo(app, clock)
        app.handle(_allocation(uuid5(_IDS, "copied"), "477 921 003K", "WHAKAARI"))
        # No log beside the key file: the file alone is complete.
        assert not list(tmp_path.glob("store.keys.db-*"))
        shutil.copy(tmp_path / "store.keys.db", tmp_path / "copy.keys.db")
        held = _keys_of(tmp_path / "store.keys.db")
    assert len(held) == 2
    assert _keys_of(tmp_path / "copy.keys.db") == held


def test_a_backup_of_a_live_store_restores_with_every_key_and_view(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    env = sqlite_env(live / "store.db")
    _demo(env)
    with ReadModels(env) as views:
        views.catch_up()
    stop = threading.Event()
    recorded: list[UUID] = []

    def writer() -> None:
        with RecoveryApp(env=env) as app:
            n = 0
            while not stop.is_set() and n < 200:
                case_id = uuid5(_IDS, f"live {n}")
                app.handle(_allocation(case_id, f"{500_000_000 + n} X", f"SURNAME{n}"))
                recorded.append(case_id)
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(recorded) < 3:
            stop.wait(0.05)
        copied = backup(env, tmp_path / "copy")
    finally:
        stop.set()
        thread.join()
    assert {p.name for p in copied.files} >= {
        "store.db",
        "store.keys.db",
        "store.views.db",
        "store.followuppolicy.db",
    }
    release_personal_data()
    restored = sqlite_env(tmp_path / "copy" / "store.db")
    assert verify(restored).ok
    with RecoveryApp(env=restored) as app:
        assert app.case(DEMO_CASE_ID).crn == normalise_crn(DEMO_CRN)
        cases = [c for c in recorded if app.exists(c)]
        assert len(cases) >= 3
        for case_id in cases:
            assert app.case(case_id).customer.surname.startswith("SURNAME")
    with ReadModels(restored) as views:
        views.catch_up()
        assert views.audit(DEMO_CASE_ID).entries[0].details["crn"] == normalise_crn(DEMO_CRN)


def test_the_backup_command_copies_the_store_and_names_pg_dump_for_postgres(
    tmp_path: Path, pg_server: PgServer, pg_database: str
) -> None:
    env = sqlite_env(tmp_path / "store.db")
    _demo(env)
    out = subprocess.run(
        [sys.executable, "-m", "recoverycore.cli", "backup", str(tmp_path / "copy")],
        env={**os.environ, "RECOVERYCORE_DB": str(tmp_path / "store.db")},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "store.keys.db" in out.stdout
    assert (tmp_path / "copy" / "store.keys.db").exists()
    with pytest.raises(InvalidCommand, match="pg_dump"):
        backup(pg_server.env(pg_database), tmp_path / "pg")
