"""What a command may carry: every value is checked against the plausible ranges and limits of
:mod:`recoverycore.events` before anything is decided, so no input can poison the store.

:func:`check_command` walks every value of a command (nested values and lists included) and
raises :class:`~recoverycore.errors.InvalidCommand` naming the first one that cannot be recorded
exactly: a time or date outside the plausible range, an offset the stored form cannot keep, a
control character, a lone surrogate, a bidirectional or invisible character in an identifier,
a text, list or whole command over its size limit, an integer or amount too large. The
:class:`~recoverycore.aggregates.Command` base runs it when a command is built (pydantic then
reports it as a ``ValidationError`` with the same words), ``decide`` runs it again, and
:func:`admit` also validates a command built without validation (``model_construct``,
``model_copy(update=...)``) as if it were built afresh. Events are never checked this way: they
are read as they were stored.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Annotated, Any, TypeVar, get_args
from uuid import UUID

from pydantic import BaseModel, ValidationError

from recoverycore.errors import InvalidCommand
from recoverycore.events import (
    EARLIEST_DATE,
    EARLIEST_TIME,
    IDENTIFIER,
    LATEST_DATE,
    LATEST_TIME,
    MAX_AMOUNT,
    MAX_AMOUNT_PLACES,
    MAX_COMMAND_CHARS,
    MAX_IDENTIFIER_CHARS,
    MAX_INT,
    MAX_ITEMS,
    MAX_TEXT_CHARS,
)

__all__ = [
    "Ref",
    "admit",
    "check_command",
    "check_time",
    "invalid_command",
    "mark_validated",
    "was_validated",
]

M = TypeVar("M", bound=BaseModel)

Ref = Annotated[str, IDENTIFIER]
"""A command's identifier that may be empty (or is compared as given, not stripped): checked as
an :data:`~recoverycore.events.Identifier`."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters free text may not hold: every C0 and C1 control but tab, line feed and
carriage return (NUL cannot be stored in PostgreSQL text at all)."""
_IDENTIFIER_BANNED = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    "\u2800\u3164\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f]"
)
"""What an identifier may not hold besides surrogates: every control character (tab and line
breaks included), the bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F,
U+061C, U+202A-U+202E, U+2066-U+2069), the invisible characters (soft hyphen, zero-width space
and joiners, word joiner, byte order mark, tags, the Hangul fillers and the braille blank, which
display as nothing) and the line and paragraph separators: each
can make one id look like another, or hide part of it."""

_TEXT_SUSPECT = re.compile(f"{_SURROGATE.pattern}|{_TEXT_CONTROL.pattern}")
_IDENTIFIER_SUSPECT = re.compile(f"{_SURROGATE.pattern}|{_IDENTIFIER_BANNED.pattern}")

_NAMES = {
    0x00: "NUL",
    0x09: "tab",
    0x0A: "line feed",
    0x0D: "carriage return",
    0x1B: "escape",
    0x7F: "delete",
    0x200E: "left-to-right mark",
    0x200F: "right-to-left mark",
    0x202A: "left-to-right embedding",
    0x202B: "right-to-left embedding",
    0x202C: "pop directional formatting",
    0x202D: "left-to-right override",
    0x202E: "right-to-left override",
    0x2066: "left-to-right isolate",
    0x2067: "right-to-left isolate",
    0x2068: "first strong isolate",
    0x2069: "pop directional isolate",
    0x200B: "zero-width space",
    0xFEFF: "zero-width no-break space",
}


def _char(c: str) -> str:
    name = _NAMES.get(ord(c))
    return f"U+{ord(c):04X} ({name})" if name else f"U+{ord(c):04X}"


class _Budget:
    """The characters of text a command may still carry."""

    def __init__(self) -> None:
        self.left = MAX_COMMAND_CHARS

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise InvalidCommand(
                "command",
                f"the whole command carries more than {MAX_COMMAND_CHARS:,} characters of text.",
                "Record the text in several commands (several notes), or attach it as a "
                "document and record its reference.",
            )


_MISSING = object()


@cache
def _fields(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """The fields of ``model``, each with whether it is marked
    :data:`~recoverycore.events.IDENTIFIER` (alone, in a list, or optional)."""
    return tuple(
        (name, IDENTIFIER in info.metadata or _marked(info.annotation))
        for name, info in model.model_fields.items()
    )


def _marked(annotation: Any) -> bool:
    return any(arg is IDENTIFIER or _marked(arg) for arg in get_args(annotation))


_STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/-]*")
"""A staff id as HR systems issue them: ASCII letters and digits, with dots, hyphens,
underscores, colons, at signs and slashes between."""


def check_command(command: BaseModel) -> None:
    """Refuse (:class:`InvalidCommand`, naming the field) any value of ``command`` that cannot
    be recorded exactly or is outside the plausible range."""
    _check_model(command, "", _Budget())
    actor = getattr(command, "actor", None)
    staff_id = getattr(actor, "staff_id", None)
    if isinstance(staff_id, str) and not _STAFF_ID.fullmatch(staff_id):
        raise InvalidCommand(
            "actor.staff_id",
            f"{staff_id!r} is not a staff id: only ASCII letters and digits, with . _ - : @ / "
            "between them (a look-alike letter or an invisible character would let one person "
            "pass for another).",
            "Give the officer's staff id as the HR system issued it.",
        )


def _check_model(model: BaseModel, path: str, budget: _Budget) -> None:
    for name, identifier in _fields(type(model)):
        value: Any = getattr(model, name, _MISSING)
        kind = type(value)
        if kind is str:
            _check_text(value, path + name, identifier)
            budget.spend(len(value))
        elif kind not in _PLAIN:
            if value is _MISSING:
                raise InvalidCommand(path + name, "is missing.", "Give a value for it.")
            _check_value(value, path + name, identifier, budget)


_PLAIN = frozenset({type(None), bool, UUID})
"""Types whose every value can be recorded."""


def _check_value(value: Any, where: str, identifier: bool, budget: _Budget) -> None:
    if value is None or isinstance(value, (bool, UUID, Enum)):
        return
    if isinstance(value, str):
        _check_text(value, where, identifier)
        budget.spend(len(value))
    elif isinstance(value, int):
        if not -MAX_INT - 1 <= value <= MAX_INT:
            raise InvalidCommand(where, "is too large a number to be stored.")
    elif isinstance(value, Decimal):
        _check_amount(value, where)
    elif isinstance(value, float):
        if value != value or abs(value) > MAX_INT:
            raise InvalidCommand(where, "is not a plausible number.")
    elif isinstance(value, datetime):
        check_time(value, where)
    elif isinstance(value, date):
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise InvalidCommand(
                where,
                f"{value.isoformat()} is outside the plausible range of dates "
                f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}).",
                "Check the date (its year, in particular) and record it again.",
            )
    elif isinstance(value, BaseModel):
        _check_model(value, f"{where}.", budget)
    elif isinstance(value, (tuple, list, frozenset, set)):
        if len(value) > MAX_ITEMS:
            raise InvalidCommand(
                where,
                f"has {len(value):,} items; at most {MAX_ITEMS:,} can be recorded at once.",
                "Record them in several commands.",
            )
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", identifier, budget)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, where, identifier, budget)
            _check_value(item, f"{where}[{key!r}]", identifier, budget)


def _check_text(text: str, where: str, identifier: bool) -> None:
    limit = MAX_IDENTIFIER_CHARS if identifier else MAX_TEXT_CHARS
    if len(text) > limit:
        what = "an identifier" if identifier else "a text"
        raise InvalidCommand(
            where,
            f"is {len(text):,} characters long; {what} may have at most {limit:,}.",
            "Shorten it (a long text can be attached as a document and its reference recorded)."
            if not identifier
            else "Check that the right value was given: ids, references and numbers are short.",
        )
    if (_IDENTIFIER_SUSPECT if identifier else _TEXT_SUSPECT).search(text) is None:
        return
    if found := _SURROGATE.search(text):
        raise InvalidCommand(
            where,
            f"contains a lone surrogate ({_char(found.group())}), which is not a character "
            "and cannot be stored.",
            "Enter the text again: the program that produced it damaged it.",
        )
    if identifier:
        if found := _IDENTIFIER_BANNED.search(text):
            raise InvalidCommand(
                where,
                f"contains the invisible or control character {_char(found.group())}; an "
                "identifier may not hold control, bidirectional, invisible or line-breaking "
                "characters, which can make one id look like another.",
                "Type the id again without it.",
            )
    elif found := _TEXT_CONTROL.search(text):
        raise InvalidCommand(
            where,
            f"contains the control character {_char(found.group())}, which cannot be stored "
            "or shown.",
            "Remove it: tabs and line breaks are the only control characters a text may hold.",
        )


def check_time(value: datetime, where: str) -> None:
    """Refuse a time that is naive, outside the plausible range, or has an offset the stored
    form cannot keep (seconds or fractions of a minute)."""
    offset = value.utcoffset()
    if offset is None:
        raise InvalidCommand(
            where,
            "has no time zone.",
            "Give the time with its UTC offset (e.g. 2026-03-02T10:05+11:00).",
        )
    if offset % timedelta(minutes=1):
        raise InvalidCommand(
            where,
            f"has the UTC offset {offset}, which is not whole minutes and cannot be stored "
            "exactly.",
            "Give the time in UTC or with an offset in whole minutes.",
        )
    if not EARLIEST_TIME <= value < LATEST_TIME:
        raise InvalidCommand(
            where,
            f"{value.isoformat()} is outside the plausible range of times "
            f"({EARLIEST_TIME.isoformat()} to {LATEST_TIME.isoformat()}).",
            "Check the time (its year, in particular) and record it again.",
        )


def _check_amount(value: Decimal, where: str) -> None:
    if not value.is_finite():
        raise InvalidCommand(where, f"{value} is not an amount.", "Give the amount in dollars.")
    if abs(value) > MAX_AMOUNT:
        raise InvalidCommand(
            where,
            f"is larger than the largest plausible amount ({MAX_AMOUNT:,} dollars).",
            "Check the amount and record it again.",
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_AMOUNT_PLACES:
        raise InvalidCommand(
            where,
            f"{value} has more than {MAX_AMOUNT_PLACES} decimal places.",
            "Give the amount in dollars and cents.",
        )


# -- a command built without validation -----------------------------------------------------------
_VALIDATED: dict[int, weakref.ref[BaseModel]] = {}
"""The commands of this process that were validated when they were built (by id, while they
live): ``model_construct`` and ``model_copy(update=...)`` make new objects that are not here."""


def mark_validated(command: BaseModel) -> None:
    """Note that ``command`` was validated (and checked) when it was built."""
    key = id(command)
    _VALIDATED[key] = weakref.ref(command, lambda _: _VALIDATED.pop(key, None))


def was_validated(command: BaseModel) -> bool:
    """Whether ``command`` (this very object) was validated when it was built."""
    ref = _VALIDATED.get(id(command))
    return ref is not None and ref() is command


def admit(command: M) -> M:
    """``command`` checked and validated as if it were built afresh (a command built with
    ``model_construct`` or ``model_copy(update=...)`` skipped validation): the command to decide,
    or :class:`InvalidCommand` naming the first field that cannot be recorded. A command that
    was validated when it was built is returned as it is."""
    if was_validated(command):
        return command
    try:
        return type(command).model_validate(command.model_dump(warnings=False))
    except ValidationError as error:
        # The walk names some refusals more plainly than pydantic (a lone surrogate, say).
        check_command(command)
        raise invalid_command(error) from None


def invalid_command(error: Exception) -> InvalidCommand:
    """The :class:`InvalidCommand` an unexpected error met while deciding or validating stands
    for (the first of a ``ValidationError``'s errors, naming its field)."""
    if isinstance(error, InvalidCommand):
        return error
    if isinstance(error, ValidationError):
        for detail in _details(error):
            cause = detail.get("ctx", {}).get("error")
            if isinstance(cause, InvalidCommand):
                return cause
            field = ".".join(str(part) for part in detail["loc"]) or "command"
            return InvalidCommand(field, f"{detail['msg']}.")
    return InvalidCommand(
        "command",
        f"one of its values cannot be recorded ({type(error).__name__}: {error}).",
        "Check the values (dates, amounts, text) and record it again.",
    )


def _details(error: ValidationError) -> Iterator[Any]:
    yield from error.errors(include_url=False)
