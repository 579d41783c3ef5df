"""Personal data stored encrypted under a key per customer, and erased by destroying the key.

Event fields marked :data:`~recoverycore.events.PERSONAL` (a customer's CRN, name, phone
numbers, addresses, and the text officers write about them: notes, reasons, document names;
texts, optional texts, tuples of texts and models nested in events alike) are stored as
*tokens*: ``pii2:<subject>:<ciphertext>``, where the subject is the customer's pseudonymous
record id (the same id the safeguard policy uses) and the ciphertext is AES-SIV (RFC 5297, from
the ``cryptography`` library) under that customer's own 512-bit key, with the scheme and the
subject as associated data. AES-SIV is deterministic, so the same value of the same customer
always gives the same token: the views can still group and join on a CRN without ever holding
it. Customers whose key was made by the first versions keep their ``pii1:`` tokens (an
HMAC-SHA-256 synthetic IV and AES-256-CTR), so their old and new values stay comparable; both
read. Keys live in a key store beside the events (``<store>.keys.db`` for SQLite, a table in
the store's schema for PostgreSQL).

A customer's record id is random (``uuid4``, made when their first plan or case is recorded),
found through a lookup row keyed by HMAC-SHA-256 of the normalised CRN under the key store's
own secret (:meth:`PersonalData.record_of_crn`), so no stored value can be tested against
guessed CRNs without that secret; ``forget`` deletes the lookup row with the key, and afterwards
nothing links the record id to the CRN. Customers that stores written before kept under
``uuid5`` of their CRN (:func:`subject_of_crn`) keep that id: a lookup that finds no row falls
back to it when the key store holds a key for it, and writes the row.

Reading a token whose key was destroyed (``recoverycore forget CRN``) gives :data:`ERASED`, so
every history still replays; the chain covers the stored tokens, so it still verifies. Reading
a token whose customer the key store has never seen raises :class:`KeyStoreMissing`.
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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from types import UnionType
from typing import Annotated, Any, NamedTuple, Union, get_args, get_origin
from uuid import UUID, uuid4, uuid5

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from pydantic import BaseModel

from recoverycore.errors import KeyStoreMissing, PersonalDataErased
from recoverycore.events import normalise_crn
from recoverycore.events.customer import CUSTOMER_NAMESPACE
from recoverycore.persistence._keys import (
    CustomerKey,
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
(default 60 seconds) before reading it again. A ``forget`` anywhere takes effect at once
regardless: it moves the key store's generation, which every read checks."""

_TOKEN = re.compile(r"(pii[12]):([0-9a-f]{32}):([A-Za-z0-9_-]+)")
_PREFIX = "pii1:"
_PREFIX_V2 = "pii2:"
_CUSTOMER_NS = CUSTOMER_NAMESPACE
"""The safeguard policy's customer namespace (``policies.safeguards.customer_id``)."""


def subject_of_crn(crn: str) -> str:
    """The record id (hex) stores written before record ids were random gave a customer:
    ``uuid5`` of the normalised CRN, which anyone can compute from a guessed CRN. Only found
    again for those customers (:meth:`PersonalData.record_of_crn`), and the record id of stores
    that keep personal data plain (where the CRN is stored as it is)."""
    return uuid5(_CUSTOMER_NS, normalise_crn(crn)).hex


def legacy_subject_of_crn(crn: str) -> str:
    """The key subject stores written before CRNs were normalised gave ``crn`` (spaces dropped,
    upper case, dashes kept): ``forget`` destroys that key too."""
    return uuid5(_CUSTOMER_NS, "".join(crn.split()).upper()).hex


def is_token(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith((_PREFIX, _PREFIX_V2))
        and bool(_TOKEN.fullmatch(value))
    )


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


# -- tokens: the ciphers --------------------------------------------------------------------------
# Kept apart from the field walking above. Scheme 2 (``pii2:``) is AES-SIV (RFC 5297) from the
# cryptography library (OpenSSL): deterministic and authenticated, with the token's scheme and
# customer bound in as associated data. Scheme 1 (``pii1:``) is the construction of the first
# versions, kept so their tokens still read and their customers' new values still give equal
# tokens: IV = HMAC-SHA-256(key[:32], value)[:16], AES-256-CTR under key[32:] from that IV.


