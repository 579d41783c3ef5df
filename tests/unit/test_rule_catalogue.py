"""The rule catalogue is complete, cited, and every rule in it can actually be triggered.

``TRIGGERS`` gives, for every catalogue id, a history and a command that trips that rule:
adding a rule to the catalogue without a scenario here fails, and so does a rule that no
scenario can make ``decide`` enforce. The ManagedServicePlan's scenarios are below; the
CaseManagedRecovery's are in ``case_triggers.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from case_triggers import CASE_TRIGGERS, SMS_BLOCKS

from recoverycore.aggregates import CUSTOMER, _authority, cmr, customer, msp
from recoverycore.aggregates.cmr import CaseCommand, CaseConfig
from recoverycore.aggregates.customer import CustomerConfig
from recoverycore.errors import RuleViolation
from recoverycore.events import Role
from recoverycore.events.cmr import PreCallSmsBlocked
from recoverycore.events.msp import (
    Behaviour,
    ContactPoint,
    MspSmsBlocked,
    MultiRecordCheck,
    Restriction,
)
from recoverycore.rules import BOTH_PROC, CATALOGUE, CMR_PROC, MSP_PROC, Rule, rule
from recoverycore.testing import (
    EPOCH,
    CaseScenario,
    Given,
    MspBuilder,
    Scenario,
    case_builder,
    customer_builder,
    given,
    given_for,
    msp_builder,
    staff,
)

B = msp_builder()
C = customer_builder()
Trigger = Callable[
    [],
    tuple[Scenario, msp.MspCommand]
    | tuple[CaseScenario, CaseCommand]
    | tuple[Given[Any, Any, Any, Any], Any],
]


def draft(b: MspBuilder = B) -> Scenario:
    return given(b.recorded())


def active(b: MspBuilder = B) -> Scenario:
    return given(b.approved_plan())


def flagged(flag: str) -> Scenario:
    return active().then(B.command(msp.RecordVulnerabilityFlag, flag=flag, source="Phone call"))


def command(cls: type[msp.MspCommand], **fields: Any) -> msp.MspCommand:
    made: msp.MspCommand = B.command(cls, **fields)
    return made


def medicare_sms() -> tuple[Scenario, msp.MspCommand]:
    b = msp_builder(program="MEDICARE")
    return active(b), b.sms()


def redress_check_approved_by_who_actioned_it() -> tuple[CaseScenario, CaseCommand]:
    cases = case_builder()
    ol = cases.operational_leader
    submitted = cases.garnishee_submitted().later(days=1)
    actioned = submitted.then(cases.decide_garnishee()).then(cases.redress_check(actor=ol))
    return actioned.later(minutes=30), cases.approve_redress_check(actor=ol)


def variation_for_a_write_only_plan() -> tuple[Scenario, msp.MspCommand]:
    b = msp_builder(restrictions=(Restriction(kind="WRITE_ONLY"),))
    appointment = EPOCH + timedelta(days=7)
    grant = b.command(
        msp.GrantOneOffVariation,
        actor=b.approver,
        appointment_at=appointment,
        site="Parramatta",
        purpose="Identity check",
    )
    return active(b), grant


def strangers_contact_card() -> tuple[Scenario, msp.MspCommand]:
    stranger = ContactPoint(role="OMC", staff_id="omc-9", name="Al Other", phone="1800 999 999")
    return active(), command(msp.IssueContactCard, omc_psso=stranger)


MULTIPLE = MultiRecordCheck(performed_at=EPOCH, result="MULTIPLE")
VAGUE = (Behaviour(label="Aggressive", description="Was very aggressive and inappropriate."),)

TRIGGERS: dict[str, Trigger] = {
    "MSP-R1": medicare_sms,
    "MSP-R2": lambda: (active(), B.sms(actor=staff(Role.OMC))),
    "MSP-R3": lambda: (active(), B.sms(reason_code="BECAUSE")),
    "MSP-R4": lambda: (active(), B.sms(multi_record_check=MULTIPLE)),
    "MSP-R5": lambda: (active(), B.sms(smem_checked_at=None)),
    "MSP-R6": lambda: (flagged("SUICIDE_SELF_HARM"), B.sms()),
    "MSP-R7": lambda: (flagged("FDV_IMMEDIATE_THREAT"), B.sms()),
    "MSP-R8": lambda: (active().then(B.sms()), command(msp.RecordCustomerInformed, channel="SMS")),
    "MSP-R9": lambda: (active(), B.attach(approval_status="DRAFT")),
    "MSP-R10": lambda: (
        active().then(B.attach()),
        B.send_letter(delivery_method="SECURITY_GUARD_HAND_DELIVERY"),
    ),
    "MSP-R11": lambda: (given(), B.record(behaviours=VAGUE)),
    "MSP-R12": lambda: (active(), B.call(note_text=" ")),
    "MSP-R13": lambda: (active(), B.call(outcome="AGGRESSION")),
    "MSP-R14": lambda: (given(), B.record(end_date=EPOCH.date())),
    "MSP-R15": lambda: (draft(), B.approve(reasons=("Approved.",))),
    "MSP-A1": lambda: (draft(), B.call()),
    "MSP-A2": lambda: (draft(), B.approve(actor=staff(Role.MSP_APPROVER, B.recorder.staff_id))),
    "MSP-A3": lambda: (draft(), B.approve(actor=B.reviewer)),
    "MSP-A4": lambda: (active(), command(msp.RecordCustomerInformed, channel="PHONE")),
    "MSP-A5": lambda: (active(), B.call(outcome="ENGAGED_SUCCESSFUL", topics_covered=("REASONS",))),
    "MSP-A6": strangers_contact_card,
    "MSP-A7": lambda: (active().then(B.attach()), B.send_letter(tracking_id="")),
    "MSP-A8": variation_for_a_write_only_plan,
    "MSP-A9": lambda: (active(), command(msp.ExpireMsp, actor=staff(Role.MSP_APPROVER))),
    "MSP-A10": lambda: (draft(), B.record()),
    "X-A4": lambda: (
        given_for(CUSTOMER, *C.events(C.flag())),
        C.clear(reasons=("ok",)),
    ),
    "MSP-A11": lambda: (
        active().at(datetime.combine(B.record().end_date, time(10), EPOCH.tzinfo)),
        B.call(),
    ),
    **CASE_TRIGGERS,
    # The role table (recoverycore.aggregates.ROLE_TABLE), for both aggregates.
    "X-A1": lambda: (given(), B.record(actor=staff(Role.CASE_MANAGER))),
    "X-A2": redress_check_approved_by_who_actioned_it,
    "X-A3": lambda: (
        active(),
        command(
            msp.RecordVulnerabilityFlag,
            actor=staff(Role.SYSTEM),
            flag="SUICIDE_SELF_HARM",
            source="safeguard",
        ),
    ),
}
"""For every rule: a history and a command that the rule refuses (or, for the SMS safeguards
MSP-R4, MSP-R6 and MSP-R7, blocks by recording ``MspSmsBlocked``)."""

ProcedureSetup = tuple[
    str, type[msp.MspConfig] | type[CaseConfig] | type[CustomerConfig], tuple[str, ...], Path
]
MIN_NAMED = {"ManagedServicePlan": 20, "CaseManagedRecovery": 20, "Customer": 1}
PROCEDURES: dict[str, ProcedureSetup] = {
    "ManagedServicePlan": (MSP_PROC, msp.MspConfig, ("MSP-",), Path(msp.__file__)),
    "CaseManagedRecovery": (CMR_PROC, CaseConfig, ("CMR-", "X-R"), Path(cmr.__file__)),
    "Customer": (MSP_PROC, CustomerConfig, ("X-A",), Path(customer.__file__)),
}
"""For each aggregate: its procedure, its configuration, its rule id prefixes, its module (for a
package, its ``__init__.py``)."""
ANY: tuple[str, tuple[str, ...], Path] = (BOTH_PROC, ("X-A",), Path(_authority.__file__))
"""The rules of both aggregates (the role table): their procedure, prefixes and module."""


def rule_triggered(
    scenario: Scenario | CaseScenario | Given[Any, Any, Any, Any], cmd: Any
) -> str | None:
    """The rule that refused ``cmd`` or blocked the SMS it asked for; None if it went through."""
    try:
        if isinstance(scenario, Given):
            scenario.when(cmd)
            return None
        if isinstance(scenario, CaseScenario):
            assert isinstance(cmd, CaseCommand)
            case_events = scenario.when(cmd)
            blocked = [e.rule_id for e in case_events if isinstance(e, PreCallSmsBlocked)]
        else:
            assert isinstance(cmd, msp.MspCommand)
            plan_events = scenario.when(cmd)
            blocked = [e.rule_id for e in plan_events if isinstance(e, MspSmsBlocked)]
    except RuleViolation as refusal:
        return refusal.rule_id
    return blocked[0] if blocked else None


def test_the_trigger_table_names_exactly_the_catalogues_rules() -> None:
    assert set(TRIGGERS) == set(CATALOGUE)


@pytest.mark.parametrize("rule_id", sorted(CATALOGUE))
def test_every_rule_in_the_catalogue_has_a_scenario_that_triggers_it(rule_id: str) -> None:
    assert rule_id in TRIGGERS, f"add a scenario that triggers {rule_id} to TRIGGERS"
    scenario, cmd = TRIGGERS[rule_id]()

    assert rule_triggered(scenario, cmd) == rule_id


@pytest.mark.parametrize("rule_id", ["MSP-R4", "MSP-R6", "MSP-R7"])
def test_the_sms_safeguards_record_the_block_instead_of_refusing(rule_id: str) -> None:
    scenario, cmd = TRIGGERS[rule_id]()
    assert isinstance(scenario, Scenario)
    assert isinstance(cmd, msp.MspCommand)

    [blocked] = scenario.when(cmd)
    assert isinstance(blocked, MspSmsBlocked)
    assert blocked.rule_id == rule_id
    assert rule_id in blocked.rules_applied


@pytest.mark.parametrize("rule_id", sorted(SMS_BLOCKS))
def test_the_case_pre_call_sms_safeguards_record_the_block_instead_of_refusing(
    rule_id: str,
) -> None:
    scenario, cmd = SMS_BLOCKS[rule_id]()

    assert rule_triggered(scenario, cmd) == rule_id
    [blocked] = scenario.when(cmd)
    assert isinstance(blocked, PreCallSmsBlocked)
    assert rule_id in blocked.rules_applied


@pytest.mark.parametrize("entry", list(CATALOGUE.values()), ids=lambda r: str(r.id))
def test_every_rule_has_its_text_and_cites_its_procedure_step(entry: Rule) -> None:
    assert CATALOGUE[entry.id] is entry
    assert rule(entry.id) is entry
    assert entry.text.strip()
    assert entry.sources
    # Each rule belongs to one aggregate, or (the role table's) to both.
    if entry.applies_to == "Any":
        procedure, prefixes, _ = ANY
    else:
        procedure, _, prefixes, _ = PROCEDURES[entry.applies_to]
    assert entry.id.startswith(prefixes)
    assert entry.procedure == procedure
    assert entry.source_step.startswith(f"{entry.procedure} ")
    assert entry.source_step.removeprefix(entry.procedure).strip()


@pytest.mark.parametrize(
    "entry", [r for r in CATALOGUE.values() if r.setting], ids=lambda r: str(r.id)
)
def test_a_rules_settings_are_fields_of_its_aggregates_config(entry: Rule) -> None:
    assert entry.setting is not None
    settings = {name.strip() for name in entry.setting.split(",")}
    _, config_type, _, _ = PROCEDURES[entry.applies_to]

    assert settings <= set(config_type.model_fields), config_type.__name__


@pytest.mark.parametrize("rule_id", ["MSP-R99", "CMR-R99", "X-R99"])
def test_an_unknown_rule_id_is_not_in_the_catalogue(rule_id: str) -> None:
    with pytest.raises(KeyError):
        rule(rule_id)


def _source_of(module: Path) -> str:
    """The module's text; for a package, the text of every module in it (handlers live in the
    package's submodules)."""
    if module.name != "__init__.py":
        return module.read_text(encoding="utf-8")
    files = sorted(module.parent.rglob("*.py"))
    assert len(files) > 1, f"{module.parent} is a package of one file"
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def _rule_ids_named_in_the_aggregate(aggregate: str) -> set[str]:
    _, _, prefixes, module = PROCEDURES[aggregate]
    source = _source_of(module)
    pattern = "|".join(re.escape(prefix) for prefix in prefixes)
    return set(re.findall(rf"\"((?:{pattern})[A-Z]?\d+)\"", source))


