"""Personal data stored encrypted under a key per customer, and erased by destroying the key.

Event fields marked :data:`~recoverycore.events.PERSONAL` (a customer's CRN, name, phone
numbers, addresses) are stored as *tokens*: ``pii1:<subject>:<ciphertext>``, where the subject
is the customer's pseudonymous record id (``uuid5`` of the CRN, the same id the safeguard policy
uses) and the ciphertext is a synthetic-IV encryption under that customer's own 512-bit key:
the IV is HMAC-SHA-256 of the value under the key's first half (128 bits kept, which also
authenticates it) and the value is AES-256-CTR encrypted under the second half from that IV
(the SIV construction of Rogaway and Shrimpton, with HMAC as its PRF). It is
deterministic, so the same value of the same customer always gives the same token: the views
can still group and join on a CRN without ever holding it. Keys live in a key store beside the
events (``<store>.keys.db`` for SQLite, a table in the store's schema for PostgreSQL).

Reading a token whose key was destroyed (``recoverycore forget CRN``) gives :data:`ERASED`, so
every history still replays; the chain covers the stored tokens, so it still verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
import time
import weakref
from collections.abc import Mapping
from functools import cache
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin
from uuid import UUID, uuid5

from pydantic import BaseModel

from recoverycore.errors import PersonalDataErased
from recoverycore.events import normalise_crn
from recoverycore.persistence._keys import (
    KeyStore,
    MemoryKeyStore,
    PostgresKeyStore,
    SQLiteKeyStore,
    keys_path,
)

__all__ = [
    "ERASED",
    "KEY_CACHE_SECONDS",
    "PERSONAL_DATA",
    "ForgetResult",
    "PersonalData",
    "PersonalDataErased",
    "is_token",
    "legacy_subject_of_crn",
    "personal_data_for",
    "personal_spec",
    "protected_form",
    "release_personal_data",
    "remember_protected_form",
    "subject_of_crn",
]

ERASED = "[erased]"
"""What a personal field reads as once its customer's key has been destroyed."""

PERSONAL_DATA = "RECOVERYCORE_PERSONAL_DATA"
"""Environment variable: ``protect`` (the default for SQLite files and PostgreSQL) stores
personal fields encrypted under a key per customer; ``plain`` stores them as they are (the
default for in-memory stores, where nothing is at rest)."""

KEY_CACHE_SECONDS = "RECOVERYCORE_KEY_CACHE_SECONDS"
"""Environment variable: how long a running application keeps a customer's key in memory
(default 60 seconds) before reading it again, so a ``forget`` elsewhere takes effect."""

_TOKEN = re.compile(r"pii1:([0-9a-f]{32}):([A-Za-z0-9_-]+)")
_PREFIX = "pii1:"
_CUSTOMER_NS = UUID("3f6e2b0c-8d71-4a7e-b0e4-5d1c2a9f7e31")
"""The safeguard policy's customer namespace (``policies.safeguards.customer_id``)."""


def _ctr(key: bytes, iv: bytes) -> Any:
    from Crypto.Cipher import AES

    return AES.new(key, AES.MODE_CTR, initial_value=iv, nonce=b"")


def subject_of_crn(crn: str) -> str:
    """The key subject of a customer: their pseudonymous record id, as hex."""
    return uuid5(_CUSTOMER_NS, normalise_crn(crn)).hex


def legacy_subject_of_crn(crn: str) -> str:
    """The key subject stores written before CRNs were normalised gave ``crn`` (spaces dropped,
    upper case, dashes kept): ``forget`` destroys that key too."""
    return uuid5(_CUSTOMER_NS, "".join(crn.split()).upper()).hex


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_PREFIX) and bool(_TOKEN.fullmatch(value))


# -- which fields are personal --------------------------------------------------------------------
Spec = dict[str, Any]
"""Field name -> ``True`` (personal: a text, or a tuple or list of texts) or the spec of a nested
model (applied to each item of a tuple or list of models)."""


def _is_mark(meta: object) -> bool:
    extra = getattr(meta, "json_schema_extra", None)
    return isinstance(extra, dict) and bool(extra.get("x-personal"))