def _ctr(key: bytes, iv: bytes) -> Cipher[modes.CTR]:
    return Cipher(algorithms.AES(key), modes.CTR(iv))


def _seal_v1(key: bytes, data: bytes) -> bytes:
    iv = hmac.new(key[:32], data, hashlib.sha256).digest()[:16]
    encryptor = _ctr(key[32:], iv).encryptor()
    ciphertext: bytes = encryptor.update(data) + encryptor.finalize()
    return iv + ciphertext


def _open_v1(key: bytes, raw: bytes) -> bytes | None:
    iv, ciphertext = raw[:16], raw[16:]
    decryptor = _ctr(key[32:], iv).decryptor()
    data: bytes = decryptor.update(ciphertext) + decryptor.finalize()
    if not hmac.compare_digest(hmac.new(key[:32], data, hashlib.sha256).digest()[:16], iv):
        return None
    return data


def _associated(subject: str) -> list[bytes]:
    return [b"pii2:" + subject.encode()]


def _seal_v2(siv: AESSIV, subject: str, data: bytes) -> bytes:
    return siv.encrypt(data, _associated(subject))


def _open_v2(siv: AESSIV, subject: str, raw: bytes) -> bytes | None:
    try:
        return siv.decrypt(raw, _associated(subject))
    except InvalidTag:
        return None


class _Entry(NamedTuple):
    """A customer's key as this process holds it, with the generation it was read under."""

    found: CustomerKey
    generation: int
    read_at: float
    siv: AESSIV | None


