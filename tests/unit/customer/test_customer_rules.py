"""The customer record's own rules, and how a case decides with it (pure: no store).

The integration tests (``tests/integration/test_customer_record.py``) show the same through the
application, in both orders and on both stores.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from recoverycore.aggregates import CASE, CUSTOMER, MSP
from recoverycore.aggregates.customer import (
    CustomerFlagCleared,
    CustomerFlagRecorded,
    CustomerRegistered,
    CustomerState,
    RestrictionsInForce,
    flag_changes,
    record_consequences,
)
from recoverycore.events import Role
from recoverycore.events.msp import ContactPoint, Restriction
from recoverycore.testing import (
    assert_refused,
    case_builder,
    customer_builder,
    given_for,
    msp_builder,
    staff,
)
from recoverycore.testing.customer import write_only

C = customer_builder()
B = case_builder()
OMC = ContactPoint(role="OMC", staff_id="omc-1", name="Sam Omc", phone="1800 000 000")


def test_the_first_command_on_a_customer_opens_their_record() -> None:
    events = given_for(CUSTOMER).when(C.flag())

    assert [type(e).__name__ for e in events] == ["CustomerRegistered", "CustomerFlagRecorded"]
    assert isinstance(events[0], CustomerRegistered)
    assert events[0].crn == "311204557J"  # the CRN as the procedures write it, normalised


def test_a_flag_id_is_used_once_on_the_record() -> None:
    scenario = given_for(CUSTOMER, *C.events(C.flag(flag_id="F-1")))

    assert scenario.refused(C.flag(flag_id="F-1")).rule_id == "X-A4"


def test_a_suicide_flag_is_cleared_only_by_a_social_worker_or_decision_maker_with_reasons() -> None:
    scenario = given_for(CUSTOMER, *C.events(C.flag()))

    assert scenario.refused(C.clear(actor=staff(Role.CASE_MANAGER))).rule_id == "X-R3"
    assert scenario.refused(C.clear(reasons=())).rule_id == "X-A4"
    [cleared] = scenario.when(C.clear())
    assert isinstance(cleared, CustomerFlagCleared)
    assert cleared.flag_id == "F-1"


def test_a_hardship_flag_may_be_cleared_by_the_officer_who_knows_it_has_passed() -> None:
    scenario = given_for(CUSTOMER, *C.events(C.flag(kind="HARDSHIP")))

    assert scenario.when(C.clear(actor=staff(Role.CASE_MANAGER)))


def test_a_poa_or_nominee_is_who_recovery_contacts_a_person_permitted_to_enquire_is_not() -> None:
    record = C.record(
        C.representative(representative_id="POA-1", kind="POA"),
        C.representative(representative_id="PPE-1", kind="PPE"),
    )

    assert [r.representative_id for r in record.contact_representatives()] == ["POA-1"]


@pytest.mark.parametrize(
    ("state", "zone"), [("WA", "Australia/Perth"), ("QLD", "Australia/Brisbane")]
)
def test_a_location_gives_the_states_time_zone(state: str, zone: str) -> None:
    assert C.record(C.location(state=state)).time_zone == zone


def test_a_location_outside_australia_is_refused() -> None:
    refusal = given_for(CUSTOMER, *C.events(C.register())).refused(
        C.location(state="NSW", time_zone="Europe/London")
    )
    assert refusal.rule_id == "X-A4"


# -- what a plan's or case's events mean for the record -------------------------------------
def test_a_new_plan_links_the_record_and_its_approval_puts_its_restrictions_in_force() -> None:
    plan = msp_builder(plan_id=uuid4(), restrictions=(Restriction(kind="WRITE_ONLY"),))
    events = plan.approved_plan()
    after = MSP.fold(events)
    assert after is not None

    customer = record_consequences(
        None, customer_id=C.customer_id, crn=C.crn, before=None, after=after, events=events
    )

    assert [type(e).__name__ for e in customer] == [
        "CustomerRegistered",
        "CustomerRecordLinked",
        "RestrictionsInForce",
    ]
    assert isinstance(customer[0], CustomerRegistered)
    assert isinstance(customer[2], RestrictionsInForce)
    assert customer[2].plan_id == str(plan.plan_id)
    assert [r.kind for r in customer[2].restrictions] == ["WRITE_ONLY"]


def test_a_record_shows_exactly_the_customers_flags_whatever_it_held_before() -> None:
    case = B.onboarded().then(B.flag(flag_id="OLD", kind="HARDSHIP")).state
    assert case is not None
    record = C.record(C.flag(flag_id="F-7", kind="SUICIDE_SELF_HARM"))

    changes = flag_changes(record, case)

    assert [(c.action, c.record_flag_id, c.kind) for c in changes] == [
        ("add", "F-7", "SUICIDE_SELF_HARM"),
        ("clear", "OLD", "HARDSHIP"),
    ]


# -- the case decides with the customer's record -------------------------------------------------
def test_the_omc_of_a_write_only_plan_may_call_the_case_manager_may_not() -> None:
    day = B.day(0).date()
    record = C.record(restrictions=[write_only("P-1", OMC, day, day + timedelta(days=90))])
    scenario = B.onboarded().at(B.day(0, 10, 5)).for_customer(record)

    assert scenario.refused(B.contact_attempt()).rule_id == "X-R12"
    omc = B.case_manager.model_copy(update={"staff_id": "omc-1"})
    assert scenario.when(B.contact_attempt(actor=omc))
    # Writing stays open.
    assert scenario.when(B.contact_attempt(channel="LETTER", outcome="NO_ANSWER"))


def test_a_restriction_no_longer_in_force_binds_nothing() -> None:
    day = B.day(0).date()
    record = C.record(
        restrictions=[write_only("P-1", OMC, day - timedelta(days=90), day - timedelta(days=1))]
    )

    assert B.onboarded().at(B.day(0, 10, 5)).for_customer(record).when(B.contact_attempt())


def test_contacts_on_the_customers_other_cases_count_towards_the_weekly_cap() -> None:
    other = case_builder(case_id=uuid4(), sms_subscribed=True)
    busy = other.final_option_sent().state  # two pre-call SMS and a Q190 this week
    assert busy is not None
    closed = busy.model_copy(update={"status": "CLOSED"})
    scenario = B.onboarded().at(B.day(3, 10)).for_customer(C.record(), closed)

    assert scenario.refused(B.contact_attempt(channel="SMS", outcome="NO_ANSWER")).rule_id == "X-R8"
    assert (
        B.onboarded().at(B.day(3, 10)).when(B.contact_attempt(channel="SMS", outcome="NO_ANSWER"))
    )


def test_an_sms_contact_attempt_is_refused_while_the_customer_has_a_suicide_flag() -> None:
    scenario = B.onboarded().then(B.flag()).at(B.day(0, 10, 5))

    assert scenario.refused(B.contact_attempt(channel="SMS", outcome="NO_ANSWER")).rule_id == "X-R3"


def test_a_second_open_case_is_refused_a_closed_one_is_not_in_the_way() -> None:
    other = B.onboarded().state
    assert other is not None
    second = case_builder(case_id=uuid4())

    refusal = second.start().for_customer(C.record(), other).refused(second.allocate())
    closed = other.model_copy(update={"status": "CLOSED"})

    assert refusal.rule_id == "CMR-A1"
    assert second.start().for_customer(C.record(), closed).when(second.allocate())


def test_contact_hours_are_the_customers_local_time() -> None:
    perth = C.record(C.location(state="WA"))
    six_am_perth = datetime(2026, 3, 3, 6, 0, tzinfo=ZoneInfo("Australia/Perth"))
    scenario = B.onboarded().at(six_am_perth)

    assert scenario.when(B.contact_attempt())  # 09:00 in Sydney: fine for a Sydney customer
    assert_refused(scenario.for_customer(perth), B.contact_attempt(), "X-R6")


def test_a_flag_recorded_event_names_where_it_was_raised() -> None:
    events = given_for(CUSTOMER).when(C.flag(flag_id="F-2"))
    flag = events[-1]

    assert isinstance(flag, CustomerFlagRecorded)
    assert (flag.flag_id, flag.raised_on) == ("F-2", "")
    assert date.fromisoformat("2026-03-02") == flag.occurred_at.date()


def test_a_flag_raised_under_a_long_id_gets_a_customer_id_every_record_can_hold() -> None:
    long_id = "F-" + "9" * 190
    events = list(B.onboarded().then(B.flag(flag_id=long_id)).events)
    after = CASE.fold(events)
    before = CASE.fold(events[:-1])
    assert after is not None

    customer = record_consequences(
        None, customer_id=C.customer_id, crn=C.crn, before=before, after=after, events=events[-1:]
    )

    [flag] = [e for e in customer if isinstance(e, CustomerFlagRecorded)]
    assert len(flag.flag_id) <= 100
    assert flag.record_flag_id == long_id


# -- found by the hostile trial -------------------------------------------------------------------
SMS_CASE = case_builder(sms_subscribed=True)


def _write_only_record() -> CustomerState:
    day = B.day(0).date()
    return C.record(restrictions=[write_only("P-1", OMC, day, day + timedelta(days=90))])


def test_under_a_write_only_plan_the_case_manager_writes_without_call_attempts_first() -> None:
    scenario = B.onboarded().at(B.day(0, 10)).for_customer(_write_only_record())

    assert scenario.refused(B.contact_attempt()).rule_id == "X-R12"
    [letter] = scenario.when(B.q164())
    assert letter.event_type == "LetterIssued"


def test_under_a_write_only_plan_the_omc_sends_the_pre_call_sms_and_calls() -> None:
    omc = SMS_CASE.case_manager.model_copy(update={"staff_id": "omc-1", "role": Role.OMC})
    scenario = SMS_CASE.onboarded().at(SMS_CASE.day(0, 10)).for_customer(_write_only_record())

    assert scenario.refused(SMS_CASE.pre_call_sms()).rule_id == "X-R12"
    scenario = scenario.then(SMS_CASE.pre_call_sms(actor=omc)).later(minutes=5)
    assert scenario.when(SMS_CASE.contact_attempt(actor=omc))


def test_an_outbound_discussion_is_a_call_the_msp_and_the_representative_bind() -> None:
    scenario = B.onboarded().at(B.day(0, 10))
    outbound = B.discussion(direction="OUTBOUND")

    assert scenario.for_customer(_write_only_record()).refused(outbound).rule_id == "X-R12"
    represented = C.record(C.representative())
    assert scenario.for_customer(represented).refused(outbound).rule_id == "X-R13"
    assert scenario.for_customer(represented).when(B.discussion(direction="INBOUND"))


def test_a_single_contact_plan_rules_out_the_case_managers_email() -> None:
    day = B.day(0).date()
    single = write_only("P-1", OMC, day, day + timedelta(days=90)) | {
        "restrictions": (Restriction(kind="SINGLE_CONTACT_OMC_PSSO"),)
    }
    scenario = B.onboarded().at(B.day(0, 10)).for_customer(C.record(restrictions=[single]))

    email = B.contact_attempt(channel="EMAIL", outcome="NO_ANSWER")
    assert scenario.refused(email).rule_id == "X-R12"


def test_a_plan_binds_recovery_until_its_end_date_not_on_it() -> None:
    day = B.day(0).date()
    ended_today = C.record(restrictions=[write_only("P-1", OMC, day - timedelta(days=90), day)])

    assert B.onboarded().at(B.day(0, 10, 5)).for_customer(ended_today).when(B.contact_attempt())


def test_a_representative_id_is_used_once_and_removed_with_reasons() -> None:
    scenario = given_for(CUSTOMER, *C.events(C.representative(representative_id="R-1")))

    assert scenario.refused(C.representative(representative_id="R-1")).rule_id == "X-A4"
    assert scenario.refused(C.remove_representative()).rule_id == "X-A4"
    reasons = ("The power of attorney was revoked on 1 March.",)
    assert scenario.when(C.remove_representative(reasons=reasons))


def test_a_time_zone_must_be_one_of_the_states() -> None:
    scenario = given_for(CUSTOMER, *C.events(C.register()))

    assert scenario.refused(C.location(state="WA", time_zone="Australia/Sydney")).rule_id == "X-A4"
    assert scenario.when(C.location(state="NSW", time_zone="Australia/Broken_Hill"))


def test_a_record_flag_id_may_not_reuse_the_id_a_case_gave_its_own_flag() -> None:
    # Re-trial: case flag F-1 and a record flag F-1 became one flag on the case, and one clear
    # there cleared both.
    events = list(B.onboarded().then(B.flag(flag_id="F-1")).events)
    after = CASE.fold(events)
    before = CASE.fold(events[:-1])
    assert after is not None
    customer = record_consequences(
        None, customer_id=C.customer_id, crn=C.crn, before=before, after=after, events=events[-1:]
    )
    scenario = given_for(CUSTOMER, *customer)

    assert scenario.refused(C.flag(flag_id="F-1")).rule_id == "X-A4"


def test_a_representative_id_retyped_is_the_same_representative() -> None:
    scenario = given_for(CUSTOMER, *C.events(C.representative(representative_id="R-1")))
    reasons = ("The nominee arrangement ended on 1 March.",)

    for typed in ("r-1", "R\u20111", "R1", "R_1", "R-\u0661"):
        assert scenario.refused(C.representative(representative_id=typed)).rule_id == "X-A4"
    [removed] = scenario.when(C.remove_representative(representative_id="r1", reasons=reasons))
    assert CUSTOMER.fold([removed], scenario.state) is not None
    assert CUSTOMER.fold([removed], scenario.state).representatives == ()  # type: ignore[union-attr]
