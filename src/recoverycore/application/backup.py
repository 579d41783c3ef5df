"""A consistent copy of a SQLite store: its events, the policies' files, the views and the key file.

Each file is copied with SQLite's online backup API (``sqlite3.Connection.backup``), which reads
one consistent snapshot of a file while other processes go on writing it (it takes the pages in
the write-ahead log too, which a plain file copy of ``store.db`` leaves behind). The files are
copied in the order that keeps the copy consistent across files:

1. the views (they track positions in the logs, so they must not be ahead of the logs copied
   after them);
2. the policies' files (they track positions in the store's log);
3. the store's file;
4. the key file, last: a key is always recorded before any event encrypted under it, so every
   token in the files copied before has its key (or its tombstone) in the copy.

A PostgreSQL store is backed up with ``pg_dump`` (one consistent snapshot of the database: the
events, the views and the tables ``customer_keys``, ``customer_links``, ``customer_lookup``,
``key_store_secret`` and ``key_store_state``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from recoverycore.errors import InvalidCommand
from recoverycore.persistence import (
    POLICY_APPLICATIONS,
    StoreKind,
    keys_path,
    store_kind,
)
from recoverycore.projections import views_database

__all__ = ["Backup", "backup"]


class Backup(BaseModel):
    """What :func:`backup` copied."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    files: tuple[Path, ...]
    """The copies made, in the order they were taken."""


def _files(env: Mapping[str, str]) -> list[Path]:
    store = env.get("SQLITE_DBNAME") or ""
    if not store or store == ":memory:" or store.startswith("file:"):
        raise InvalidCommand(
            "SQLITE_DBNAME",
            "an in-memory store has no files to back up.",
            "Record to a SQLite file (--db PATH) to be able to back it up.",
        )
    policies = [env.get(f"{name.upper()}_SQLITE_DBNAME") or "" for name in POLICY_APPLICATIONS]
    ordered = [views_database(store), *policies, store, keys_path(store)]
    return [Path(p) for p in ordered if p and p != ":memory:" and os.path.exists(p)]


def backup(env: Mapping[str, str], dest: str | os.PathLike[str]) -> Backup:
    """Copy the SQLite store ``env`` describes, with its policies' files, views and key file,
    into the folder ``dest`` (made if missing; files already there are not overwritten), while
    other processes go on using it. Restore by using the copied ``store.db`` (its other files
    beside it). Raises :class:`~recoverycore.errors.InvalidCommand` for a store that is not a
    SQLite file (PostgreSQL: use ``pg_dump``)."""
    kind = store_kind(env)
    if kind is StoreKind.POSTGRES:
        raise InvalidCommand(
            "PERSISTENCE_MODULE",
            "recoverycore backup copies SQLite stores; a PostgreSQL store is backed up by "
            "PostgreSQL itself.",
            "Run pg_dump on the store's database (add --schema for a store in its own schema): "
            "one consistent snapshot of the events, the views and the customers' keys "
            "(customer_keys, customer_links, customer_lookup, key_store_secret, key_store_state). "
            "Restore with pg_restore or psql.",
        )
    if kind is not StoreKind.SQLITE:
        raise InvalidCommand(
            "PERSISTENCE_MODULE",
            "only a SQLite store on a file can be backed up by recoverycore.",
            "Record to a SQLite file (--db PATH), or back up your store with its own tools.",
        )
    sources = _files(env)
    target = Path(dest)
    target.mkdir(parents=True, exist_ok=True)
    taken = [target / source.name for source in sources]
    existing = [str(p) for p in taken if p.exists()]
    if existing:
        raise InvalidCommand(
            "dest",
            f"{', '.join(existing)} already exist(s); a backup never overwrites files.",
            "Give an empty folder, or move the old backup away first.",
        )
    for source, copy in zip(sources, taken, strict=True):
        partial = copy.with_name(copy.name + ".partial")
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
            finally:
                dst.close()
        finally:
            src.close()
        # The copy is a plain rollback-journal file, complete on its own.
        with sqlite3.connect(partial) as check:
            check.execute("PRAGMA journal_mode = DELETE")
        check.close()
        partial.replace(copy)
    return Backup(files=tuple(taken))