# -- encryption -----------------------------------------------------------------------------------
class PersonalData:
    """Encrypts and reveals the personal fields of stored events with customers' keys.

    One instance per store and process is shared by every application on that store (see
    :func:`personal_data_for`). Keys read from the key store are kept in memory under the key
    store's *generation*, a counter every ``forget`` moves: each read of personal data (each
    event, each token of a query's answer) reads the generation first and drops every kept key
    when it has moved, so an erasure anywhere is honoured at once by every process.

    Keys and links a command makes are pending until its events are recorded
    (:meth:`unit_of_work`): if recording fails, those nobody else has used are removed.
    """

    def __init__(self, keys: KeyStore, *, key_cache_seconds: float = 60.0) -> None:
        self.keys = keys
        self.key_cache_seconds = key_cache_seconds
        # The caches take no lock: every write to them is one dict operation (atomic under the
        # GIL, and per dict in free-threaded builds), and every entry carries the generation it
        # was read under, which is checked against the key store's on each use; so a thread
        # racing a forget caches at worst an entry the next read drops. Holding a lock across
        # key store I/O would serialise every application's reads and writes on the store.
        self._cache: dict[str, _Entry] = {}
        self._records: dict[str, tuple[str, int]] = {}
        self._links: dict[str, tuple[str, int]] = {}
        self._tokens: dict[tuple[str, str], tuple[str, int]] = {}
        self._generation_seen = -1
        self._work = threading.local()

    # keys
    def generation(self) -> int:
        """The key store's generation now, dropping every kept key if it has moved."""
        generation = self.keys.generation()
        if generation != self._generation_seen:
            self._generation_seen = generation
            self._cache.clear()
            self._records.clear()
            self._links.clear()
            self._tokens.clear()
        return generation

    def _key(
        self, subject: str, *, fresh: bool = False, generation: int | None = None
    ) -> CustomerKey:
        if generation is None:
            generation = self.generation()
        entry = self._cache.get(subject)
        if (
            entry is not None
            and not fresh
            and entry.generation == generation
            and time.monotonic() - entry.read_at < self.key_cache_seconds
        ):
            return entry.found
        found = self.keys.get(subject, fresh=fresh)
        if found.known:
            self._remember(subject, found, generation)
        else:
            self._cache.pop(subject, None)
        return found

    def _remember(self, subject: str, found: CustomerKey, generation: int) -> _Entry:
        siv = AESSIV(found.key) if found.key is not None and found.scheme >= 2 else None
        entry = self._cache[subject] = _Entry(found, generation, time.monotonic(), siv)
        return entry

    def _entry_for_writing(self, subject: str, generation: int) -> _Entry:
        found = self._key(subject, generation=generation)
        if found.key is None:
            if found.known:  # forgotten
                raise PersonalDataErased(subject)
            found = self.keys.enrol(subject, os.urandom(64), owner=self._owner())
            return self._remember(subject, found, generation)
        return self._cache[subject]

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Read several events (one aggregate's history) under one look at the key store's
        generation, rather than one per event: a forget that completes during the block is
        seen by the next read. Nested blocks belong to the outermost."""
        if getattr(self._work, "generation", None) is not None:
            yield
            return
        self._work.generation = self.generation()
        try:
            yield
        finally:
            self._work.generation = None

    def _owner(self) -> str | None:
        owner: str | None = getattr(self._work, "owner", None)
        return owner

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Record events inside this block: the keys and links made in it (this thread) are
        pending until the block ends, and removed if it raises, unless another command has used
        them meanwhile. So a command that fails after its personal data was encrypted leaves
        no key and no link behind. Nested blocks belong to the outermost."""
        if self._owner() is not None:
            yield
            return
        owner = uuid4().hex
        self._work.owner = owner
        try:
            yield
        except BaseException as failure:
            self._work.owner = None
            try:
                self.keys.abandon(owner)
            except Exception as e:  # the failure itself is what the caller must see
                failure.add_note(f"The keys made for it could not be removed ({e}).")
            raise
        finally:
            self._work.owner = None

    def subject_for(self, aggregate_id: UUID, crn: str | None) -> str:
        """The customer an event of ``aggregate_id`` belongs to (linking it on first sight)."""
        agg = aggregate_id.hex
        generation = self.generation()
        linked = self._links.get(agg)
        if linked is not None and linked[1] == generation:
            return linked[0]
        linked_subject = self.keys.subject_of(agg)
        if crn and linked_subject is None:
            subject = self.record_of_crn(crn, create=True)
            assert subject is not None  # made if new
            # The customer's key (made now for a new customer) and this link, in one durable
            # transaction that returns the key in force.
            found = self.keys.enrol(subject, os.urandom(64), aggregate_id=agg, owner=self._owner())
            self._remember(subject, found, generation)
        else:
            subject = linked_subject or agg
        self._links[agg] = (subject, generation)
        return subject

    def crn_digest(self, crn: str) -> str:
        """The customer lookup's key for ``crn``: HMAC-SHA-256 of its canonical spelling under
        the key store's secret, as hex."""
        data = normalise_crn(crn).encode()
        return hmac.new(self.keys.secret(), data, hashlib.sha256).hexdigest()

    def record_of_crn(self, crn: str, *, create: bool = False) -> str | None:
        """The customer's record id (hex key subject): found through the lookup row of the
        CRN's digest, else the ``uuid5`` id of a customer recorded before record ids were
        random (the row is written then), else a new random id when ``create`` (``None``
        otherwise: unknown, or forgotten)."""
        digest = self.crn_digest(crn)
        generation = self.generation()
        owner = self._owner()
        known = self._records.get(digest)
        if known is not None and known[1] == generation and owner is None:
            return known[0]
        subject = self.keys.record_of(
            digest,
            legacy=subject_of_crn(crn),
            new=uuid4().hex if create else None,
            owner=owner,
        )
        if subject is not None:
            self._records[digest] = (subject, generation)
        return subject

    def snapshot_subject(self, aggregate_id: UUID) -> str | None:
        """The customer a plan or case belongs to, ``None`` if it holds no personal data."""
        agg = aggregate_id.hex
        generation = self.generation()
        linked = self._links.get(agg)
        if linked is not None and linked[1] == generation:
            return linked[0]
        subject = self.keys.subject_of(agg)
        if subject is not None:
            self._links[agg] = (subject, generation)
        return subject

    # tokens
    def seal(self, subject: str, value: str) -> str:
        """The token of ``value`` under ``subject``'s key (the same value, the same token)."""
        generation = self.generation()
        memo_key = (subject, value)
        memo = self._tokens.get(memo_key)
        if memo is not None and memo[1] == generation:
            return memo[0]
        entry = self._entry_for_writing(subject, generation)
        key = entry.found.key
        assert key is not None  # _entry_for_writing raises for a forgotten customer
        data = value.encode()
        if entry.siv is not None:
            prefix, raw = _PREFIX_V2, _seal_v2(entry.siv, subject, data)
        else:
            prefix, raw = _PREFIX, _seal_v1(key, data)
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        token = f"{prefix}{subject}:{text}"
        if len(self._tokens) > 50_000:
            self._tokens.clear()
        self._tokens[memo_key] = (token, generation)
        return token

    def open(
        self,
        token: str,
        keys: dict[str, CustomerKey] | None = None,
        *,
        generation: int | None = None,
    ) -> str:
        """The plaintext of a token (:data:`ERASED` once its key is destroyed). ``keys``, if
        given, memoises keys read afresh from the key store. A token whose customer the key
        store has never seen raises :class:`KeyStoreMissing` (keys were lost, not destroyed)."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return token
        scheme, subject, text = match.groups()
        if keys is None:
            found = self._key(subject, generation=generation)
        elif subject in keys:
            found = keys[subject]
        else:
            found = keys[subject] = self._key(subject, fresh=True)
        if not found.known:
            raise KeyStoreMissing(
                self.keys.where,
                f"it has no key for customer record {UUID(hex=subject)}, whose data the store "
                "holds (a forgotten customer keeps a row with no key)",
            )
        if found.key is None:
            return ERASED
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if scheme == "pii2":
            entry = self._cache.get(subject)
            siv = entry.siv if entry is not None and entry.found == found else None
            data = _open_v2(siv or AESSIV(found.key), subject, raw)
        else:
            data = _open_v1(found.key, raw)
        if data is None:
            raise ValueError(f"A personal-data token of record {subject} does not authenticate.")
        return data.decode()

    def token_for_crn(self, crn: str) -> str | None:
        """The token a CRN is stored as (to find a customer's records), ``None`` if unknown or
        forgotten."""
        subject = self.record_of_crn(crn)
        if subject is None or self._key(subject).key is None:
            return None
        return self.seal(subject, normalise_crn(crn))

    def token_for_spelling(self, crn: str) -> str | None:
        """The token of ``crn`` exactly as spelt, under the key of that spelling (records
        written before CRNs were normalised), ``None`` if unknown or forgotten."""
        subject = legacy_subject_of_crn(crn)
        if self._key(subject).key is None:
            return None
        return self.seal(subject, crn)

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
        """Replace the tokens in a stored event's personal fields by their plaintext (the key
        store's generation read once for the event, or for the :meth:`reading` block)."""
        pinned: int | None = getattr(self._work, "generation", None)
        generation: list[int] = [] if pinned is None else [pinned]

        def reveal(value: str) -> str:
            if not is_token(value):
                return value
            if not generation:
                generation.append(self.generation())
            return self.open(value, generation=generation[0])

        _apply(state, spec, reveal)

    def reveal(self, obj: Any, keys: dict[str, CustomerKey] | None = None) -> Any:
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

    def aggregates_of(self, crn: str) -> list[str]:
        """The plans, cases and records linked to the customer with ``crn`` (hex ids)."""
        subject = self.record_of_crn(crn)
        return [] if subject is None else self.keys.aggregates_of(subject)

    def forget(self, crn: str) -> ForgetResult:
        subject = self.record_of_crn(crn)
        if subject is None:
            return ForgetResult(subject=None, key_destroyed=False, aggregates=[])
        return self.forget_subject(subject)

    def forget_subject(self, subject: str) -> ForgetResult:
        """Destroy one key subject's key, and delete the lookup row of its CRN (see
        :func:`recoverycore.forget`)."""
        aggregates = self.keys.aggregates_of(subject)
        destroyed = self.keys.destroy(subject)  # moves the generation: every kept key is dropped
        self._cache.pop(subject, None)
        return ForgetResult(subject=subject, key_destroyed=destroyed, aggregates=aggregates)


class ForgetResult(BaseModel):
    subject: str | None
    """The customer's pseudonymous record id (``None``: no customer has that CRN here)."""
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
                store = SQLiteKeyStore(
                    where.removeprefix("sqlite:"), store_path=os.path.abspath(dbname)
                )
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