@pytest.mark.parametrize("aggregate", sorted(PROCEDURES))
def test_every_rule_id_decide_can_raise_is_in_the_catalogue(aggregate: str) -> None:
    named = _rule_ids_named_in_the_aggregate(aggregate)

    assert len(named) >= MIN_NAMED[aggregate], "the aggregate names its rules as literals"
    not_catalogued = {i for i in named if i not in CATALOGUE}
    assert not not_catalogued, f"not in the catalogue: {sorted(not_catalogued)}"
    assert {CATALOGUE[i].applies_to for i in named} == {aggregate}


@pytest.mark.parametrize("aggregate", sorted(PROCEDURES))
def test_every_rule_in_the_catalogue_is_enforced_by_its_aggregate(aggregate: str) -> None:
    rules = {r.id for r in CATALOGUE.values() if r.applies_to == aggregate}

    missing = rules - _rule_ids_named_in_the_aggregate(aggregate)
    assert rules, f"no {aggregate} rules catalogued"
    assert not missing, f"catalogued but never checked by decide: {sorted(missing)}"


def test_every_rule_of_both_aggregates_is_enforced_by_the_role_table() -> None:
    _, prefixes, module = ANY
    both = {r.id for r in CATALOGUE.values() if r.applies_to == "Any"}
    named = set(re.findall(r'"(X-A\d+)"', module.read_text(encoding="utf-8")))

    assert both == named == {"X-A1", "X-A2", "X-A3"}
    assert all(i.startswith(prefixes) for i in both)