def _marked(annotation: Any) -> bool:
    """Whether ``annotation`` is a personal text, or an optional, tuple or list of them
    (``tuple[PersonalText, ...]``: the mark sits on the items)."""
    if any(_is_mark(m) for m in getattr(annotation, "__metadata__", ())):
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _marked(get_args(annotation)[0])
    if origin in (Union, UnionType, tuple, list):
        return any(_marked(arg) for arg in get_args(annotation) if arg is not Ellipsis)
    return False


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    origin = get_origin(annotation)
    if origin in (Union, UnionType) or origin in (tuple, list):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


@cache
def personal_spec(model: type[BaseModel]) -> Spec:
    """The personal fields of ``model`` (and of the models nested in it)."""
    spec: Spec = {}
    for name, info in model.model_fields.items():
        if _is_mark(info) or _marked(info.annotation):
            spec[name] = True
            continue
        for nested in _models_in(info.annotation):
            sub = personal_spec(nested)
            if sub:
                spec[name] = sub
    return spec


def _apply(obj: dict[str, Any], spec: Spec, fn: Any) -> None:
    for name, sub in spec.items():
        value = obj.get(name)
        if value is None:
            continue
        if sub is True:
            if isinstance(value, str):
                if value:
                    obj[name] = fn(value)
            elif isinstance(value, list | tuple):
                obj[name] = type(value)(fn(v) if isinstance(v, str) and v else v for v in value)
        elif isinstance(value, dict):
            _apply(value, sub, fn)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, dict):
                    _apply(item, sub, fn)


# The stored JSON (with tokens) of each event read back with its personal fields revealed. A
# view fed live by eventsourcing's ProjectionRunner is handed only the domain event the mapper
# made (Projection.process_event(domain_event, tracking)), and must store what a rebuild reads
# from the log. The event is a frozen pydantic model whose equality covers its private
# attributes, so the bytes cannot ride on it; they are kept here, for as long as the event lives.
_PROTECTED_FORMS: weakref.WeakKeyDictionary[Any, bytes] = weakref.WeakKeyDictionary()


def remember_protected_form(event: Any, stored_json: bytes) -> None:
    """Keep the stored JSON (with tokens) of an event read with its personal fields revealed,
    for as long as the event lives, so views fed live store what a rebuild reads."""
    _PROTECTED_FORMS[event] = stored_json


def protected_form(event: Any) -> bytes | None:
    """The stored JSON of an event read from a protected store (``None`` otherwise)."""
    try:
        return _PROTECTED_FORMS.get(event)
    except TypeError:
        return None


