"""The customer record as the views keep it: which plans and cases belong to each customer, and
the flags and MSP restrictions in force on the person (``recoverycore.events.customer``).

A view that shows them (workload, compliance) keeps four tables of its own, named after it:
``<view>_customers`` (the customer's CRN as stored, a token where personal data is protected,
and time zone), ``<view>_customer_records`` (each plan and case linked to the customer),
``<view>_customer_flags`` and ``<view>_customer_restrictions`` (one row per spell: from the
event that put the flag or the plan's restrictions in force to the one that ended it, both by
the time they were *recorded*). Only the customer record's own events write them, in the order
of its history, so they never depend on how the logs interleave with the plans' and cases'
events; the questions join them through the records a customer is linked to, so a flag shows on
a plan or case whichever was recorded first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel

from recoverycore.events.vocabulary import PROCEDURE_TIME_ZONE
from recoverycore.projections._recorders import ViewRecorder
from recoverycore.projections._view import ROW_MODEL, Fact, Statement, Write, json_text, utc_text

__all__ = [
    "CustomerFlagInForce",
    "CustomerRecord",
    "CustomerTables",
    "RestrictionInForce",
]


class CustomerFlagInForce(BaseModel):
    """A flag in force on the customer's record (it applies to every plan and case of theirs)."""

    model_config = ROW_MODEL

    flag_id: str
    kind: str
    raised_on: str
    """The plan or case the officer was working on when it was raised ("" if on the record)."""
    recorded_at: datetime
    """When it was raised, at the local offset it was recorded with."""
    recorded_by: str | None


class RestrictionInForce(BaseModel):
    """An MSP's servicing restrictions in force on the customer at the time asked about: they
    bind every plan and case of theirs, and contact they rule out goes through the OMC/PSSO."""

    model_config = ROW_MODEL

    plan_id: str
    kinds: tuple[str, ...]
    channel_role: str
    """``OMC`` or ``PSSO``: who contact goes through."""
    channel_staff_id: str
    channel_name: str
    start_date: date
    end_date: date
    recorded_at: datetime


class CustomerRecord(BaseModel):
    """A customer's record at the time asked about: their plans and cases, and the flags and
    MSP restrictions in force on the person."""

    model_config = ROW_MODEL

    crn: str | None
    customer_id: str
    record_ids: tuple[str, ...]
    """The plans and cases linked to the customer."""
    flags: tuple[CustomerFlagInForce, ...]
    restrictions: tuple[RestrictionInForce, ...]


_CUSTOMER_EVENTS: Final = frozenset(
    {
        "CustomerRegistered",
        "CustomerRecordLinked",
        "CustomerFlagRecorded",
        "CustomerFlagCleared",
        "RestrictionsInForce",
        "RestrictionsLifted",
        "CustomerLocationRecorded",
    }
)


