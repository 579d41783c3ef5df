"""An orjson transcoder that keeps eventsourcing's extensible ``Transcoding`` contract."""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import (
    JSONTranscoder,
    Transcoding,
    TranscodingNotRegisteredError,
)

__all__ = ["OrjsonTranscoder", "TupleAsList"]

_TYPE_MARKER = b'"_type_"'
_PLAIN = (str, int, float, bool, type(None))


class TupleAsList(Transcoding):
    """Keeps tuples distinct from lists, which plain JSON cannot."""

    type = tuple
    name = "tuple_as_list"

    def encode(self, obj: tuple[Any, ...]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> tuple[Any, ...]:
        return tuple(data)


def _decimal_as_str(obj: Any) -> Any:
    from decimal import Decimal

    if isinstance(obj, Decimal):
        return str(obj)
    raise TypeError(f"Object of type {type(obj)} is not JSON serializable")


class OrjsonTranscoder(JSONTranscoder):
    """A drop-in replacement for :class:`eventsourcing.persistence.JSONTranscoder` built on orjson.

    It is a ``JSONTranscoder`` subclass so that applications register their ``Transcoding``
    objects with it exactly as they do with the default (``Application.register_transcodings``),
    and it writes the same ``{"_type_": ..., "_data_": ...}`` envelopes, so either transcoder
    reads what the other wrote. Unlike the default it also keeps tuples and subclasses of
    ``str``, ``int``, ``dict`` and ``list`` when a transcoding is registered for them.

    :meth:`encode_native` is the fast path used by :class:`PydanticMapper`: a pydantic model's
    fields are restored from their declared types, so UUIDs, datetimes, dates and decimals can be
    written as plain JSON strings without type envelopes.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register(TupleAsList())

    # -- generic path (any registered type) ----------------------------------------------------
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(self._encode_value(obj))

    def decode(self, data: bytes) -> Any:
        decoded = orjson.loads(data)
        if _TYPE_MARKER in data:
            return self._decode_value(decoded)
        return decoded

    # -- fast path for schema-typed data ---------------------------------------------------------
    def encode_native(self, obj: Any) -> bytes:
        """Encode data whose reader knows its types (e.g. a pydantic model's ``model_dump()``)."""
        return orjson.dumps(obj, default=_decimal_as_str)

    def _encode_value(self, obj: Any) -> Any:
        obj_type = type(obj)
        if obj_type in _PLAIN:
            return obj
        if obj_type is dict:
            return {key: self._encode_value(value) for key, value in obj.items()}
        if obj_type is list:
            return [self._encode_value(value) for value in obj]
        try:
            transcoding = self.types[obj_type]
        except KeyError:
            msg = (
                f"Object of type {obj_type} is not "
                "serializable. Please define and register "
                "a custom transcoding for this type."
            )
            raise TranscodingNotRegisteredError(msg) from None
        return {"_type_": transcoding.name, "_data_": self._encode_value(transcoding.encode(obj))}

    def _decode_value(self, obj: Any) -> Any:
        if type(obj) is list:
            return [self._decode_value(value) for value in obj]
        if type(obj) is not dict:
            return obj
        decoded = {key: self._decode_value(value) for key, value in obj.items()}
        if len(decoded) == 2 and "_type_" in decoded and "_data_" in decoded:
            name = decoded["_type_"]
            try:
                transcoding = self.names[name]
            except (KeyError, TypeError):
                msg = (
                    f"Data serialized with name '{name}' is not "
                    "deserializable. Please register a "
                    "custom transcoding for this type."
                )
                raise TranscodingNotRegisteredError(msg) from None
            return transcoding.decode(decoded["_data_"])
        return decoded
