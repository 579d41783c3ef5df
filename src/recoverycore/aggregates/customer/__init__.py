"""The customer record: what belongs to the person across every plan and case.

Safety flags (all kinds, who set and cleared them and why), the MSP restrictions in force and
their OMC/PSSO, representatives (POA, nominee, person permitted to enquire), the customer's
state and time zone, and links to every plan and case. Plans and cases read the customer's
current record when they decide (the application supplies it in
:class:`~recoverycore.aggregates.DecideContext`); :mod:`.consequences` says what each plan or
case event means for the record and what the record means for each plan and case.
"""

from recoverycore.aggregates.customer.commands import (
    ClearSafetyFlag,
    CustomerCommand,
    RecordCustomerLocation,
    RecordRepresentative,
    RecordSafetyFlag,
    RegisterCustomer,
    RemoveRepresentative,
)
from recoverycore.aggregates.customer.consequences import (
    FlagChange,
    customer_source,
    flag_changes,
    record_consequences,
)
from recoverycore.aggregates.customer.decider import CUSTOMER
from recoverycore.aggregates.customer.state import (
    CustomerConfig,
    CustomerFlag,
    CustomerState,
    PlanRestrictions,
    Representative,
)
from recoverycore.events.customer import (
    CUSTOMER_EVENT_TYPES,
    STATE_TIME_ZONES,
    CustomerEvent,
    CustomerFlagCleared,
    CustomerFlagRecorded,
    CustomerLocationRecorded,
    CustomerRecordLinked,
    CustomerRegistered,
    RepresentativeRecorded,
    RepresentativeRemoved,
    RestrictionsInForce,
    RestrictionsLifted,
    plain_customer_id,
)

__all__ = [
    "CUSTOMER",
    "CUSTOMER_EVENT_TYPES",
    "STATE_TIME_ZONES",
    "ClearSafetyFlag",
    "CustomerCommand",
    "CustomerConfig",
    "CustomerEvent",
    "CustomerFlag",
    "CustomerFlagCleared",
    "CustomerFlagRecorded",
    "CustomerLocationRecorded",
    "CustomerRecordLinked",
    "CustomerRegistered",
    "CustomerState",
    "FlagChange",
    "PlanRestrictions",
    "RecordCustomerLocation",
    "RecordRepresentative",
    "RecordSafetyFlag",
    "RegisterCustomer",
    "RemoveRepresentative",
    "Representative",
    "RepresentativeRecorded",
    "RepresentativeRemoved",
    "RestrictionsInForce",
    "RestrictionsLifted",
    "customer_source",
    "flag_changes",
    "plain_customer_id",
    "record_consequences",
]