class CustomerTables:
    """The customer tables of the view named ``view``: their names, DDL, the rows each customer
    event writes, and the questions (flags and restrictions in force at a time)."""

    def __init__(self, view: str) -> None:
        self.customers = f"{view}_customers"
        self.records = f"{view}_customer_records"
        self.flags = f"{view}_customer_flags"
        self.restrictions = f"{view}_customer_restrictions"
        self.tables: tuple[str, ...] = (
            self.customers,
            self.records,
            self.flags,
            self.restrictions,
        )
        self.ddl: tuple[str, ...] = (
            f"CREATE TABLE IF NOT EXISTS {{p}}{self.customers} ("
            " customer_id TEXT PRIMARY KEY, crn TEXT, time_zone TEXT, registered_at TEXT)",
            f"CREATE INDEX IF NOT EXISTS {self.customers}_crn ON {{p}}{self.customers} (crn)",
            f"CREATE TABLE IF NOT EXISTS {{p}}{self.records} ("
            " record_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, record_kind TEXT,"
            " linked_at TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.records}_customer"
            f" ON {{p}}{self.records} (customer_id)",
            f"CREATE TABLE IF NOT EXISTS {{p}}{self.flags} ("
            " customer_id TEXT NOT NULL, flag_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " kind TEXT NOT NULL, raised_on TEXT, recorded_by TEXT, occurred_local TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, ended_at TEXT,"
            " PRIMARY KEY (customer_id, flag_id, version))",
            f"CREATE TABLE IF NOT EXISTS {{p}}{self.restrictions} ("
            " customer_id TEXT NOT NULL, plan_id TEXT NOT NULL, version BIGINT NOT NULL,"
            " kinds TEXT NOT NULL, channel_role TEXT, channel_staff_id TEXT, channel_name TEXT,"
            " start_date TEXT NOT NULL, end_date TEXT NOT NULL, occurred_local TEXT NOT NULL,"
            " recorded_at TEXT NOT NULL, ended_at TEXT, ended_why TEXT,"
            " PRIMARY KEY (customer_id, plan_id, version))",
        )
        self._register = Statement(
            f"INSERT INTO {{p}}{self.customers} (customer_id, crn, time_zone, registered_at)"
            " VALUES (:customer_id, :crn, NULL, :at)"
            " ON CONFLICT (customer_id) DO UPDATE SET crn = excluded.crn,"
            " registered_at = excluded.registered_at"
        )
        self._locate = Statement(
            f"INSERT INTO {{p}}{self.customers} (customer_id, crn, time_zone, registered_at)"
            " VALUES (:customer_id, NULL, :time_zone, NULL)"
            " ON CONFLICT (customer_id) DO UPDATE SET time_zone = excluded.time_zone"
        )
        self._link = Statement(
            f"INSERT INTO {{p}}{self.records} (record_id, customer_id, record_kind, linked_at)"
            " VALUES (:record_id, :customer_id, :record_kind, :at)"
            " ON CONFLICT (record_id) DO NOTHING"
        )
        self._end_flag = Statement(
            f"UPDATE {{p}}{self.flags} SET ended_at = :at"
            " WHERE customer_id = :customer_id AND flag_id = :flag_id AND ended_at IS NULL"
        )
        self._flag = Statement(
            f"INSERT INTO {{p}}{self.flags} (customer_id, flag_id, version, kind, raised_on,"
            " recorded_by, occurred_local, recorded_at, ended_at)"
            " VALUES (:customer_id, :flag_id, :version, :kind, :raised_on, :recorded_by,"
            " :occurred_local, :at, NULL)"
            " ON CONFLICT (customer_id, flag_id, version) DO NOTHING"
        )
        self._lift = Statement(
            f"UPDATE {{p}}{self.restrictions} SET ended_at = :at, ended_why = :why"
            " WHERE customer_id = :customer_id AND plan_id = :plan_id AND ended_at IS NULL"
        )
        self._restrict = Statement(
            f"INSERT INTO {{p}}{self.restrictions} (customer_id, plan_id, version, kinds,"
            " channel_role, channel_staff_id, channel_name, start_date, end_date,"
            " occurred_local, recorded_at, ended_at, ended_why)"
            " VALUES (:customer_id, :plan_id, :version, :kinds, :channel_role,"
            " :channel_staff_id, :channel_name, :start_date, :end_date, :occurred_local, :at,"
            " NULL, NULL)"
            " ON CONFLICT (customer_id, plan_id, version) DO NOTHING"
        )

    # -- what each customer event writes ----------------------------------------------------------
    def writes(self, fact: Fact) -> tuple[Write, ...]:
        """The rows one customer record event writes (none for the events the views do not
        show: representatives)."""
        name = fact.event_type
        if name not in _CUSTOMER_EVENTS:
            return ()
        data = fact.data
        who = {"customer_id": fact.subject_id, "at": utc_text(data["recorded_at"])}
        if name == "CustomerRegistered":
            return ((self._register, {**who, "crn": data.get("crn")}),)
        if name == "CustomerLocationRecorded":
            return (
                (self._locate, {"customer_id": fact.subject_id, "time_zone": data["time_zone"]}),
            )
        if name == "CustomerRecordLinked":
            link = {**who, "record_id": data["record_id"], "record_kind": data.get("record_kind")}
            return ((self._link, link),)
        if name == "CustomerFlagCleared":
            return ((self._end_flag, {**who, "flag_id": data["flag_id"]}),)
        if name == "CustomerFlagRecorded":
            flag = {
                **who,
                "flag_id": data["flag_id"],
                "version": fact.version,
                "kind": data["kind"],
                "raised_on": data.get("raised_on") or "",
                "recorded_by": fact.actor.get("staff_id"),
                "occurred_local": data["occurred_at"],
            }
            # Recorded again under the same id, it replaces the flag (as the record's evolve).
            return ((self._end_flag, flag), (self._flag, flag))
        if name == "RestrictionsLifted":
            return ((self._lift, {**who, "plan_id": data["plan_id"], "why": data.get("why")}),)
        channel: Mapping[str, Any] = data.get("channel") or {}
        plan = {
            **who,
            "plan_id": data["plan_id"],
            "version": fact.version,
            "kinds": json_text(sorted({r["kind"] for r in data.get("restrictions") or ()})),
            "channel_role": channel.get("role"),
            "channel_staff_id": channel.get("staff_id"),
            "channel_name": channel.get("name"),
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "occurred_local": data["occurred_at"],
            "why": "VARIED",
        }
        # In force again (a variation): the spell before it ends here.
        return ((self._lift, plan), (self._restrict, plan))

    # -- the questions ------------------------------------------------------------------------
    def customer_records(
        self, view: ViewRecorder, as_of: datetime, *, scope: str = "", params: Mapping[str, Any]
    ) -> list[CustomerRecord]:
        """The customers registered by ``as_of`` (``scope``: more SQL conditions on ``c``, the
        customers table), with the records linked to them by then, and their flags and MSP
        restrictions in force then."""
        args = {**params, "as_of": utc_text(as_of)}
        rows = view.select(
            f"SELECT c.customer_id, c.crn, l.record_id FROM {{p}}{self.customers} c"
            f" LEFT JOIN {{p}}{self.records} l ON l.customer_id = c.customer_id"
            " AND l.linked_at <= :as_of"
            f" WHERE c.registered_at <= :as_of{scope}"
            " ORDER BY c.customer_id, l.linked_at, l.record_id",
            args,
        )
        records: dict[str, list[str]] = {}
        crns: dict[str, str | None] = {}
        for row in rows:
            crns[row["customer_id"]] = row["crn"]
            linked = records.setdefault(row["customer_id"], [])
            if row["record_id"] is not None:
                linked.append(row["record_id"])
        if not records:
            return []
        owned = self.in_force(view, as_of, by_record=False, scope=scope, params=params)
        return [
            CustomerRecord(
                customer_id=cid,
                crn=crns[cid],
                record_ids=tuple(linked),
                flags=owned.get(cid, ((), ()))[0],
                restrictions=owned.get(cid, ((), ()))[1],
            )
            for cid, linked in records.items()
        ]

    def in_force(
        self,
        view: ViewRecorder,
        as_of: datetime,
        *,
        by_record: bool,
        scope: str = "",
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, tuple[tuple[CustomerFlagInForce, ...], tuple[RestrictionInForce, ...]]]:
        """The flags and MSP restrictions in force at ``as_of`` on each customer (keyed by the
        customer's id), or on each plan and case through its customer (``by_record``, keyed by
        the record's id; ``scope`` may then also filter ``l``, the links): recorded by then and
        not yet ended, and (a plan's restrictions) with ``as_of``'s date, in the customer's
        time zone, within the plan's dates."""
        args = {**(params or {}), "as_of": utc_text(as_of)}
        if by_record:
            source = (
                f" FROM {{p}}{self.records} l JOIN {{p}}{self.customers} c"
                " ON c.customer_id = l.customer_id"
            )
            key, when = "l.record_id", " AND l.linked_at <= :as_of"
        else:
            source, key, when = f" FROM {{p}}{self.customers} c", "c.customer_id", ""
        live = (
            f" WHERE c.registered_at <= :as_of{when} AND x.recorded_at <= :as_of"
            f" AND (x.ended_at IS NULL OR x.ended_at > :as_of){scope}"
        )
        flags: dict[str, list[CustomerFlagInForce]] = defaultdict(list)
        for row in view.select(
            f"SELECT {key} AS owner, x.*{source} JOIN {{p}}{self.flags} x"
            f" ON x.customer_id = c.customer_id{live}"
            " ORDER BY owner, x.recorded_at, x.flag_id, x.version",
            args,
        ):
            flags[row["owner"]].append(
                CustomerFlagInForce(
                    flag_id=row["flag_id"],
                    kind=row["kind"],
                    raised_on=row["raised_on"] or "",
                    recorded_at=datetime.fromisoformat(row["occurred_local"]),
                    recorded_by=row["recorded_by"],
                )
            )
        plans: dict[str, list[RestrictionInForce]] = defaultdict(list)
        for row in view.select(
            f"SELECT {key} AS owner, c.time_zone AS customer_time_zone, x.*{source}"
            f" JOIN {{p}}{self.restrictions} x ON x.customer_id = c.customer_id{live}"
            " ORDER BY owner, x.recorded_at, x.plan_id, x.version",
            args,
        ):
            zone = ZoneInfo(row["customer_time_zone"] or PROCEDURE_TIME_ZONE)
            day = as_of.astimezone(zone).date()
            start, end = date.fromisoformat(row["start_date"]), date.fromisoformat(row["end_date"])
            if not start <= day <= end:
                continue
            plans[row["owner"]].append(
                RestrictionInForce(
                    plan_id=row["plan_id"],
                    kinds=tuple(orjson.loads(row["kinds"])),
                    channel_role=row["channel_role"] or "",
                    channel_staff_id=row["channel_staff_id"] or "",
                    channel_name=row["channel_name"] or "",
                    start_date=start,
                    end_date=end,
                    recorded_at=datetime.fromisoformat(row["occurred_local"]),
                )
            )
        return {
            owner: (tuple(flags.get(owner, ())), tuple(plans.get(owner, ())))
            for owner in {*flags, *plans}
        }