# -- encryption -----------------------------------------------------------------------------------
class PersonalData:
    """Encrypts and reveals the personal fields of stored events with customers' keys.

    One instance per store and process is shared by every application on that store (see
    :func:`personal_data_for`). Keys read from the key store are kept for ``key_cache_seconds``
    (``RECOVERYCORE_KEY_CACHE_SECONDS``, default 60): a key destroyed by another process is
    honoured by a running application within that time, and at once by the views' answers
    (:meth:`reveal` reads the keys afresh).
    """

    def __init__(self, keys: KeyStore, *, key_cache_seconds: float = 60.0) -> None:
        self.keys = keys
        self.key_cache_seconds = key_cache_seconds
        # The caches take no lock. Every write to them is one dict operation, which is atomic
        # (under the GIL, and per dict in free-threaded builds). The read-then-write sequences
        # that interleave harmlessly: two threads reading the same key both cache it; two
        # creating it both get the key in force (KeyStore.create inserts only if absent). A read
        # racing a forget in this process may cache the old key again, for key_cache_seconds at
        # most: the bound a forget in another process has anyway, and reveal() reads keys afresh.
        # A lock around the cache alone would not close that window (the key store is read
        # outside it); holding one across key store I/O would serialise every application's
        # reads and writes on the store.
        self._cache: dict[str, bytes | None] = {}
        self._read_at: dict[str, float] = {}
        self._links: dict[str, str] = {}
        self._tokens: dict[tuple[str, str], str] = {}

    # keys
    def _key(self, subject: str, *, fresh: bool = False) -> bytes | None:
        if (
            not fresh
            and subject in self._cache
            and time.monotonic() - self._read_at.get(subject, 0.0) < self.key_cache_seconds
        ):
            return self._cache[subject]
        known, key = self.keys.get(subject, fresh=fresh)
        key = bytes(key) if key is not None else None
        if known:
            self._cache[subject] = key
            self._read_at[subject] = time.monotonic()
        else:
            self._cache.pop(subject, None)
        return key

    def _key_for_writing(
        self, subject: str, link: str | None = None, *, looked_up: bool = False
    ) -> bytes:
        key = self._cache.get(subject) if looked_up else self._key(subject)
        if key is not None:
            return key
        if subject in self._cache and self._cache[subject] is None:  # forgotten
            raise PersonalDataErased(subject)
        key = self.keys.create(subject, os.urandom(64), link=link)
        self._cache[subject] = key
        self._read_at[subject] = time.monotonic()
        return key

    def subject_for(self, aggregate_id: UUID, crn: str | None) -> str:
        """The customer an event of ``aggregate_id`` belongs to (linking it on first sight)."""
        agg = aggregate_id.hex
        subject = self._links.get(agg)
        if subject is not None:
            return subject
        if crn:
            subject = subject_of_crn(crn)
            if self._key(subject) is None:
                # A new customer: their key and this link in one durable transaction.
                self._key_for_writing(subject, link=agg, looked_up=True)
            else:
                self.keys.link(agg, subject)
        else:
            subject = self.keys.subject_of(agg) or agg
        self._links[agg] = subject
        return subject

    def snapshot_subject(self, aggregate_id: UUID) -> str | None:
        """The customer a plan or case belongs to, ``None`` if it holds no personal data."""
        agg = aggregate_id.hex
        subject = self._links.get(agg)
        if subject is None:
            subject = self.keys.subject_of(agg)
            if subject is not None:
                self._links[agg] = subject
        return subject

    # tokens
    def seal(self, subject: str, value: str) -> str:
        """The token of ``value`` under ``subject``'s key (the same value, the same token)."""
        memo_key = (subject, value)
        token = self._tokens.get(memo_key)
        if token is not None:
            return token
        key = self._key_for_writing(subject)
        data = value.encode()
        iv = hmac.new(key[:32], data, hashlib.sha256).digest()[:16]
        ciphertext = _ctr(key[32:], iv).encrypt(data)
        text = base64.urlsafe_b64encode(iv + ciphertext).rstrip(b"=").decode()
        token = f"{_PREFIX}{subject}:{text}"
        if len(self._tokens) > 50_000:
            self._tokens.clear()
        self._tokens[memo_key] = token
        return token

    def open(self, token: str, keys: dict[str, bytes | None] | None = None) -> str:
        """The plaintext of a token (:data:`ERASED` once its key is destroyed). ``keys``, if
        given, memoises keys read afresh from the key store."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return token
        subject = match.group(1)
        if keys is None:
            key = self._key(subject)
        elif subject in keys:
            key = keys[subject]
        else:
            key = keys[subject] = self._key(subject, fresh=True)
        if key is None:
            return ERASED
        raw = base64.urlsafe_b64decode(match.group(2) + "=" * (-len(match.group(2)) % 4))
        iv, ciphertext = raw[:16], raw[16:]
        data = _ctr(key[32:], iv).decrypt(ciphertext)
        if not hmac.compare_digest(hmac.new(key[:32], data, hashlib.sha256).digest()[:16], iv):
            raise ValueError(f"A personal-data token of record {subject} does not authenticate.")
        text: str = data.decode()
        return text

    def token_for_crn(self, crn: str) -> str | None:
        """The token a CRN is stored as (to find a customer's records), ``None`` if unknown or
        forgotten."""
        subject = subject_of_crn(crn)
        if self._key(subject) is None:
            return None
        return self.seal(subject, normalise_crn(crn))

    # whole events
    def protect(self, state: dict[str, Any], spec: Spec, aggregate_id: UUID) -> None:
        """Replace the personal fields of a stored event's state by tokens, in place."""
        crn = state.get("crn") if isinstance(state.get("crn"), str) else None
        subjects: list[str] = []

        def seal(value: str) -> str:
            if is_token(value):
                return value
            if not subjects:  # only events with a personal value need their customer
                subjects.append(self.subject_for(aggregate_id, crn))
            return self.seal(subjects[0], value)

        _apply(state, spec, seal)

    def reveal_fields(self, state: dict[str, Any], spec: Spec) -> None:
        """Replace the tokens in a stored event's personal fields by their plaintext."""
        _apply(state, spec, lambda v: self.open(v) if is_token(v) else v)

    def reveal(self, obj: Any, keys: dict[str, bytes | None] | None = None) -> Any:
        """A copy of any JSON-like value with every token replaced by its plaintext, with each
        customer's key read afresh (so a key destroyed elsewhere shows at once)."""
        keys = {} if keys is None else keys
        if isinstance(obj, str):
            return self.open(obj, keys) if is_token(obj) else obj
        if isinstance(obj, dict):
            return {k: self.reveal(v, keys) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return type(obj)(self.reveal(v, keys) for v in obj)
        return obj

    def forget(self, crn: str) -> ForgetResult:
        return self.forget_subject(subject_of_crn(crn))

    def forget_subject(self, subject: str) -> ForgetResult:
        """Destroy one key subject's key (see :func:`recoverycore.forget`)."""
        aggregates = self.keys.aggregates_of(subject)
        destroyed = self.keys.destroy(subject)
        self._cache[subject] = None
        return ForgetResult(subject=subject, key_destroyed=destroyed, aggregates=aggregates)


class ForgetResult(BaseModel):
    subject: str
    """The customer's pseudonymous record id."""
    key_destroyed: bool
    """False when there was no key (never recorded, or already forgotten)."""
    aggregates: list[str]
    """The plans, cases and records whose personal fields now read as erased (hex ids)."""


_SHARED: dict[str, PersonalData] = {}
_OPEN_STORES = 32
_SHARED_LOCK = threading.Lock()
_MEMORY = "memory"


def personal_data_for(env: Mapping[str, str]) -> PersonalData | None:
    """The shared :class:`PersonalData` of the store ``env`` describes, or ``None`` when its
    personal data is stored plain (:data:`PERSONAL_DATA`)."""
    # Imported here: _store imports the mapper, which imports this module.
    from recoverycore.persistence._store import StoreKind, store_kind

    raw = dict(env)
    kind = store_kind(raw)
    dbname = raw.get("SQLITE_DBNAME") or ""
    in_memory = kind is StoreKind.MEMORY or (
        kind is StoreKind.SQLITE and (dbname == ":memory:" or dbname.startswith("file:"))
    )
    mode = (raw.get(PERSONAL_DATA) or ("plain" if in_memory else "protect")).lower()
    if mode not in ("protect", "plain"):
        raise ValueError(f"{PERSONAL_DATA} must be 'protect' or 'plain', not {mode!r}.")
    if mode == "plain":
        return None
    if in_memory:
        where = _MEMORY
    elif kind is StoreKind.SQLITE:
        where = "sqlite:" + os.path.abspath(keys_path(dbname))
    elif kind is StoreKind.POSTGRES:
        where = "postgres:" + ":".join(
            raw.get(k) or ""
            for k in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME", "POSTGRES_SCHEMA")
        )
    else:
        raise ValueError(
            f"Personal data protection does not support {raw['PERSISTENCE_MODULE']}; "
            f"set {PERSONAL_DATA}=plain."
        )
    with _SHARED_LOCK:
        shared = _SHARED.pop(where, None)
        if shared is not None:
            _SHARED[where] = shared  # most recently used last
        if (
            shared is not None
            and where.startswith("sqlite:")
            and not os.path.exists(where.removeprefix("sqlite:"))
        ):
            # The store was deleted (and may be made again at the same path): its keys and
            # links are gone, so nothing remembered of them may be used.
            shared.keys.close()
            del _SHARED[where]
            shared = None
        if shared is None:
            if where == _MEMORY:
                store: KeyStore = MemoryKeyStore()
            elif where.startswith("sqlite:"):
                store = SQLiteKeyStore(where.removeprefix("sqlite:"))
            else:
                store = PostgresKeyStore(raw)
            seconds = float(raw.get(KEY_CACHE_SECONDS) or 60)
            shared = _SHARED[where] = PersonalData(store, key_cache_seconds=seconds)
            while len(_SHARED) > _OPEN_STORES:
                # Close the least recently used store's connection; it reopens if used again.
                _SHARED[next(iter(_SHARED))].keys.close()
                del _SHARED[next(iter(_SHARED))]
        return shared


def release_personal_data() -> None:
    """Close every shared key store (tests, and processes that open many stores)."""
    with _SHARED_LOCK:
        for shared in _SHARED.values():
            shared.keys.close()
        _SHARED.clear()
