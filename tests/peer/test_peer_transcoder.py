"""eventsourcing's own transcoder suite, run against :class:`OrjsonTranscoder`.

Unlike upstream's legacy JSON transcoder, which skips the tuple and subclass cases, ours must
pass every test of the suite: tuples are kept by ``TupleAsList`` and the ``str``/``int``/
``dict``/``list`` subclasses by the transcodings registered below.
"""

from __future__ import annotations

from typing import Any

import eventsourcing.tests.persistence as es_persistence
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    Transcoder,
    Transcoding,
    UUIDAsHex,
)

from recoverycore.persistence import OrjsonTranscoder


class MydictAsDict(Transcoding):
    type = es_persistence.Mydict
    name = "mydict"

    def encode(self, obj: dict[Any, Any]) -> dict[Any, Any]:
        return dict(obj)

    def decode(self, data: dict[Any, Any]) -> Any:
        return es_persistence.Mydict(data)


class MyListAsList(Transcoding):
    type = es_persistence.MyList
    name = "mylist"

    def encode(self, obj: list[Any]) -> list[Any]:
        return list(obj)

    def decode(self, data: list[Any]) -> Any:
        return es_persistence.MyList(data)


class MyStrAsStr(Transcoding):
    type = es_persistence.MyStr
    name = "mystr"

    def encode(self, obj: str) -> str:
        return str(obj)

    def decode(self, data: str) -> Any:
        return es_persistence.MyStr(data)


class MyIntAsInt(Transcoding):
    type = es_persistence.MyInt
    name = "myint"

    def encode(self, obj: int) -> int:
        return int(obj)

    def decode(self, data: int) -> Any:
        return es_persistence.MyInt(data)


def construct_orjson_transcoder() -> OrjsonTranscoder:
    transcoder = OrjsonTranscoder()
    for transcoding in (
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        es_persistence.CustomType1AsDict(),
        es_persistence.CustomType2AsDict(),
        MydictAsDict(),
        MyListAsList(),
        MyStrAsStr(),
        MyIntAsInt(),
    ):
        transcoder.register(transcoding)
    return transcoder


class TestOrjsonTranscoderPassesEventsourcingTranscoderSuite(
    es_persistence.TranscoderTestCase  # type: ignore[misc]
):
    def construct_transcoder(self) -> Transcoder:
        return construct_orjson_transcoder()

    def test_tuples_and_subclasses_keep_their_types_when_nested(self) -> None:
        obj = {
            "t": (es_persistence.MyStr("a"), es_persistence.MyInt(1)),
            "l": es_persistence.MyList([es_persistence.Mydict({"k": (1, 2)})]),
        }
        copy = self.transcoder.decode(self.transcoder.encode(obj))
        self.assertEqual(obj, copy)
        self.assertIs(type(copy["t"]), tuple)
        self.assertIs(type(copy["l"][0]["k"]), tuple)
