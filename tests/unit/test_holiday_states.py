"""State public holidays are configured with RECOVERYCORE_HOLIDAY_STATES."""

from __future__ import annotations

from datetime import date

from recoverycore.application import RecoveryApp, holidays_for
from recoverycore.persistence import in_memory_env

MELBOURNE_CUP_2026 = date(2026, 11, 3)


def test_only_national_holidays_count_unless_states_are_configured() -> None:
    assert MELBOURNE_CUP_2026 not in holidays_for({})(range(2026, 2027))
    assert MELBOURNE_CUP_2026 in holidays_for({"RECOVERYCORE_HOLIDAY_STATES": "VIC"})(
        range(2026, 2027)
    )
    assert date(2026, 12, 25) in holidays_for({})(range(2026, 2027))


def test_an_application_configured_for_victoria_blocks_contact_on_melbourne_cup_day() -> None:
    victoria = RecoveryApp(env={**in_memory_env(), "RECOVERYCORE_HOLIDAY_STATES": "vic, nsw"})
    national = RecoveryApp(env=in_memory_env())
    when = victoria.clock().replace(year=2026, month=11, day=3)

    assert MELBOURNE_CUP_2026 in victoria.contact_calendar(when).public_holidays
    assert MELBOURNE_CUP_2026 not in national.contact_calendar(when).public_holidays
