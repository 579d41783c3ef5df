"""Property-testing a case rule with the public test kit: a voicemail never says why we called.

CMR-R5 (procedure 107-20112320, Table 2): a voicemail must not say the reason for the call. Rather
than one hand-made case, Hypothesis draws whole legal case histories (``case_histories``: a case
allocated, onboarded, contacted, garnisheed, under a DPO, closed, ... and then random accepted
commands) and checks, on each, that wherever a discreet voicemail (name and number only) would
be accepted, the same voicemail saying the reason is refused by CMR-R5 and records nothing
(``assert_refused``); and wherever the discreet one is refused (a closed case, contact hours,
the contact caps, a vulnerability flag, ...), the telling one is refused too.

A second property in the same form: a call the rules would accept on an ordinary day is refused
by X-R6 when that day is a national public holiday.

Run: python examples/property_test_case_rule.py (or collect the ``test_`` functions with pytest).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from recoverycore import RuleViolation
from recoverycore.aggregates.cmr import CaseCommand
from recoverycore.testing import CaseBuilder, CaseScenario, assert_refused
from recoverycore.testing.strategies import CaseHistory, case_histories


def accepts(scenario: CaseScenario, command: CaseCommand) -> bool:
    """Whether the rules accept ``command`` at the end of ``scenario``."""
    try:
        scenario.when(command)
    except RuleViolation:
        return False
    return True


# Deciding a whole history takes milliseconds, but on a busy machine Hypothesis' default 200 ms
# deadline per example would fail for reasons that have nothing to do with the rule.
@settings(deadline=None)
@given(history=case_histories(), minutes=st.integers(1, 60 * 24 * 3))
def test_a_voicemail_that_says_why_we_called_is_always_refused(
    history: CaseHistory, minutes: int
) -> None:
    scenario = history.scenario.later(minutes=minutes)
    officer = CaseBuilder(history.case_id)
    discreet = officer.contact_attempt(
        outcome="VOICEMAIL",
        voicemail_left=True,
        note=f"Called {officer.mobile}; left my name and number only.",
    )
    telling = discreet.model_copy(update={"voicemail_disclosed_reason": True})
    if accepts(scenario, discreet):
        assert_refused(scenario, telling, "CMR-R5")
    else:
        assert not accepts(scenario, telling)


@settings(deadline=None)
@given(history=case_histories(), days=st.integers(1, 30), hour=st.integers(8, 19))
def test_a_call_on_a_public_holiday_is_refused(history: CaseHistory, days: int, hour: int) -> None:
    day = history.now.date() + timedelta(days=days)
    scenario = history.scenario.at(datetime.combine(day, time(hour), history.now.tzinfo))
    call = CaseBuilder(history.case_id).contact_attempt()
    if accepts(scenario, call):
        assert_refused(scenario.with_holidays(day), call, "X-R6")


if __name__ == "__main__":
    test_a_voicemail_that_says_why_we_called_is_always_refused()
    test_a_call_on_a_public_holiday_is_refused()
    print("CMR-R5 and X-R6 held on every generated case history.")
